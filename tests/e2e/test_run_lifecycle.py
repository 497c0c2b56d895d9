"""A real run through the CLI: publish, a concurrent run refused, SIGKILL mid-publish, resume.

The crash case of docs/warehouse.md: the run's process (and its JVM) is killed with SIGKILL while
Spark writes the new version; a fresh process then reads exactly the previous version (through
the metastore and without a JVM), and the resumed run completes the publish, leaving no partial
write behind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sparkwing.cli import EXIT_CODES
from sparkwing.errors import WorkspaceBusy

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.spark, pytest.mark.slow]

SPEC = """\
name: lifecycle
sources:
  loans_raw: {{uri: "{csv}", format: csv}}
datasets:
  loans_clean:
    from: loans_raw
    steps:
      - cast: {{int_rate: double, bad_loan: int}}
      - derive: {{loan_to_income: "loan_amnt / annual_inc"}}
    checks:
      - not_null: [bad_loan]
tables:
  credit.loans: {{from: loans_clean, format: parquet}}
"""


def _write_input(path: Path, rows: int, seed: int) -> None:
    base = pd.read_csv(ROOT / "tests" / "data" / "loan.csv")
    rng = np.random.default_rng(seed)
    base.iloc[rng.integers(0, len(base), rows)].to_csv(path, index=False)


def _env() -> dict[str, str]:
    return {**os.environ, "SPARKWING__SPARK__MASTER": "local[2]",
            "SPARKWING__SPARK__SHUFFLE_PARTITIONS": "2"}


def _start(ws: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "sparkwing", "--workspace", str(ws), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(), cwd=ROOT,
    )


def _run_json(ws: Path, pipeline: str) -> list[dict]:
    runs = ws / "runs" / pipeline
    out = []
    for d in sorted(runs.glob("*/run.json")):
        try:
            out.append(json.loads(d.read_text()))
        except ValueError:
            pass  # being rewritten (atomic rename makes this rare)
    return out


def test_kill_during_publish_then_resume(run_cli, tmp_path) -> None:
    ws = tmp_path / "ws"
    small, big = tmp_path / "small.csv", tmp_path / "big.csv"
    _write_input(small, 1_000, seed=1)
    _write_input(big, 120_000, seed=2)
    spec = tmp_path / "pipeline.yaml"
    spec.write_text(SPEC.format(csv=small))
    first = run_cli("run", str(spec), workspace=ws)
    assert first.returncode == 0, first.stderr

    spec.write_text(SPEC.format(csv=big))
    proc = _start(ws, "run", str(spec))
    try:
        table_dir = ws / "warehouse" / "credit.db" / "loans"
        deadline = time.monotonic() + 900
        killed_run = None
        checked_busy = False
        while time.monotonic() < deadline and proc.poll() is None:
            runs = [r for r in _run_json(ws, "lifecycle") if r["status"] == "running"]
            if runs and not checked_busy:
                # A second run of the same pipeline is refused, naming the running one.
                refused = run_cli("run", str(spec), workspace=ws, timeout=120)
                assert refused.returncode == EXIT_CODES[WorkspaceBusy], refused.stderr
                assert runs[0]["run_id"] in refused.stderr
                checked_busy = True
                continue
            step = runs[0]["steps"].get("credit.loans") if runs else None
            if step and step["status"] == "running" and (table_dir / f"v={runs[0]['run_id']}").exists():
                os.kill(proc.pid, signal.SIGKILL)
                killed_run = runs[0]["run_id"]
                break
            time.sleep(0.01)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert killed_run is not None, "the run finished before it could be killed mid-publish"

    # The previous version is intact and readable.
    count = run_cli("sql", "SELECT count(*) AS n FROM credit.loans", workspace=ws)
    assert count.returncode == 0, count.stderr
    assert "1000" in count.stdout.replace(",", "")
    fast = run_cli("sql", "--engine", "duckdb", "SELECT count(*) AS n FROM credit.loans", workspace=ws)
    assert fast.returncode == 0, fast.stderr  # the history still names the previous version
    assert "1000" in fast.stdout.replace(",", "")

    resumed = run_cli("run", str(spec), "--resume", killed_run, workspace=ws)
    assert resumed.returncode == 0, resumed.stderr
    record = json.loads((ws / "runs" / "lifecycle" / killed_run / "run.json").read_text())
    assert record["status"] == "succeeded" and record["attempts"] == 2
    assert record["steps"]["credit.loans"]["rows_out"] == 120_000
    assert not list(table_dir.rglob("_temporary")), "the killed write's leftovers were not cleared"
    assert any("stale lock" in e["message"] for e in record["events"])
    count = run_cli("sql", "SELECT count(*) AS n FROM credit.loans", workspace=ws)
    assert "120000" in count.stdout.replace(",", "")
    fast = run_cli("sql", "-e", "duckdb", "SELECT count(*) AS n FROM credit.loans", workspace=ws)
    assert "120000" in fast.stdout.replace(",", "")
