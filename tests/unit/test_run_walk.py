"""The runner's walk over the step graph: a failure skips its downstream, not its neighbours.

Steps here are stand-ins (no JVM): the walk, the skip reasons and the record are what is tested;
tests/e2e/test_cli_partial_run.py runs the same through the CLI on real Spark.
"""

from __future__ import annotations

import pytest

from sparkwing.config import PipelineSpec, build_graph
from sparkwing.errors import SourceError, StepFailed
from sparkwing.pipeline import LogReporter, RunRecord, RunStore, StepRecord, _runner, _stages
from sparkwing.workspace import Workspace

SPEC = {
    "name": "two",
    "sources": {"good": {"uri": "good.csv"}, "bad": {"uri": "bad.csv"}},
    "datasets": {"good_clean": {"from": "good"}, "bad_clean": {"from": "bad"}},
    "tables": {"db.good": {"from": "good_clean"}, "db.bad": {"from": "bad_clean"}},
}


@pytest.fixture()
def walk(tmp_path, monkeypatch):
    """Run the walk with steps that fail when their name is in ``failing``."""
    ran: list[str] = []

    def fake(ctx, name, step):
        ran.append(name)
        if name in ctx.failing:
            if name == "bad_clean":
                raise StepFailed("bad_clean raised", step=name, user_traceback="Traceback ...\nValueError: x")
            raise SourceError(f"source {name!r}: not found", source=name)
        step.rows_out = 1

    for kind in _stages.RUNNERS:
        monkeypatch.setitem(_stages.RUNNERS, kind, fake)

    def go(failing: set[str], *, fail_fast: bool = False, record: RunRecord | None = None,
           todo: set[str] | None = None):
        spec = PipelineSpec.model_validate(SPEC)
        graph = build_graph(spec)
        workspace = Workspace(tmp_path)
        store = RunStore(workspace)
        record = record or RunRecord(run_id="r1", pipeline="two", spec_hash="h")
        for name in graph.order:
            record.steps.setdefault(name, StepRecord(name=name, kind=graph.nodes[name].kind))
        ctx = _stages.RunContext(None, None, spec, graph, workspace, record)  # type: ignore[arg-type]
        ctx.failing = failing  # type: ignore[attr-defined]
        ran.clear()
        failures = _runner._run_steps(ctx, todo or set(graph.order), store, LogReporter(),
                                      fail_fast=fail_fast)
        return failures, record, list(ran)

    return go


def test_a_failed_source_skips_its_downstream_only(walk) -> None:
    failures, record, ran = walk({"bad"})
    assert [type(f) for f in failures] == [SourceError]
    assert ran == ["good", "bad", "good_clean", "db.good"]
    status = {n: s.status for n, s in record.steps.items()}
    assert status == {"good": "succeeded", "bad": "failed", "good_clean": "succeeded",
                      "bad_clean": "skipped", "db.good": "succeeded", "db.bad": "skipped"}
    assert record.steps["db.bad"].reason == "upstream 'bad' failed"  # the root cause, not 'bad_clean'
    assert record.steps["bad"].error == "source 'bad': not found"


def test_fail_fast_leaves_the_rest_pending(walk, tmp_path) -> None:
    record = RunRecord(run_id="r2", pipeline="two", spec_hash="h")
    with pytest.raises(SourceError):
        walk({"bad"}, fail_fast=True, record=record)
    assert {n: s.status for n, s in record.steps.items() if s.status != "pending"} == {
        "good": "succeeded", "bad": "failed"}
    assert RunStore(Workspace(tmp_path)).load("two", "r2").steps[
        "bad"].status == "failed"


def test_a_python_step_keeps_its_traceback_in_the_record(walk) -> None:
    failures, record, _ = walk({"bad_clean"})
    assert isinstance(failures[0], StepFailed)
    assert record.steps["bad_clean"].user_traceback.endswith("ValueError: x")
    assert record.steps["db.bad"].reason == "upstream 'bad_clean' failed"


def test_resume_runs_failed_and_skipped_steps_again(walk) -> None:
    _, record, _ = walk({"bad"})
    spec = PipelineSpec.model_validate(SPEC)
    todo = _runner._steps_to_run(build_graph(spec), record, resuming=True)
    assert todo == {"bad", "bad_clean", "db.bad"}  # db.good is published: not redone
    failures, record, ran = walk(set(), record=record, todo=todo)
    assert failures == [] and ran == ["bad", "bad_clean", "db.bad"]
    assert all(s.status == "succeeded" and s.reason is None for s in record.steps.values())
