"""Issue 17 (items 1 and 2): a run's console shows sparkwing's lines only, engine logs go to
``<workspace>/logs/<run_id>/``, and another process on H2O's default port does not break it."""

from __future__ import annotations

import json
import re
import socket
from contextlib import ExitStack
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.spark, pytest.mark.h2o, pytest.mark.slow]

SPEC = """\
name: quiet
sources:
  raw: {{uri: {data}}}
datasets:
  clean:
    from: raw
    steps:
      - drop: [ID]
      - cast: {{CAPSULE: int, PSA: double, VOL: double}}
tables:
  clinic.quiet: {{from: clean}}
models:
  xgb:
    from: clinic.quiet
    target: CAPSULE
    task: binary
    split: {{ratio: 0.75, seed: 7}}
    algorithm: {{name: xgboost, params: {{ntrees: 5, max_depth: 3, seed: 7}}}}
"""
# What the engine printed on the console before: log4j lines, Spark's banner, H2O's log,
# XGBoost's native warning, the H2O client's progress bars, Java stack frames.
NOISE = [
    re.compile(r"^\d\d/\d\d/\d\d \d\d:\d\d:\d\d (TRACE|DEBUG|INFO|WARN|ERROR|FATAL) "),  # log4j
    re.compile(r"Setting default log level|setLogLevel|NativeCodeLoader"),
    re.compile(r"water\.default|\b(WARN|ERROR|FATAL) (water|ai\.h2o|org\.apache|hex)\."),  # H2O's log
    re.compile(r"No visible GPU|learner\.cc|xgboost4j", re.IGNORECASE),
    re.compile(r"\|[_█]{10,}\|"),  # progress bars
    re.compile(r"^\s+at [\w.$]+\(.*\)$"),  # Java stack frames
]


def _hold(port: int, stack: ExitStack) -> None:
    """Listen on 127.0.0.1:port (if nobody does already) for the duration of the test."""
    sock = stack.enter_context(socket.socket())
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen()
    except OSError:
        pass  # already taken by another process: the same situation


def test_a_run_prints_only_sparkwings_lines_and_survives_a_busy_h2o_port(run_cli, tmp_path) -> None:
    spec = tmp_path / "pipeline.yaml"
    spec.write_text(SPEC.format(data=ROOT / "examples" / "prostate" / "data" / "prostate.csv"))
    ws = tmp_path / "ws"
    with ExitStack() as stack:
        for port in (54321, 54322):  # another H2O on this machine holds the default ports
            _hold(port, stack)
        result = run_cli("run", str(spec), workspace=ws, timeout=1200)
    console = result.stdout + result.stderr
    assert result.returncode == 0, console[-3000:]
    noisy = [line for line in console.splitlines() if any(p.search(line) for p in NOISE)]
    assert noisy == [], "engine output on the console:\n" + "\n".join(noisy[:20])
    assert "sparkwing.engine: H2O" in console  # sparkwing's own lines are still there

    (record_path,) = (ws / "runs" / "quiet").glob("*/run.json")
    record = json.loads(record_path.read_text())
    logs = Path(record["logs"])
    assert logs == ws.resolve() / "logs" / record["run_id"]
    engine_output = (logs / "jvm.out").read_text() + (logs / "spark.log").read_text()
    assert "No visible GPU" in engine_output or "water.default" in engine_output  # moved, not lost
    assert any((logs / "h2o").rglob("*.log")), "the H2O node's own log files"
    assert record["steps"]["xgb"]["status"] == "succeeded"
