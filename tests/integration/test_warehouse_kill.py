"""SIGKILL during a publish: readers keep the old version, and a re-run completes.

Runs in child processes with their own SparkSession and workspace (Derby: one JVM per
metastore); the shared session is not involved.
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

pytestmark = [pytest.mark.spark, pytest.mark.slow]

HERE = Path(__file__).resolve().parent
SRC = HERE.parent.parent / "src"


def _start(mode: str, workspace: Path, log: Path) -> subprocess.Popen:
    path = os.pathsep.join([str(SRC), str(HERE), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}
    return subprocess.Popen(
        [sys.executable, "-m", "_warehouse_child", mode, str(workspace)],
        stdout=log.open("w"),
        stderr=log.with_suffix(".err").open("w"),
        cwd=workspace.parent,
        env=env,
        start_new_session=True,  # its own process group: the JVM and Python workers go with it
    )


def _kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def _messages(log: Path) -> dict[str, dict]:
    lines = log.read_text().splitlines() if log.exists() else []
    return {m["step"]: m for m in (json.loads(line[3:]) for line in lines if line.startswith("SW "))}


def _wait_for(what, proc: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not what():
        if proc.poll() is not None:
            err = log.with_suffix(".err").read_text()[-2000:]
            raise AssertionError(f"child exited early ({proc.returncode}): {err}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out; child output: {log.read_text()[-2000:]}")
        time.sleep(0.2)


def test_kill_during_write_keeps_old_version_and_rerun_completes(tmp_path: Path):
    workspace = tmp_path / "ws"
    v2_dir = workspace / "warehouse" / "killtest.db" / "events" / "v=2"

    log = tmp_path / "publish.log"
    proc = _start("publish-twice", workspace, log)
    try:
        _wait_for(lambda: "v2-start" in _messages(log), proc, log, timeout=300)
        # The write has begun once Spark's job directory exists; kill while tasks still run.
        _wait_for(lambda: (v2_dir / "_temporary").exists(), proc, log, timeout=120)
        time.sleep(1.0)
    finally:
        _kill(proc)
    assert _messages(log)["v1"]["rows"] == 5
    assert "v2" not in _messages(log), "the write finished before the kill; the test proved nothing"
    assert v2_dir.exists()  # a partial version directory is left behind

    log = tmp_path / "check.log"
    proc = _start("check-and-resume", workspace, log)
    try:
        proc.wait(timeout=400)
    finally:
        _kill(proc)
    assert proc.returncode == 0, log.with_suffix(".err").read_text()[-3000:]
    out = _messages(log)
    assert out["check"] == {"step": "check", "version": "1", "rows": {"v1": 5}}
    resumed = out["resumed"]
    assert (resumed["skipped"], resumed["result_rows"], resumed["version"]) == (False, 1000, "2")
    assert resumed["rows"] == {"v2": 1000} and resumed["versions"] == ["1", "2"]
    assert not (v2_dir / "_temporary").exists()
