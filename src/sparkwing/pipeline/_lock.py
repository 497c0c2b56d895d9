"""One run of a pipeline at a time: a lock object created exclusively in the workspace.

A parallel backfill holds the pipeline's lock for all its runs; each of them checks that the
backfill holds it (:meth:`PipelineLock.check_held_by`) and takes turns at the steps that write
the pipeline's shared state (tables, models, scores) under a second lock, ``publish.json``
(:meth:`PipelineLock.wait`).
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass

from sparkwing._types import utcnow_iso
from sparkwing.config import check_name
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


_ATTEMPTS = 5


def _parse(data: bytes) -> LockInfo:
    try:
        return LockInfo(**json.loads(data))
    except (ValueError, TypeError):
        return LockInfo("unknown", -1, "unknown", "unknown")


class PipelineLock:
    def __init__(self, workspace: Workspace, pipeline: str, name: str = "lock") -> None:
        check_name(pipeline, "pipeline")
        self.uri = workspace.runs(pipeline) + f"/{name}.json"
        self.storage = workspace.storage
        self.pipeline = pipeline

    def holder(self) -> LockInfo | None:
        got = self.storage.read_versioned(self.uri)
        return None if got is None else _parse(got[0])

    def acquire(self, run_id: str, *, clear_stale: bool = True) -> LockInfo | None:
        """Take the lock for ``run_id``; returns the stale lock it cleared, if any.

        A stale lock is taken over in one compare-and-swap from the very lock judged stale to
        ours, so of several runs starting together exactly one wins; the others see a live
        holder and raise :class:`WorkspaceBusy` (exit 6).
        """
        info = LockInfo(run_id, os.getpid(), socket.gethostname(), utcnow_iso())
        data = json.dumps(info.__dict__).encode()
        held: LockInfo | None = None
        for _ in range(_ATTEMPTS):
            if self.storage.create_exclusive(self.uri, data):
                return None
            got = self.storage.read_versioned(self.uri)
            if got is None:
                continue  # released between our two steps: try again
            held = _parse(got[0])
            if not (held.stale and clear_stale):
                break
            if self.storage.replace_if(self.uri, data, got[1]):
                return held
            # another run took it over first: loop to see who holds it now
        who = (f"run {held.run_id} (pid {held.pid} on {held.host}, since {held.started})" if held
               else "another run")
        raise WorkspaceBusy(
            f"pipeline {self.pipeline!r} is already running: {who}",
            run_id=held.run_id if held else None,
            hint=f"wait for it, or if it is dead: sparkwing runs unlock {self.pipeline}",
        )

    def wait(self, run_id: str, *, timeout: float = 24 * 3600.0, poll: float = 0.5) -> LockInfo | None:
        """:meth:`acquire`, waiting while another live run holds the lock (up to ``timeout``)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.acquire(run_id)
            except WorkspaceBusy:
                if time.monotonic() > deadline:
                    raise
                time.sleep(poll)

    def check_held_by(self, run_id: str) -> None:
        """Refuse to run under ``run_id`` (a backfill) unless it holds this lock, alive."""
        held = self.holder()
        if held is None or held.run_id != run_id or held.stale:
            who = "nobody" if held is None else f"run {held.run_id}" + (" (stale)" if held.stale else "")
            raise WorkspaceBusy(f"pipeline {self.pipeline!r}: this run belongs to backfill {run_id}, "
                                f"but {who} holds the pipeline's lock",
                                run_id=held.run_id if held else None,
                                hint="start the backfill again; it runs the dates that did not finish")

    def release(self) -> None:
        self.storage.delete(self.uri)
