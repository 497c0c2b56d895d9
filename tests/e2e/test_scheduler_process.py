"""The real `sparkwing scheduler` process: one per workspace, SIGTERM stops it cleanly, a
SIGKILLed one is taken over on restart; `schedules` and `scheduler status` report.

The pipeline's cron never fires during the test, so no JVM starts (the real runs are in
tests/integration/test_scheduler_runs.py).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
SPEC = """\
name: yearly
sources:
  raw: {uri: in.csv, format: csv}
schedule: {cron: "0 0 1 1 *", timezone: Europe/Paris}
"""


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}


def _cli(ws: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sparkwing", "--workspace", str(ws), *args],
                          capture_output=True, text=True, env=_env(), timeout=120, check=False)


def _start(ws: Path, spec: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "sparkwing", "--workspace", str(ws), "scheduler", "start",
                             "--foreground", "--poll", "0.2", str(spec)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())


def _wait_for_lock(ws: Path, pid: int) -> dict:
    lock = ws / "schedule" / "scheduler.json"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if lock.exists():
            info = json.loads(lock.read_text())
            if info["pid"] == pid:
                return info
        time.sleep(0.1)
    pytest.fail("the scheduler did not take the workspace")


@pytest.fixture()
def spec(tmp_path: Path) -> Path:
    path = tmp_path / "yearly.yaml"
    path.write_text(SPEC)
    return path


def test_one_scheduler_sigterm_stops_it_and_a_sigkilled_one_is_taken_over(tmp_path: Path, spec: Path) -> None:
    ws = tmp_path / "ws"
    first = _start(ws, spec)
    try:
        _wait_for_lock(ws, first.pid)
        second = _cli(ws, "scheduler", "start", "--foreground", str(spec))
        assert second.returncode == 6, second.stderr  # WorkspaceBusy
        assert "a scheduler already runs on this workspace" in second.stderr
        status = _cli(ws, "scheduler", "status")
        assert f"scheduler pid {first.pid}" in status.stdout and "yearly: last -" in status.stdout
        first.send_signal(signal.SIGTERM)
        _, err = first.communicate(timeout=60)
        assert first.returncode == 0, err
        assert "scheduler stopped" in err
        assert not (ws / "schedule" / "scheduler.json").exists()
    finally:
        if first.poll() is None:
            first.kill()
    # SIGKILL leaves the file behind; the next scheduler sees its pid is gone and takes over.
    killed = _start(ws, spec)
    _wait_for_lock(ws, killed.pid)
    killed.kill()
    killed.communicate(timeout=60)
    assert json.loads((ws / "schedule" / "scheduler.json").read_text())["pid"] == killed.pid
    again = _start(ws, spec)
    try:
        _wait_for_lock(ws, again.pid)
        stop = _cli(ws, "scheduler", "stop")
        assert f"asked scheduler pid {again.pid} to stop" in stop.stdout
        again.communicate(timeout=60)
        assert again.returncode == 0
    finally:
        if again.poll() is None:
            again.kill()


def test_schedules_lists_the_next_fires_in_the_pipelines_timezone(tmp_path: Path, spec: Path) -> None:
    shown = _cli(tmp_path / "ws", "schedules", str(tmp_path), "--next", "2")
    assert shown.returncode == 0, shown.stderr
    assert "yearly: cron '0 0 1 1 *' Europe/Paris" in shown.stdout
    assert shown.stdout.count("next ") == 2 and "-01-01T00:00:00+01:00" in shown.stdout
