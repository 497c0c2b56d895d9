"""``sparkwing flow`` as a real process: login enforced, all on 127.0.0.1, SIGTERM stops it cleanly."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from base64 import b64encode
from pathlib import Path

import pytest
from sockets import listening

pytestmark = [pytest.mark.spark, pytest.mark.h2o]

SRC = Path(__file__).resolve().parents[2] / "src"


def status(url: str, auth: tuple[str, str] | None = None) -> int:
    req = urllib.request.Request(url)
    if auth:
        req.add_header("Authorization", "Basic " + b64encode(f"{auth[0]}:{auth[1]}".encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=20) as resp:  # noqa: S310 - loopback test URL
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def java_children(pid: int) -> list[int]:
    import psutil

    return [p.pid for p in psutil.Process(pid).children(recursive=True) if "java" in p.name()]


def test_flow_serves_h2o_with_login_on_loopback_and_stops_on_sigterm(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
           "SPARKWING__SPARK__MASTER": "local[1]", "SPARKWING__SPARK__DRIVER_MEMORY": "1g",
           "SPARKWING__SPARK__SHUFFLE_PARTITIONS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "sparkwing", "--workspace", str(tmp_path / "ws"), "flow"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)  # type: ignore[arg-type]
    reader.start()
    try:
        deadline = time.monotonic() + 600
        while not any("password in" in line for line in lines):
            assert proc.poll() is None, proc.stderr.read()[-3000:]  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "sparkwing flow did not come up"
            time.sleep(0.5)
        out = "".join(lines)
        url = re.search(r"H2O Flow on (http://\S+)", out).group(1)  # type: ignore[union-attr]
        creds = Path(re.search(r"password in (\S+)", out).group(1))  # type: ignore[union-attr]
        assert url.startswith("http://127.0.0.1:")
        assert creds.stat().st_mode & 0o777 == 0o600
        fields = dict(line.split(": ", 1) for line in creds.read_text().splitlines())
        assert fields["password"] not in out
        assert status(url + "/3/Cloud") == 401
        assert status(url + "/3/Cloud", (fields["user"], "wrong")) == 401
        assert status(url + "/3/Cloud", (fields["user"], fields["password"])) == 200
        jvms = java_children(proc.pid)
        assert jvms
        public = [str(s) for pid in jvms for s in listening(pid) if not s.loopback]
        assert public == []
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=120) == 0, proc.stderr.read()[-3000:]  # type: ignore[union-attr]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(5)
    assert not creds.exists() and not creds.parent.exists()  # the login folder went with H2O
    time.sleep(1)
    import psutil

    assert not [pid for pid in jvms if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]
