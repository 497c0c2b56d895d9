"""``python -m sparkwing <command>`` as a real server process on 127.0.0.1, for the tests."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

SRC = Path(__file__).resolve().parents[1] / "src"
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}


def stop_process(proc: subprocess.Popen, *, stop: int = signal.SIGTERM, timeout: float = 10) -> None:
    """Send ``stop`` to a server the tests started, wait up to ``timeout`` s, then kill it."""
    if proc.poll() is None:
        proc.send_signal(stop)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def sparkwing_server(
    args: list[str], *, ready: str, timeout: float = 60, stop: int = signal.SIGINT,
    cwd: Path | None = None, env: dict[str, str] | None = None, ca: Path | None = None,
) -> Iterator[tuple[str, int, subprocess.Popen[bytes]]]:
    """Start ``sparkwing ARGS --port P``, wait until ``GET ready`` answers 200, yield
    ``(base_url, port, process)``; stop it with ``stop`` (killed after 20 s) on the way out.

    ``env`` adds environment variables; ``ca`` (a CA's PEM file) means the server speaks https
    with a certificate that CA signed."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sparkwing", *args, "--port", str(port)],
        env={**ENV, **(env or {})}, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"{'https' if ca else 'http'}://127.0.0.1:{port}"
    verify = ssl.create_default_context(cafile=str(ca)) if ca else True
    try:
        deadline = time.monotonic() + timeout
        while True:
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]  # type: ignore[union-attr]
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(base + ready, timeout=2, verify=verify).status_code == 200:
                    break
            assert time.monotonic() < deadline, f"sparkwing {args[0]} not ready in {timeout:g} s"
            time.sleep(0.1)
        yield base, port, proc
    finally:
        stop_process(proc, stop=stop, timeout=20)
        if proc.stderr is not None:
            proc.stderr.close()
