"""``sparkwing runs report`` and ``sparkwing models report``: one offline HTML file each.

The same pages as ``sparkwing ui`` (``sparkwing.ui`` renders both), with the style inlined and
nothing loaded from elsewhere: a file to attach to a review.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sparkwing.cli import _console as console
from sparkwing.cli._context import state

Output = Annotated[Path, typer.Option("--output", "-o", help="The HTML file to write.")]


def register(runs_app: typer.Typer, models_app: typer.Typer) -> None:
    runs_app.command("report")(runs_report)
    models_app.command("report")(models_report)


def runs_report(ctx: typer.Context, run_id: str, output: Output) -> None:
    """Write one run (timeline, steps, quarantine, checks, error) as a self-contained HTML file."""
    from sparkwing.config import check_name
    from sparkwing.ui._report import run_report

    check_name(run_id, "run id")
    _write(output, run_report(state(ctx).workspace(), run_id))


def models_report(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="NAME, NAME@VERSION or NAME@ALIAS")],
    output: Output,
) -> None:
    """Write a model version's card (metrics, curves, leaderboard, importance) as an HTML file."""
    from sparkwing.ui._report import model_report

    _write(output, model_report(state(ctx).workspace(), ref))


def _write(output: Path, html: str) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(output)
    console.out.print(f"wrote {output} ({len(html.encode()):,} bytes)")
