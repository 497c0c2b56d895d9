"""The CLI keeps an invocation's options in typer's context, not in a module global (no JVM)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

import sparkwing.cli._app as cli_app
from sparkwing.cli import app
from sparkwing.registry import ModelCard, Registry
from sparkwing.workspace import Workspace


def _workspace_with(tmp_path: Path, name: str) -> Path:
    ws = tmp_path / name
    (tmp_path / f"{name}.zip").write_bytes(b"PK")
    Registry(Workspace(ws)).register(name, mojo_path=tmp_path / f"{name}.zip", card=ModelCard(task="binary"))
    return ws


def test_two_invocations_in_one_process_do_not_share_options(tmp_path: Path) -> None:
    first, second = _workspace_with(tmp_path, "first"), _workspace_with(tmp_path, "second")
    runner = CliRunner()
    a = runner.invoke(app, ["--workspace", str(first), "models"])
    b = runner.invoke(app, ["--workspace", str(second), "models"])
    c = runner.invoke(app, ["models"], env={"SPARKWING__WORKSPACE": str(first)})
    assert a.exit_code == b.exit_code == c.exit_code == 0, (a.output, b.output, c.output)
    assert "first" in a.output and "second" not in a.output
    assert "second" in b.output and "first" not in b.output
    assert "first" in c.output  # no option left behind by the previous invocation


def test_the_cli_module_holds_no_resolved_options() -> None:
    assert not hasattr(cli_app, "OPTS") and not hasattr(cli_app, "Options")


def test_a_sparkwing_error_is_one_line_with_its_exit_code(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["--workspace", str(tmp_path), "models", "show", "nope"])
    assert result.exit_code == 9 and "no model named 'nope'" in result.output
    assert result.output.count("error:") == 1
