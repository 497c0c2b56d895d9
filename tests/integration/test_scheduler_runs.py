"""Real runs on the shared SparkSession: a transient failure is retried and the run succeeds, a
terminal one is not; the embedded scheduler runs a tiny CSV -> table pipeline when its file lands
and records what triggered it.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from sparkwing.config import load_spec
from sparkwing.errors import StepFailed
from sparkwing.pipeline import RunStore, run_pipeline
from sparkwing.schedule import Scheduler, StateStore
from sparkwing.workspace import Workspace

pytestmark = pytest.mark.spark

FLAKY = """
from pathlib import Path

COUNTER = Path(__file__).with_suffix(".count")


def flaky(df, error="TimeoutError", fail_times=1):
    n = int(COUNTER.read_text()) if COUNTER.exists() else 0
    COUNTER.write_text(str(n + 1))
    if n < fail_times:
        raise {"TimeoutError": TimeoutError, "ValueError": ValueError}[error](f"try {n + 1} failed")
    return df
"""

SPEC = """\
name: {name}
sources:
  raw: {{uri: {uri}, format: csv}}
datasets:
  clean: {{from: raw, steps: [{{python: {{function: "{module}:flaky", params: {{error: {error}}}}}}}]}}
tables:
  {name}.clean: {{from: clean}}
schedule:
  {trigger}
  retries: {{max: 2, backoff_seconds: 0.01, max_backoff_seconds: 0.02}}
"""


def _pipeline(folder: Path, name: str, *, error: str = "TimeoutError", uri: str = "in.csv",
              trigger: str = "cron: '0 2 * * *'") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    module = f"flaky_{uuid.uuid4().hex[:8]}"
    (folder / f"{module}.py").write_text(FLAKY)
    (folder / "in.csv").write_text("id,amount\n1,2.5\n2,3.5\n")
    path = folder / "pipeline.yaml"
    path.write_text(SPEC.format(name=name, uri=uri, module=module, error=error, trigger=trigger))
    return path


def test_a_transient_failure_is_retried_and_the_run_succeeds(spark, settings, tmp_path) -> None:
    spec = _pipeline(tmp_path / "t", "retry_transient")
    record = run_pipeline(load_spec(spec), settings, stop_engine=False)
    step = record.steps["clean"]
    assert record.status == "succeeded" and step.tries == 2
    assert "TimeoutError: try 1 failed" in step.failed_tries[0].error
    assert spark.table("retry_transient.clean").count() == 2
    assert record.trigger.kind == "manual"


def test_a_terminal_failure_is_not_retried(spark, settings, tmp_path) -> None:  # noqa: ARG001
    spec = _pipeline(tmp_path / "v", "retry_terminal", error="ValueError")
    with pytest.raises(StepFailed, match="ValueError: try 1 failed"):
        run_pipeline(load_spec(spec), settings, stop_engine=False)
    record = RunStore(Workspace.from_settings(settings)).list("retry_terminal", limit=1)[0]
    assert record.status == "failed" and record.steps["clean"].tries == 1
    assert record.steps["clean"].failed_tries == []


def test_the_scheduler_runs_the_pipeline_once_when_its_file_lands(spark, settings, tmp_path) -> None:
    drops = tmp_path / "drops"
    drops.mkdir()
    spec_path = _pipeline(tmp_path / "s", "on_arrival", uri=str(drops),
                          trigger=f"on_data: {{uri: '{drops}', settle_seconds: 0}}")
    scheduler = Scheduler([load_spec(spec_path)], settings)
    assert scheduler.tick() == []  # nothing there yet
    (drops / "part-1.csv").write_text("id,amount\n7,1.0\n8,2.0\n9,3.0\n")
    fired = scheduler.tick()
    assert [(f.outcome, f.trigger.kind) for f in fired] == [("succeeded", "data")], fired
    record = RunStore(scheduler.workspace).load("on_arrival", fired[0].run_id)
    assert record.trigger.files == [str(drops / "part-1.csv")] and record.status == "succeeded"
    assert record.steps["clean"].tries == 2  # the flaky step's first try failed transiently
    assert spark.table("on_arrival.clean").count() == 3
    assert scheduler.tick() == []  # the same file never fires twice
    state = StateStore(scheduler.workspace).load("on_arrival")
    assert state is not None and state.last_outcome == "succeeded" and state.last_run_id == record.run_id
