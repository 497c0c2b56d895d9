"""Process trees read from /proc (Linux): the descendants of a process and their CPU time.

Shared by the tests (which processes a service or a cluster started) and the bench scripts (the
CPU a whole process tree used), so the /proc walk is written once.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int | str) -> list[str]:
    """The fields of ``/proc/<pid>/stat`` after the command name (which may hold spaces)."""
    return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()


def descendants(pid: int) -> list[int]:
    """Process ids of every live process below ``pid`` (children first, then theirs)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int(_stat_fields(entry.name)[1])
            except (OSError, IndexError, ValueError):
                continue  # gone while listing
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], list(children.get(pid, []))
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cmdline(pid: int) -> bytes:
    """The command line of ``pid``, NUL-separated as in /proc (empty if the process is gone)."""
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes()
    except OSError:
        return b""


def cpu_seconds(pid: int, *, reaped: bool = False) -> float:
    """User + system CPU seconds of ``pid`` (0 if it is gone); with ``reaped``, plus those of its
    children that have exited and been waited for."""
    try:
        fields = _stat_fields(pid)
    except OSError:
        return 0.0
    used = fields[11:15] if reaped else fields[11:13]
    return sum(int(x) for x in used) / _TICK


def tree_cpu_seconds(pid: int, *, reaped: bool = False) -> float:
    """CPU seconds of ``pid`` and every live descendant (a child that exited unreaped is missed,
    so read it as a lower bound)."""
    return sum(cpu_seconds(p, reaped=reaped) for p in [pid, *descendants(pid)])


class TreeCpu:
    """CPU seconds a process tree uses inside a ``with`` block, sampled every ``every`` seconds.

    :func:`tree_cpu_seconds` read twice can come out wrong, even negative: a process alive at
    the first reading that exits before the second takes its CPU with it unless its parent
    waits for it (Spark's Python workers, stopped with their daemon, are not waited for).
    Here each process's own user + system time is read as it runs and kept after it exits, so
    the figure never goes down; a process loses at most its last ``every`` seconds, and one
    that starts and ends between two samples is missed (read it as a lower bound).  The
    sampling thread's own CPU is taken off.
    """

    def __init__(self, pid: int, every: float = 0.1) -> None:
        self.pid, self.every = pid, every
        self.seconds = 0.0
        self._first: dict[tuple[int, str], int] = {}
        self._last: dict[tuple[int, str], int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._own = 0.0

    def _sample(self) -> None:
        for p in [self.pid, *descendants(self.pid)]:
            try:
                fields = _stat_fields(p)
            except OSError:
                continue  # gone: its last sample stays
            key = (p, fields[19])  # pid and start time: a reused pid is another process
            self._last[key] = int(fields[11]) + int(fields[12])

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self._sample()
        self._own = time.thread_time()

    def __enter__(self) -> TreeCpu:
        self._sample()
        self._first = dict(self._last)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        ticks = sum(v - self._first.get(k, 0) for k, v in self._last.items())
        self.seconds = max(0.0, ticks / _TICK - self._own)
