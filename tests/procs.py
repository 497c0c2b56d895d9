"""Process trees read from /proc (Linux): the descendants of a process and their CPU time.

Shared by the tests (which processes a service or a cluster started) and the bench scripts (the
CPU a whole process tree used), so the /proc walk is written once.
"""

from __future__ import annotations

import os
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
