"""``sparkwing serve --workers 2``: two processes answer on one port, each with its own models,
and an alias switch in the registry reaches both (real HTTP on 127.0.0.1)."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import psutil
from conftest import PROSTATE_ROW
from procs import cmdline

from servers import sparkwing_server
from sparkwing.registry import Registry
from sparkwing.workspace import Workspace

BODY = json.dumps({"rows": [PROSTATE_ROW]}).encode()
REQUEST = (b"POST /v1/models/prostate:predict HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           b"Content-Type: application/json\r\nContent-Length: "
           + str(len(BODY)).encode() + b"\r\n\r\n" + BODY)


def _ask(port: int, server: int) -> tuple[int, int]:
    """One predict on a fresh connection: (the worker process that answered, the version)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(REQUEST)
        data = b""
        while b"\r\n\r\n" not in data:
            data += s.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length")))
        while len(body) < length:
            body += s.recv(65536)
        assert head.startswith(b"HTTP/1.1 200"), data[:300]
        local = s.getsockname()[1]
        # The worker holding the other end of this (still open) connection.
        for child in psutil.Process(server).children(recursive=True):
            for conn in child.net_connections(kind="tcp"):
                if conn.raddr and conn.raddr.port == local:
                    return child.pid, int(json.loads(body)["version"])
    raise AssertionError("no worker holds the connection")


def test_an_alias_switch_reaches_every_worker(workspace: Path) -> None:
    reg = Registry(Workspace(workspace))
    with sparkwing_server(["serve", "-w", str(workspace), "-m", "prostate", "--workers", "2", "--poll", "0.2",
                           "--rate-limit", "0"], ready="/readyz", timeout=120) as (_, port, proc):
        # Every answer is a 200 from the first /readyz on: a worker takes no connection before
        # its models are loaded (before: a loading worker answered its share 503 while its
        # sibling's /readyz said 200 -- bench/serve.py --workers 2 hit it on every run).
        seen: dict[int, int] = {}
        deadline = time.monotonic() + 60
        while len(seen) < 2 or set(seen.values()) != {1}:  # both workers up, both on v1
            assert time.monotonic() < deadline, f"workers seen: {seen}"
            pid, version = _ask(port, proc.pid)
            seen[pid] = version
        reg.set_alias("prostate", "production", 2, reason="test: switch under two workers")
        switched: dict[int, int] = {}
        deadline = time.monotonic() + 60
        while set(switched) != set(seen) or set(switched.values()) != {2}:
            assert time.monotonic() < deadline, f"after the switch: {switched}"
            pid, version = _ask(port, proc.pid)
            switched[pid] = version
        assert len(switched) == 2
        # Forked from the supervisor after its imports (a spawned worker runs `-c from
        # multiprocessing.spawn import spawn_main ...` and imports FastAPI and NumPy again).
        assert all(cmdline(pid) == cmdline(proc.pid) for pid in switched)
