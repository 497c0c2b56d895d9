"""A pipeline run records what the JSON and SVMLight readers decided (extra_keys, zero_based)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sparkwing.config import load_spec
from sparkwing.pipeline import RunStore, run_pipeline

pytestmark = pytest.mark.spark

SPEC = """\
name: notes_run
sources:
  events: {uri: events.jsonl, format: json, columns: {id: int, v: double}}
  feats: {uri: feats.svm, format: svmlight, zero_based: auto}
tables:
  notes_run.events: {from: events}
  notes_run.feats: {from: feats}
"""


def test_run_record_holds_extra_keys_and_the_chosen_index_base(spark, settings, tmp_path: Path):
    from sparkwing.workspace import Workspace

    lines = [
        '{"id": 1, "v": 2.5, "station": "a"}',
        '{"id": 2, "v": 3.0}',
        '{"id": 3, "v": 1.0, "station": "b", "x": 0}',
    ]
    (tmp_path / "events.jsonl").write_text("\n".join(lines) + "\n")
    (tmp_path / "feats.svm").write_text("1 0:1.5 2:3\n0 0:2 1:1\n1 1:4\n")
    spec = tmp_path / "pipeline.yaml"
    spec.write_text(SPEC)
    run_pipeline(load_spec(spec), settings, stop_engine=False)
    record = RunStore(Workspace.from_settings(settings)).list("notes_run", limit=1)[0]  # as persisted
    assert record.status == "succeeded"
    events, feats = record.steps["events"].details, record.steps["feats"].details
    assert events.extra_keys == {"station": 2, "x": 1}
    assert feats.zero_based == {
        "zero_based": True, "how": "auto", "rows_with_index_0": 2, "rows_with_features": 3,
    }  # fmt: skip
    assert spark.table("notes_run.events").columns == ["id", "v"]
    assert spark.table("notes_run.feats").count() == 3
