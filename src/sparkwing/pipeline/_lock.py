"""One run of a pipeline at a time: a lock object created exclusively in the workspace."""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass

from sparkwing._types import utcnow_iso
from sparkwing.errors import WorkspaceBusy
from sparkwing.workspace import Workspace


@dataclass(frozen=True)
class LockInfo:
    run_id: str
    pid: int
    host: str
    started: str

    @property
    def stale(self) -> bool:
        """True when the holder ran on this host and its process is gone (e.g. SIGKILL)."""
        if self.host != socket.gethostname():
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False


class PipelineLock:
    def __init__(self, workspace: Workspace, pipeline: str) -> None:
        self.uri = workspace.runs(pipeline) + "/lock.json"
        self.storage = workspace.storage
        self.pipeline = pipeline

    def holder(self) -> LockInfo | None:
        if not self.storage.exists(self.uri):
            return None
        try:
            return LockInfo(**json.loads(self.storage.read_bytes(self.uri)))
        except (ValueError, TypeError):
            return LockInfo("unknown", -1, "unknown", "unknown")

    def acquire(self, run_id: str, *, clear_stale: bool = True) -> LockInfo | None:
        """Take the lock for ``run_id``; returns the stale lock it cleared, if any."""
        info = LockInfo(run_id, os.getpid(), socket.gethostname(), utcnow_iso())
        data = json.dumps(info.__dict__).encode()
        if self.storage.create_exclusive(self.uri, data):
            return None
        held = self.holder()
        if held is not None and held.stale and clear_stale:
            self.storage.delete(self.uri)
            if self.storage.create_exclusive(self.uri, data):
                return held
        held = self.holder()
        who = f"run {held.run_id} (pid {held.pid} on {held.host}, since {held.started})" if held else "?"
        raise WorkspaceBusy(
            f"pipeline {self.pipeline!r} is already running: {who}",
            run_id=held.run_id if held else None,
            hint=f"wait for it, or if it is dead: sparkwing runs unlock {self.pipeline}",
        )

    def release(self) -> None:
        self.storage.delete(self.uri)
