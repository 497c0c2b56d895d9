"""A run goes on past a failing source on real Spark; --fail-fast keeps the old stop; resume."""

from __future__ import annotations

from pathlib import Path

import pytest

from sparkwing.config import load_spec
from sparkwing.errors import SourceError
from sparkwing.pipeline import RunRecord, RunStore, run_pipeline

pytestmark = pytest.mark.spark
DATA = Path(__file__).resolve().parents[1] / "data"

SPEC = """\
name: {name}
sources:
  good: {{uri: good.csv, format: csv}}
  bad: {{uri: bad.csv, format: csv, columns: {{amount: double}}}}
datasets:
  bad_clean: {{from: bad, steps: [{{cast: {{amount: double}}}}]}}
tables:
  {name}.good: {{from: good}}
  {name}.bad: {{from: bad_clean}}
"""


def _spec(folder: Path, name: str, bad: str | None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "good.csv").write_text("id,amount\n1,2.5\n2,3.5\n3,4.5\n")
    if bad is not None:
        (folder / "bad.csv").write_text(bad)
    path = folder / "pipeline.yaml"
    path.write_text(SPEC.format(name=name))
    return path


def _last(settings, pipeline: str) -> RunRecord:
    from sparkwing.workspace import Workspace

    return RunStore(Workspace.from_settings(settings)).list(pipeline, limit=1)[0]


def _tables(spark, db: str) -> set[str]:
    """The published tables of ``db`` (the warehouse's per-version tables left out)."""
    if not spark.catalog.databaseExists(db):
        return set()
    return {t.name for t in spark.catalog.listTables(db) if "__v" not in t.name}


def test_a_missing_source_does_not_stop_an_independent_one_then_resume(spark, settings, tmp_path):
    spec = _spec(tmp_path / "keep", "keep_going", bad=None)  # bad.csv is missing
    with pytest.raises(SourceError, match=r"source 'bad': not found"):
        run_pipeline(load_spec(spec), settings, stop_engine=False)
    record = _last(settings, "keep_going")
    assert record.status == "failed" and record.error_code == "source_error"
    status = {n: s.status for n, s in record.steps.items()}
    assert status == {"good": "succeeded", "bad": "failed", "bad_clean": "skipped",
                      "keep_going.good": "succeeded", "keep_going.bad": "skipped"}
    assert record.steps["keep_going.bad"].reason == "upstream 'bad' failed"
    assert _tables(spark, "keep_going") == {"good"}  # the independent table is published
    assert spark.table("keep_going.good").count() == 3

    # The file arrives: resuming re-runs the failed and skipped steps only.
    (spec.parent / "bad.csv").write_text("id,amount\n7,1.0\n8,2.0\n")
    again = run_pipeline(load_spec(spec), settings, resume=record.run_id, stop_engine=False)
    assert again.status == "succeeded" and again.attempts == 2
    assert again.steps["keep_going.good"].attempt == 1  # published in the first attempt, not redone
    assert again.steps["keep_going.bad"].attempt == 2 and again.steps["keep_going.bad"].reason is None
    assert spark.table("keep_going.bad").count() == 2


def test_fail_fast_stops_before_the_independent_table(spark, settings, tmp_path):
    over_limit = "id,amount\n" + "".join(f"{i},not-a-number\n" for i in range(20)) + "99,1.0\n"
    spec = _spec(tmp_path / "fast", "fail_fast", bad=over_limit)
    with pytest.raises(SourceError, match=r"20 of 21 rows .* quarantined"):
        run_pipeline(load_spec(spec), settings, stop_engine=False, fail_fast=True)
    record = _last(settings, "fail_fast")
    assert record.status == "failed"
    assert {n: s.status for n, s in record.steps.items()} == {
        "good": "succeeded", "bad": "failed", "bad_clean": "pending",
        "fail_fast.good": "pending", "fail_fast.bad": "pending"}
    assert _tables(spark, "fail_fast") == set()

    # Without --fail-fast the same spec publishes the good table.
    with pytest.raises(SourceError, match=r"20 of 21 rows"):
        run_pipeline(load_spec(spec), settings, stop_engine=False)
    assert _tables(spark, "fail_fast") == {"good"}


def test_a_python_step_traceback_keeps_the_users_frames_only(spark, tmp_path, monkeypatch):
    from sparkwing.config import Step
    from sparkwing.errors import StepFailed
    from sparkwing.prep import apply_steps

    (tmp_path / "spark_steps_user.py").write_text(
        "def pick(df, **params):\n    return df.select('no_such_column')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    step = Step.model_validate({"python": "spark_steps_user:pick"})
    with pytest.raises(StepFailed) as info:
        apply_steps(spark.range(2), [step], dataset="d")
    tb = info.value.user_traceback
    frames = [line.strip() for line in tb.splitlines() if line.strip().startswith('File "')]
    assert frames == [f'File "{tmp_path / "spark_steps_user.py"}", line 2, in pick']  # no pyspark/py4j
    assert "UNRESOLVED_COLUMN" in tb
