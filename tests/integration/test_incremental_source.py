"""`incremental: true`: each run reads only the files no earlier successful run consumed; a run
with none skips the source and what needs it; a failed run consumes nothing (real Spark)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sparkwing.config import load_spec
from sparkwing.errors import CheckFailed
from sparkwing.pipeline import RunStore, run_pipeline
from sparkwing.workspace import Workspace

pytestmark = pytest.mark.spark

SPEC = """\
name: drops
sources:
  drops: {uri: "lake/*.csv", format: csv, incremental: true, columns: {id: int, amount: double}}
datasets:
  checked:
    from: drops
    checks:
      - in_range: {amount: [0, 1000]}
tables:
  partner.drops: {from: checked}
"""


def _drop(lake: Path, name: str, rows: list[tuple[int, float]]) -> None:
    lake.mkdir(parents=True, exist_ok=True)
    (lake / name).write_text("id,amount\n" + "".join(f"{i},{a}\n" for i, a in rows))


def _ids(spark) -> list[int]:
    return sorted(r.id for r in spark.sql("SELECT id FROM partner.drops").collect())


def test_each_run_reads_only_new_files_exactly_once(spark, settings, tmp_path):
    lake = tmp_path / "lake"
    spec_path = tmp_path / "drops.yaml"
    spec_path.write_text(SPEC)
    spec = load_spec(spec_path)
    ws = Workspace.from_settings(settings)

    _drop(lake, "a.csv", [(1, 1.0), (2, 2.0)])
    _drop(lake, "b.csv", [(3, 3.0)])
    first = run_pipeline(spec, settings, stop_engine=False)
    src = first.steps["drops"]
    assert (first.status, src.rows_in) == ("succeeded", 3)
    assert src.details.incremental["new"] == 2 and src.details.incremental["already_consumed"] == 0
    assert _ids(spark) == [1, 2, 3]

    # nothing new: the source and its downstream steps are skipped, the run succeeds
    idle = run_pipeline(spec, settings, stop_engine=False)
    assert idle.status == "succeeded"
    assert {n: s.status for n, s in idle.steps.items()} == {
        "drops": "skipped", "checked": "skipped", "partner.drops": "skipped"}
    assert "no new files" in idle.steps["drops"].reason
    assert idle.steps["checked"].reason == "no new data in 'drops'"
    assert _ids(spark) == [1, 2, 3]  # the table is left as it was

    # a new file is read alone; a bad one fails its run, which consumes nothing
    _drop(lake, "c.csv", [(4, -1.0)])  # fails the in_range check
    with pytest.raises(CheckFailed):
        run_pipeline(spec, settings, stop_engine=False)
    ledger = json.loads(Path(ws.join("incremental", "drops", "drops.json")).read_text())["files"]
    assert sorted(Path(u).name for u in ledger) == ["a.csv", "b.csv"]

    _drop(lake, "c.csv", [(4, 4.0)])  # the partner fixes the drop
    fixed = run_pipeline(spec, settings, stop_engine=False)
    assert fixed.steps["drops"].rows_in == 1 and _ids(spark) == [4]

    # a changed file is read again and reported as changed
    _drop(lake, "a.csv", [(1, 1.5), (2, 2.5), (5, 5.0)])
    os.utime(lake / "a.csv", (1_900_000_000, 1_900_000_000))
    changed = run_pipeline(spec, settings, stop_engine=False)
    picked = changed.steps["drops"].details.incremental
    assert [Path(u).name for u in picked["changed"]] == ["a.csv"] and picked["already_consumed"] == 2
    assert _ids(spark) == [1, 2, 5]

    runs = RunStore(ws).list("drops", limit=10)
    assert [r.status for r in runs][:5] == ["succeeded", "succeeded", "failed", "succeeded", "succeeded"]
