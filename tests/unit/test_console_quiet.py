"""-q/-v and what reaches the console (no JVM): log levels, the quiet reporter, engine warnings,
and a failed step's whole stack kept in the run's log folder rather than printed."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from types import SimpleNamespace

from typer.testing import CliRunner

from sparkwing.cli import _console as console
from sparkwing.cli import app
from sparkwing.pipeline._runner import _log_failure


def test_quiet_shows_errors_only_and_has_no_progress() -> None:
    try:
        console.setup_logging(False, quiet=True)
        assert logging.getLogger().level == logging.ERROR
        assert isinstance(console.reporter(quiet=True), console.QuietReporter)
        console.setup_logging(False)
        assert logging.getLogger().level == logging.INFO
    finally:
        console.setup_logging(False)


def test_engine_client_warnings_do_not_reach_the_console() -> None:
    console.setup_logging(False)
    (handler,) = logging.getLogger().handlers

    def passes(filename: str) -> bool:
        text = warnings.formatwarning("msg", UserWarning, filename, 1)
        record = logging.LogRecord("py.warnings", logging.WARNING, filename, 1, "%s", (text,), None)
        return handler.filter(record)

    assert not passes("/venv/site-packages/h2o/frame.py")
    assert passes("/repo/src/sparkwing/prep/_steps.py")


def test_verbose_and_quiet_exclude_each_other() -> None:
    result = CliRunner().invoke(app, ["-v", "-q", "runs"])
    assert result.exit_code == 2 and "exclude each other" in result.output


def test_a_failed_step_writes_its_whole_stack_to_the_run_logs(tmp_path: Path) -> None:
    ctx = SimpleNamespace(logs=SimpleNamespace(dir=str(tmp_path)), record=SimpleNamespace(attempts=1))
    try:
        raise RuntimeError("An error occurred\n: java.lang.IllegalStateException: boom\n\tat a.B(C.java:1)")
    except RuntimeError as exc:
        _log_failure(ctx, "model_x", exc)  # type: ignore[arg-type]
    text = (tmp_path / "sparkwing.log").read_text()
    assert "step model_x failed" in text and "Traceback" in text and "\tat a.B(C.java:1)" in text
