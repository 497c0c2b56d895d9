"""One scheduler per workspace: ``<workspace>/schedule/scheduler.json`` holds its pid and heartbeat.

A second scheduler is refused while the holder is alive and beating.  A holder that was killed
(SIGKILL: its pid is gone on this host) or whose heartbeat is older than ``stale_seconds`` (on
another host) is taken over in one compare-and-swap, so of two restarting schedulers one wins.
"""

from __future__ import annotations

import json
import os
import signal
import socket
from dataclasses import asdict, dataclass
from datetime import datetime

from sparkwing.errors import WorkspaceBusy
from sparkwing.workspace import Workspace


@dataclass(frozen=True)
class SchedulerInfo:
    pid: int
    host: str
    started: str
    heartbeat: str

    def alive(self, now: datetime, stale_seconds: float) -> bool:
        """Alive: on this host, its pid exists; elsewhere, its heartbeat is recent."""
        if self.host == socket.gethostname():
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                return False
            except PermissionError:
                return True
            return True
        try:
            beat = datetime.fromisoformat(self.heartbeat)
        except ValueError:
            return False
        return (now - beat).total_seconds() <= stale_seconds


def _parse(data: bytes) -> SchedulerInfo | None:
    try:
        return SchedulerInfo(**json.loads(data))
    except (ValueError, TypeError):
        return None


class SchedulerLock:
    def __init__(self, workspace: Workspace, *, stale_seconds: float = 90.0) -> None:
        self.uri = workspace.join("schedule", "scheduler.json")
        self.storage = workspace.storage
        self.stale_seconds = stale_seconds
        self.took_over: SchedulerInfo | None = None
        self._mine: SchedulerInfo | None = None

    def holder(self) -> SchedulerInfo | None:
        got = self.storage.read_versioned(self.uri)
        return None if got is None else _parse(got[0])

    def acquire(self, now: datetime) -> None:
        """Become the workspace's scheduler, or raise :class:`WorkspaceBusy` naming the live one."""
        mine = SchedulerInfo(os.getpid(), socket.gethostname(), now.isoformat(), now.isoformat())
        data = json.dumps(asdict(mine)).encode()
        for _ in range(5):
            if self.storage.create_exclusive(self.uri, data):
                self._mine = mine
                return
            got = self.storage.read_versioned(self.uri)
            if got is None:
                continue
            held = _parse(got[0])
            if held is not None and held.alive(now, self.stale_seconds):
                raise WorkspaceBusy(
                    f"a scheduler already runs on this workspace (pid {held.pid} on {held.host}, "
                    f"since {held.started})", hint="`sparkwing scheduler stop` stops it",
                )
            if self.storage.replace_if(self.uri, data, got[1]):
                self.took_over = held  # a dead scheduler's file: it was killed or its host died
                self._mine = mine
                return
        raise WorkspaceBusy("another scheduler is starting on this workspace")

    def beat(self, now: datetime) -> None:
        if self._mine is not None:
            self._mine = SchedulerInfo(self._mine.pid, self._mine.host, self._mine.started, now.isoformat())
            self.storage.write_atomic(self.uri, json.dumps(asdict(self._mine)).encode())

    def release(self) -> None:
        if self._mine is None:
            return
        held = self.holder()
        if held is not None and held.pid == self._mine.pid and held.host == self._mine.host:
            self.storage.delete(self.uri)
        self._mine = None


def stop_scheduler(workspace: Workspace) -> SchedulerInfo | None:
    """Send SIGTERM to the workspace's scheduler on this host; returns who was asked, or None."""
    held = SchedulerLock(workspace).holder()
    if held is None:
        return None
    if held.host != socket.gethostname():
        raise WorkspaceBusy(f"the scheduler runs on {held.host}, not here (pid {held.pid})",
                            hint="stop it on that host")
    try:
        os.kill(held.pid, signal.SIGTERM)
    except ProcessLookupError:
        return None
    return held
