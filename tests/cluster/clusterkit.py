"""Helpers for the cluster tests: the test spec, child drivers, run records."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from standalone import StandaloneCluster, cluster_env

ROOT = Path(__file__).resolve().parents[2]
# Bad lines appended to the loans CSV so that ingest quarantines something (2 short, 1 long).
BAD_LINES = (
    '1000,"36 months"\n7,7\n1,"36 months",1,1,"RENT",1.0,"car","AZ",1,0,1,1,0,1,"verified",extra,fields\n'
)


def loans_spec(dest: Path) -> Path:
    """The loans demo spec with a small AutoML budget and three malformed input lines."""
    shutil.copytree(ROOT / "examples" / "loans", dest, dirs_exist_ok=True)
    spec = dest / "pipeline.yaml"
    text = spec.read_text()
    old = "automl: {max_models: 6, nfolds: 3,"
    assert old in text
    spec.write_text(text.replace(old, "automl: {max_models: 2, nfolds: 2,"))
    with open(dest / "data" / "loan.csv", "a") as fh:
        fh.write(BAD_LINES)
    return spec


def driver_env(cluster: StandaloneCluster) -> dict[str, str]:
    env = cluster_env()
    env.update({
        "SPARKWING__SPARK__EXECUTOR_MEMORY": "2g",
        "SPARKWING__SPARK__EXECUTOR_CORES": "1",
        "SPARKWING__SPARK__EXECUTOR_INSTANCES": "2",
        "SPARKWING__SPARK__SHUFFLE_PARTITIONS": "4",
        "SPARKWING__SPARK__DRIVER_MEMORY": "1g",
    })
    return env


def start_driver(
    cluster: StandaloneCluster, workspace: Path, *args: str, log: Path
) -> subprocess.Popen[bytes]:
    """``python -m sparkwing --master <cluster> --workspace <ws> ARGS`` as a child process."""
    fh = open(log, "ab")  # noqa: SIM115 - handed to the child
    cmd = [sys.executable, "-m", "sparkwing", "--master", cluster.master_url, "--workspace", str(workspace)]
    cmd += args
    proc = subprocess.Popen(
        cmd,
        stdout=fh,
        stderr=subprocess.STDOUT,
        env=driver_env(cluster),
        cwd=workspace.parent,
        start_new_session=True,
    )
    fh.close()
    return proc


def records(workspace: Path, pipeline: str = "loans") -> list[dict]:
    out = []
    for p in sorted((workspace / "runs" / pipeline).glob("*/run.json")):
        try:
            out.append(json.loads(p.read_text()))
        except (OSError, ValueError):  # written atomically, but be safe while polling
            continue
    return out


def wait_for(
    pred, timeout: float, what: str, proc: subprocess.Popen[bytes] | None = None, log: Path | None = None
):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = pred()
        if got:
            return got
        if proc is not None and proc.poll() is not None:
            tail = log.read_text()[-3000:] if log else ""
            raise AssertionError(f"driver exited ({proc.returncode}) before {what}:\n{tail}")
        time.sleep(1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def step_status(workspace: Path, step: str) -> str | None:
    recs = records(workspace)
    return recs[-1]["steps"].get(step, {}).get("status") if recs else None


def finish(proc: subprocess.Popen[bytes], timeout: float = 900) -> int:
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.wait()
        raise


def start_submit(
    cluster: StandaloneCluster, workspace: Path, spec: Path, *args: str, log: Path
) -> subprocess.Popen[bytes]:
    """The same run through ``spark-submit`` (as an EMR step runs it), with sparkwing's submit line."""
    from standalone import spark_home

    from sparkwing.cli import submit_command
    from sparkwing.config import load_settings

    settings = load_settings({
        "workspace": str(workspace),
        "spark": {"master": cluster.master_url, "executor_memory": "2g", "executor_cores": 1,
                  "executor_instances": 2, "shuffle_partitions": 4, "driver_memory": "1g"},
    })
    line = submit_command(settings, str(spec)) + list(args)
    line[0] = str(Path(spark_home()) / "bin" / "spark-submit")
    # The submitted driver gets no SPARKWING__ settings: the submit line carries them.
    env = {k: v for k, v in driver_env(cluster).items() if not k.startswith("SPARKWING__")}
    fh = open(log, "ab")  # noqa: SIM115 - handed to the child
    proc = subprocess.Popen(line, stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=workspace.parent,
                            start_new_session=True)
    fh.close()
    return proc
