"""Run records: one JSON file per run, rewritten atomically after every step."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from sparkwing._types import utcnow_iso
from sparkwing.config import check_name, is_name
from sparkwing.errors import RunNotFound, SparkwingError
from sparkwing.pipeline._details import SourceDetails, StepDetails
from sparkwing.workspace import Workspace

Status = Literal["pending", "running", "succeeded", "failed", "skipped"]
TriggerKind = Literal["manual", "cron", "data", "backfill", "retry"]


class Trigger(BaseModel):
    """What started a run: a person, a cron fire, data arriving, a backfill or a retry."""

    kind: TriggerKind = "manual"
    scheduled: str | None = None  # the cron fire time (UTC, ISO) the run stands for
    files: list[str] = Field(default_factory=list)  # data trigger: what arrived (first 100)
    files_total: int = 0
    detail: str | None = None  # e.g. "catch-up 2 of 3", "done flag s3://.../_SUCCESS"


class FailedTry(BaseModel):
    """A try of a step that failed with a transient error and was tried again."""

    error: str
    code: str
    finished: str
    waited_seconds: float


class FlowLink(BaseModel):
    """H2O Flow of the cloud a running step trains on (``h2o.flow``, loopback only).

    Kept while the run's cloud is up and cleared when the run ends; the UI shows it only on a
    running step.  ``credentials`` is the ``0600`` file holding the user and password (never the
    password itself); None for a login of the user's own (``h2o.conf``).
    """

    url: str
    user: str
    credentials: str | None = None


class StepRecord(BaseModel):
    name: str
    kind: str  # sources | datasets | features | tables | models | scores
    status: Status = "pending"
    started: str | None = None
    finished: str | None = None
    seconds: float | None = None
    rows_in: int | None = None
    rows_out: int | None = None
    rows_quarantined: int | None = None
    checks: list[dict[str, Any]] = Field(default_factory=list)
    # Always set by _details_of_kind from the step's kind; the default only satisfies type checkers.
    details: StepDetails = Field(default_factory=SourceDetails)
    error: str | None = None
    reason: str | None = None  # why a step was skipped, e.g. "upstream 'loans_raw' failed"
    user_traceback: str | None = None  # a failing `python:` step's own frames
    attempt: int = 1
    tries: int = 1  # in this attempt: 1 + the retries after transient errors
    failed_tries: list[FailedTry] = Field(default_factory=list)  # the retried ones, oldest first
    h2o_flow: FlowLink | None = None  # while the step trains on a loopback cloud with h2o.flow on

    @model_validator(mode="before")
    @classmethod
    def _details_of_kind(cls, data: Any) -> Any:
        """New steps start with empty details of their kind; old records lack ``details.kind``."""
        if isinstance(data, dict) and isinstance(data.get("details", {}), dict):
            details = data.get("details") or {}
            data = {**data, "details": {**details, "kind": details.get("kind", data.get("kind"))}}
        return data


class RunRecord(BaseModel):
    run_id: str
    pipeline: str
    spec_path: str | None = None
    spec_hash: str
    status: Status = "running"
    started: str = Field(default_factory=utcnow_iso)
    finished: str | None = None
    seconds: float | None = None
    attempts: int = 1
    error: str | None = None
    error_code: str | None = None
    settings: dict[str, Any] = Field(default_factory=dict)
    logs: str | None = None  # the engine's log directory (JVM, Spark, H2O): <workspace>/logs/<run_id>
    spark_app_id: str | None = None  # the Spark application of the (last) attempt
    spark_events: str | None = None  # its event log for `sparkwing history`: <workspace>/spark-events/<app>
    trigger: Trigger = Field(default_factory=Trigger)
    params: dict[str, str] = Field(default_factory=dict)  # the values the spec was loaded with
    steps: dict[str, StepRecord] = Field(default_factory=dict)
    events: list[dict[str, Any]] = Field(default_factory=list)

    def note(self, message: str, **extra: Any) -> None:
        """An event worth keeping in the record (a lock cleared, a resume, a promotion)."""
        self.events.append({"time": utcnow_iso(), "message": message, **extra})


class RunStore:
    """Reads and writes run records under ``<workspace>/runs/<pipeline>/<run_id>/run.json``."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.storage = workspace.storage

    def path(self, pipeline: str, run_id: str) -> str:
        # One path segment each (the entry points check the stricter grammars: the spec the
        # pipeline name, the CLI the run id); a record some other tool wrote stays readable.
        check_name(pipeline, "segment", what="pipeline name")
        check_name(run_id, "segment", what="run id")
        return self.workspace.runs(pipeline, run_id) + "/run.json"

    def save(self, record: RunRecord) -> None:
        data = record.model_dump_json(indent=2).encode()
        self.storage.write_atomic(self.path(record.pipeline, record.run_id), data)

    def load(self, pipeline: str, run_id: str) -> RunRecord:
        uri = self.path(pipeline, run_id)
        if not self.storage.exists(uri):
            raise RunNotFound(
                f"no run {run_id!r} of pipeline {pipeline!r}", run_id=run_id,
                hint=f"`sparkwing runs -p {pipeline}` lists the runs",
            )
        return RunRecord.model_validate(json.loads(self.storage.read_bytes(uri)))

    def find(self, run_id: str) -> RunRecord:
        """Find a run by id (or unique prefix) across pipelines."""
        check_name(run_id, "run id")
        matches = [
            (p, r)
            for p in self.storage.list(self.workspace.runs()) if is_name(p, "segment")
            for r in self.storage.list(self.workspace.runs(p))
            if r.startswith(run_id) and r != "lock.json" and is_name(r, "segment")
        ]
        if not matches:
            raise RunNotFound(f"no run {run_id!r}", run_id=run_id,
                              hint="`sparkwing runs` lists the runs")
        if len(matches) > 1:
            raise RunNotFound(
                f"run id {run_id!r} is ambiguous ({len(matches)} runs)", run_id=run_id,
                hint="give more characters",
            )
        return self.load(*matches[0])

    def list(self, pipeline: str | None = None, limit: int = 50) -> list[RunRecord]:
        pipelines = [check_name(pipeline, "pipeline")] if pipeline else [
            p for p in self.storage.list(self.workspace.runs()) if is_name(p, "segment")]
        out: list[RunRecord] = []
        for p in pipelines:
            for run_id in self.storage.list(self.workspace.runs(p)):
                if run_id.endswith(".json") or not is_name(run_id, "segment"):
                    continue
                try:
                    out.append(self.load(p, run_id))
                except (SparkwingError, ValueError):
                    continue  # a run dir without a readable record: skip, don't crash listing
        out.sort(key=lambda r: r.started, reverse=True)
        return out[:limit]
