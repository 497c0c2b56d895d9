"""What the scheduler remembers per pipeline, in the workspace, so a restart picks up where it was.

``<workspace>/schedule/<pipeline>.json`` holds the last cron fire handled (catch-up counts from
it), the objects a data trigger has already fired for (never twice for the same files), the run
in progress (to detect a scheduler killed mid-run) and the last outcome.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from sparkwing.workspace import Workspace

Outcome = Literal["succeeded", "failed", "busy", "timeout", "stopped", "interrupted"]


class InFlight(BaseModel):
    """A run the scheduler started and has not seen end (yet)."""

    started: datetime
    trigger: str
    scheduled: datetime | None = None
    run_id: str | None = None  # known once the run stopped on request (SIGTERM): resume that one


class PipelineState(BaseModel):
    pipeline: str
    spec_path: str | None = None
    last_fire: datetime | None = None  # the newest cron fire handled (run, skipped or armed)
    armed: datetime | None = None  # cron + on_data: the fire waiting for its data
    seen: dict[str, str] = Field(default_factory=dict)  # data trigger: object -> signature fired for
    running: InFlight | None = None
    last_run_id: str | None = None
    last_outcome: Outcome | None = None
    last_error: str | None = None
    last_finished: datetime | None = None
    missed: int = 0  # cron fires skipped by catch_up since the state began


class StateStore:
    """Reads and writes :class:`PipelineState` under ``<workspace>/schedule/``."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.storage = workspace.storage

    def uri(self, pipeline: str) -> str:
        return self.workspace.join("schedule", f"{pipeline}.json")

    def load(self, pipeline: str) -> PipelineState | None:
        uri = self.uri(pipeline)
        if not self.storage.exists(uri):
            return None
        return PipelineState.model_validate(json.loads(self.storage.read_bytes(uri)))

    def save(self, state: PipelineState) -> None:
        self.storage.write_atomic(self.uri(state.pipeline), state.model_dump_json(indent=2).encode())
