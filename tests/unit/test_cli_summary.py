"""The run summary and the error edges of the CLI say only what is known (no JVM)."""

from __future__ import annotations

import pytest

from sparkwing.cli import _console as console
from sparkwing.errors import ConfigError, SourceError, TrainingError
from sparkwing.pipeline import RunRecord, StepRecord


def _record(status: str) -> RunRecord:
    steps = {name: StepRecord(name=name, kind=kind, status=status)  # type: ignore[arg-type]
             for name, kind in (("raw", "sources"), ("clean", "datasets"), ("db.t", "tables"),
                                ("m", "models"), ("db.scores", "scores"))}
    return RunRecord(run_id="r1", pipeline="p", spec_hash="h", status="failed", steps=steps)


@pytest.mark.parametrize("status", ["pending", "running", "failed", "skipped"])
def test_unfinished_steps_show_no_none(status: str, capsys: pytest.CaptureFixture[str]) -> None:
    console.print_summary(_record(status), show_error=False)
    out = capsys.readouterr()
    assert "None" not in out.out and "None" not in out.err
    assert "vNone" not in out.out and "version None" not in out.out


def test_which_errors_a_resume_can_fix() -> None:
    assert ConfigError("bad spec").in_spec
    assert not SourceError("file not there yet").in_spec and not TrainingError("lost node").in_spec
    assert TrainingError("target column 'x' is not in the data", in_spec=True).in_spec
