"""The whole loop through the CLI: ingest → clean → publish → train → register → promote →
score on Spark; then the same model scored in pure Python (sparkwing.mojo) must agree with
the Spark batch scores on every row.

The same run (one child process: its own driver JVM and H2O cloud) also carries issue 17
(items 1 and 2): its console shows sparkwing's lines only, the engine's logs go to
``<workspace>/logs/<run_id>/``, and another process on H2O's default ports does not break it.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

from sparkwing import mojo

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.spark, pytest.mark.h2o, pytest.mark.slow]

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
    """Listen on 127.0.0.1:port (if nobody does already) for the duration of the run."""
    sock = stack.enter_context(socket.socket())
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen()
    except OSError:
        pass  # already taken by another process: the same situation


@pytest.fixture(scope="module")
def prostate_run(run_cli, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """``sparkwing run examples/prostate/pipeline.yaml`` once, while another process holds
    H2O's default ports; the tests below look at its console, record, tables and models."""
    tmp_path = tmp_path_factory.mktemp("full_loop")
    example = tmp_path / "prostate"
    shutil.copytree(ROOT / "examples" / "prostate", example)
    ws = tmp_path / "ws"
    with ExitStack() as stack:
        for port in (54321, 54322):  # another H2O on this machine holds the default ports
            _hold(port, stack)
        result = run_cli("run", str(example / "pipeline.yaml"), workspace=ws, timeout=1500)
    console = result.stdout + result.stderr
    assert result.returncode == 0, console[-3000:]
    (record_path,) = (ws / "runs" / "prostate").glob("*/run.json")
    return {"result": result, "console": console, "ws": ws, "record": json.loads(record_path.read_text())}


def test_prostate_loop_and_python_scoring_agree(run_cli, prostate_run: dict[str, Any]) -> None:
    result, ws, record = prostate_run["result"], prostate_run["ws"], prostate_run["record"]
    assert "promoting" in result.stdout
    assert record["status"] == "succeeded"
    steps = record["steps"]
    assert steps["prostate_raw"]["rows_in"] == 380
    assert steps["clinic.prostate_scores_glm"]["rows_out"] == 380
    assert steps["prostate_glm"]["details"]["promotion"]["promote"] is True

    aliases = json.loads((ws / "models" / "prostate_glm" / "aliases.json").read_text())
    assert "production" in json.dumps(aliases)

    for model, table in (("prostate_glm", "prostate_scores_glm"), ("prostate_xgb", "prostate_scores_xgb")):
        location = Path(steps[f"clinic.{table}"]["details"]["location"].removeprefix("file:"))
        scores = pq.read_table(location).to_pandas().sort_values(["AGE", "PSA", "VOL", "GLEASON"])
        version = steps[model]["details"]["version"]
        assert set(scores["model_version"].astype(int)) == {version}
        python_model = mojo.load(ws / "models" / model / str(version) / "model.mojo")
        ours = python_model.predict(scores.drop(columns=["predict", "p0", "p1", "model_name",
                                                         "model_version"]))
        assert np.allclose(ours["p1"].to_numpy(), scores["p1"].to_numpy(), atol=1e-9, rtol=0)
        assert (ours["predict"].astype(str).to_numpy() == scores["predict"].astype(str).to_numpy()).all()

    listed = run_cli("models", workspace=ws)
    assert "prostate_glm" in listed.stdout and "production" in listed.stdout


def test_a_run_prints_only_sparkwings_lines_and_survives_a_busy_h2o_port(
        prostate_run: dict[str, Any]) -> None:
    console, ws, record = prostate_run["console"], prostate_run["ws"], prostate_run["record"]
    noisy = [line for line in console.splitlines() if any(p.search(line) for p in NOISE)]
    assert noisy == [], "engine output on the console:\n" + "\n".join(noisy[:20])
    assert "sparkwing.engine: H2O" in console  # sparkwing's own lines are still there

    logs = Path(record["logs"])
    assert logs == ws.resolve() / "logs" / record["run_id"]
    engine_output = (logs / "jvm.out").read_text() + (logs / "spark.log").read_text()
    assert "No visible GPU" in engine_output or "water.default" in engine_output  # moved, not lost
    assert any((logs / "h2o").rglob("*.log")), "the H2O node's own log files"
    assert record["steps"]["prostate_xgb"]["status"] == "succeeded"
