"""The CLI on a run with a missing source and a failing `python:` step next to a good branch.

``sparkwing run`` runs in this process on the test run's SparkSession (``run_cli_here``): what
is checked here is the CLI's summary, errors, exit codes and resume hint, not the process
(tests/e2e/test_full_loop.py and test_run_lifecycle.py run real child processes).
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from sparkwing.cli import EXIT_CODES
from sparkwing.errors import SourceError, TrainingError

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.spark, pytest.mark.slow]

SPEC = """\
name: partial
sources:
  good: {uri: good.csv, format: csv}
  missing: {uri: missing.csv, format: csv}
  third: {uri: good.csv, format: csv}
datasets:
  third_clean:
    from: third
    steps:
      - python: my_steps:explode
tables:
  partial.good: {from: good}
  partial.missing: {from: missing}
  partial.third: {from: third_clean}
"""

STEPS = '''\
def explode(df, **params):
    return _helper(df)


def _helper(df):
    raise ValueError("amount must be positive")
'''


def test_partial_run_summary_traceback_and_resume_hint(run_cli_here, settings, tmp_path) -> None:
    (tmp_path / "good.csv").write_text("id,amount\n1,2.5\n2,3.5\n")
    (tmp_path / "my_steps.py").write_text(STEPS)
    (tmp_path / "pipeline.yaml").write_text(SPEC)
    ws = Path(settings.workspace)
    result = run_cli_here("run", "pipeline.yaml", cwd=tmp_path)

    assert result.exit_code == EXIT_CODES[SourceError], result.output  # the first failure's code
    [run_dir] = (ws / "runs" / "partial").iterdir()
    record = json.loads((run_dir / "run.json").read_text())
    steps = record["steps"]
    assert {n: s["status"] for n, s in steps.items()} == {
        "good": "succeeded", "missing": "failed", "third": "succeeded", "third_clean": "failed",
        "partial.good": "succeeded", "partial.missing": "skipped", "partial.third": "skipped"}
    assert steps["partial.third"]["reason"] == "upstream 'third_clean' failed"
    tb = steps["third_clean"]["user_traceback"]
    assert "my_steps.py" in tb and "in _helper" in tb and tb.rstrip().endswith(
        "ValueError: amount must be positive")
    assert "sparkwing" not in tb.replace(str(tmp_path), "")  # the user's frames only

    # The summary shows every step's outcome; the traceback is shown on the failing step.
    assert "upstream 'missing' failed" in result.stdout and "skipped" in result.stdout
    assert "step third_clean failed in your code:" in result.stderr
    assert 'my_steps.py", line 6, in _helper' in result.stderr
    # The error prints once, and the resume hint is a command that names the real spec.
    assert len(re.findall(r"^error: ", result.stderr, re.M)) == 1, result.stderr
    assert "error: source 'missing': not found" in result.stderr
    [hint] = [line for line in result.stderr.splitlines() if line.startswith("resume with: ")]
    words = shlex.split(hint.removeprefix("resume with: "))
    assert words == ["sparkwing", "--workspace", str(ws), "run", "pipeline.yaml",
                     "--resume", record["run_id"]]


WRONG_TARGET = """\
name: wrongtarget
sources:
  good: {uri: good.csv, format: csv}
tables:
  wt.good: {from: good}
models:
  loan_default: {from: wt.good, target: bad_loan, algorithm: {name: glm}}
scores:
  wt.scores: {model: loan_default@latest, from: wt.good}
"""


@pytest.mark.h2o  # the model step attaches to the session's H2O cloud (after the lock-down checks)
def test_a_spec_mistake_found_at_run_time_names_the_model_and_offers_no_resume(
        run_cli_here, h2o, tmp_path) -> None:
    (tmp_path / "good.csv").write_text("id,amount\n1,2.5\n2,3.5\n")
    (tmp_path / "pipeline.yaml").write_text(WRONG_TARGET)
    result = run_cli_here("run", "pipeline.yaml", "--fail-fast", cwd=tmp_path)

    assert result.exit_code == EXIT_CODES[TrainingError], result.output
    assert len(re.findall(r"^error: ", result.stderr, re.M)) == 1, result.stderr
    assert "hint: check models.loan_default.target in the spec" in result.stderr
    assert "<name>" not in result.stderr and "resume with" not in result.stderr  # a fixed spec refuses
    assert "None" not in result.stdout, result.stdout  # the score step that never ran says nothing
