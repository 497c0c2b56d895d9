"""The exported DAG in a real Airflow (its own virtualenv): it imports without errors, and
`airflow dags test` runs a tiny CSV -> table pipeline end to end on a local workspace.

Airflow is not a sparkwing dependency.  The virtualenv is cached at $SPARKWING_AIRFLOW_VENV
(default ~/.cache/sparkwing/airflow-2.10.5); the fixture creates it only when
SPARKWING_AIRFLOW_INSTALL=1 (pip resolves Airflow for a long time), otherwise the test skips.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
AIRFLOW = "apache-airflow==2.10.5"
SRC = Path(__file__).resolve().parents[2] / "src"
SPEC = """\
name: tiny_airflow
sources:
  raw: {uri: data/in.csv, format: csv}
tables:
  tiny_airflow.raw: {from: raw}
schedule: {cron: "0 2 * * *", timezone: Europe/Paris, retries: {max: 1, backoff_seconds: 1}}
"""


@pytest.fixture(scope="session")
def airflow_venv() -> Path:
    venv = Path(os.environ.get("SPARKWING_AIRFLOW_VENV",
                               Path.home() / ".cache" / "sparkwing" / "airflow-2.10.5"))
    airflow = venv / "bin" / "airflow"
    if not airflow.exists():
        if os.environ.get("SPARKWING_AIRFLOW_INSTALL") != "1":
            pytest.skip(f"no Airflow virtualenv at {venv}; SPARKWING_AIRFLOW_INSTALL=1 creates it")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", AIRFLOW], check=True, timeout=3600)
    return venv


def test_the_exported_dag_imports_and_runs_the_pipeline(airflow_venv: Path, tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "in.csv").write_text("id,amount\n1,2.5\n2,3.5\n")
    spec = tmp_path / "tiny.yaml"
    spec.write_text(SPEC)
    ws, out = tmp_path / "ws", tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(SRC),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "AIRFLOW_HOME": str(tmp_path / "airflow"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
           "AIRFLOW__CORE__DAGS_FOLDER": str(out / "airflow")}
    subprocess.run([sys.executable, "-m", "sparkwing", "--workspace", str(ws), "export", "airflow", str(spec),
                    "-o", str(out)], check=True, env=env, timeout=120)
    airflow = str(airflow_venv / "bin" / "airflow")
    subprocess.run([airflow, "db", "migrate"], check=True, env=env, capture_output=True, timeout=300)
    errors = subprocess.run([airflow, "dags", "list-import-errors"], env=env, capture_output=True, text=True,
                            timeout=300)
    assert "No data found" in errors.stdout, errors.stdout + errors.stderr
    done = subprocess.run([airflow, "dags", "test", "sparkwing_tiny_airflow", "2026-12-01"], env=env,
                          capture_output=True, text=True, timeout=900)
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-3000:]
    assert "Marking task as SUCCESS. dag_id=sparkwing_tiny_airflow, task_id=run" in log
    assert "state=success" in log
    runs = list((ws / "runs" / "tiny_airflow").glob("*/run.json"))
    assert len(runs) == 1 and '"status": "succeeded"' in runs[0].read_text()
