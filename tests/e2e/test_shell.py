"""``sparkwing shell`` driven through a pty: the plain REPL publishes a table (a pipeline run through
the Python API), then the IPython shell on the same workspace lists it, runs SQL on it and trains a
small GLM.  Two shells, two JVMs: the table is not published by a third process first."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pexpect = pytest.importorskip("pexpect")

pytestmark = [pytest.mark.spark, pytest.mark.h2o, pytest.mark.slow]

SPEC = """
name: shell_demo
sources:
  loans_raw: {{uri: {data}}}
datasets:
  loans:
    from: loans_raw
    steps:
      - cast: {{bad_loan: int}}
      - select: [loan_amnt, int_rate, annual_inc, bad_loan]
tables:
  demo.loans: {{from: loans}}
"""
PROMPT = r"(In \[\d+\]: |>>> )"
STATE: dict[str, Path] = {}  # the workspace the plain REPL published demo.loans in


def _spec(tmp_path: Path) -> Path:
    spec = tmp_path / "demo.yaml"
    spec.write_text(SPEC.format(data=ROOT / "examples" / "loans" / "data" / "loan.csv"))
    return spec


def test_plain_repl_has_the_same_names_and_runs_a_pipeline(tmp_path: Path) -> None:
    """``--plain`` (what users without IPython get): the banner, then spark, sw and ws at ``>>>``;
    a pipeline run there publishes ``demo.loans`` for the next test."""
    ws = tmp_path / "ws"
    spec = _spec(tmp_path)
    env = {**os.environ, "TERM": "dumb", "SPARKWING__SPARK__SHUFFLE_PARTITIONS": "2",
           "SPARKWING__SPARK__DRIVER_MEMORY": "1g"}
    child = pexpect.spawn(sys.executable, ["-m", "sparkwing", "--workspace", str(ws), "shell",
                                           "--plain", "--master", "local[1]"],
                          cwd=str(tmp_path), env=env, encoding="utf-8", timeout=300)
    try:
        child.expect(r"shell \(Python REPL\)")
        child.expect(">>> ")
        child.sendline('print("ANSWER", spark.sql("SELECT 40 + 2 AS n").first().n, type(ws).__name__, '
                       'callable(sw.read), callable(h2o))')
        child.expect(r"ANSWER (\d+) (\w+) (\w+) (\w+)")
        assert child.match.groups() == ("42", "Workspace", "True", "True")
        child.expect(">>> ")
        child.sendline(f'print("RUN", sw.Pipeline.from_yaml({str(spec)!r}).run(workspace=ws).status)')
        child.expect(r"RUN (\w+)", timeout=600)
        assert child.match.group(1) == "succeeded"
        child.expect(">>> ")
        child.sendline("exit()")
        child.expect(pexpect.EOF, timeout=120)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0, child.before
    STATE["ws"] = ws


def test_shell_runs_sql_on_a_published_table_and_trains(run_cli, tmp_path: Path) -> None:
    ws = STATE.get("ws")
    if ws is None:  # run on its own: publish the table with `sparkwing run` first
        ws = tmp_path / "ws"
        published = run_cli("run", str(_spec(tmp_path)), workspace=ws)
        assert published.returncode == 0, published.stderr

    env = {**os.environ, "TERM": "dumb", "SPARKWING__SPARK__SHUFFLE_PARTITIONS": "2",
           "SPARKWING__SPARK__DRIVER_MEMORY": "2g"}
    child = pexpect.spawn(sys.executable, ["-m", "sparkwing", "--workspace", str(ws), "shell",
                                           "--master", "local[2]"],
                          cwd=str(tmp_path), env=env, encoding="utf-8", timeout=300)
    try:
        child.expect(r"Spark UI: (\S+)")
        ui = child.match.group(1)
        assert ui.startswith("http://"), ui
        child.expect(r"demo\.loans \(v\S+, 999 rows\)")
        child.expect(PROMPT)
        child.sendline('print("ROWS", spark.sql("SELECT count(*) AS n FROM demo.loans WHERE bad_loan = 1")'
                       '.first().n)')
        child.expect(r"ROWS (\d+)")
        assert int(child.match.group(1)) > 0
        child.expect(PROMPT)
        child.sendline('m = sw.fit("demo.loans", target="bad_loan", algorithm={"name": "glm", '
                       '"params": {"seed": 1}}, workspace=ws, register="shell_glm"); '
                       'print("TRAINED", m.algorithm, m.ref)')
        child.expect(r"TRAINED (\S+) (\S+)", timeout=600)
        assert child.match.group(1).lower() == "glm" and child.match.group(2) == "shell_glm@1"
        child.expect(PROMPT)
        child.sendline("exit()")
        child.expect(pexpect.EOF, timeout=120)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0, child.before
    assert (ws / "models" / "shell_glm" / "1" / "card.json").exists()

