"""End-to-end tests drive the real ``sparkwing`` command in a child process.

Each child has its own JVM and its own workspace (embedded Derby allows one JVM per
metastore), so these never touch the session SparkSession's workspace.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def sparkwing_cmd(*args: str, workspace: Path, cwd: Path | None = None, timeout: int = 600,
                  env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "SPARKWING__SPARK__MASTER": "local[2]",
                "SPARKWING__SPARK__SHUFFLE_PARTITIONS": "2", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "sparkwing", "--workspace", str(workspace), *args],
        capture_output=True, text=True, cwd=cwd or ROOT, timeout=timeout, env=full_env,
    )


@pytest.fixture(scope="session")  # a plain function: module-scoped fixtures may use it too
def run_cli():
    return sparkwing_cmd


@pytest.fixture()
def run_cli_here(spark, settings, monkeypatch: pytest.MonkeyPatch):  # noqa: ARG001 - spark: the session's own settings
    """``sparkwing --workspace <the session's workspace> ARGS`` in this process, on the test run's
    one SparkSession (and H2O cloud): a child process costs a driver JVM (and an H2O cloud).

    Returns click's ``Result`` (``exit_code``, ``stdout``, ``stderr`` apart).  ``sparkwing run``
    stops Spark and H2O when the run ends, as the process exits next; here the shared session must
    live on, so that stop is left out.  Commands run in ``cwd`` (a spec's relative paths, ``python:``
    steps).  For what only a real process shows (signals, the JVM's own console output, ports),
    use ``run_cli``.  ``spark`` is requested so that the session is the suite's (its master and
    memory), never one the command started with its own settings.
    """
    from typer.testing import CliRunner

    import sparkwing.pipeline._runner as runner
    from sparkwing.cli import app

    monkeypatch.setattr(runner, "_stop_engine", lambda ctx: None)

    def invoke(*args: str, cwd: Path):
        monkeypatch.chdir(cwd)
        monkeypatch.syspath_prepend(str(cwd))  # a child's sys.path[0] is its working directory
        return CliRunner().invoke(app, ["--workspace", settings.workspace, *args], env={"COLUMNS": "200"})

    return invoke


@pytest.fixture()
def cli_here(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """``sparkwing --workspace WS ARGS`` through the real entry point (``sparkwing.cli.main``) in this
    process, for commands that start no JVM: what a child process would print and exit with,
    without the interpreter start and imports of a child (about a second each).  Same environment
    and working directory as ``run_cli``; returns a ``CompletedProcess``.
    """
    from sparkwing.cli import main

    def invoke(*args: str, workspace: Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        monkeypatch.chdir(cwd or ROOT)
        monkeypatch.setenv("SPARKWING__SPARK__MASTER", "local[2]")
        monkeypatch.setenv("SPARKWING__SPARK__SHUFFLE_PARTITIONS", "2")
        capsys.readouterr()  # what came before is not this command's
        try:
            main(["--workspace", str(workspace), *args])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        out = capsys.readouterr()
        return subprocess.CompletedProcess(["sparkwing", *args], code, out.out, out.err)

    return invoke
