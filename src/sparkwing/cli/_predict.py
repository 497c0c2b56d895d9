"""``sparkwing predict`` and ``sparkwing mojo predict``: score one file, and say how it went.

The scorer is chosen by :func:`sparkwing.score.predict`; these commands print which one ran, the
rows scored, and a summary of what the input lacked (missing features, unseen levels,
unparseable values), which ``--strict`` turns into an error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from sparkwing.cli import _console as console
from sparkwing.cli._context import state

KEEP_HELP = "Input columns to copy into the output (comma-separated, e.g. id columns to join back)."
STRICT_HELP = "Refuse the input (exit 11, nothing written) if any value cannot be used by the model."


def register(app: typer.Typer, mojo_app: typer.Typer) -> None:
    app.command("predict")(predict)
    mojo_app.command("predict")(mojo_predict)


def predict(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="NAME@ALIAS, NAME@VERSION, or a .mojo/.zip file")],
    input_path: Annotated[Path, typer.Argument(metavar="INPUT", help="CSV or Parquet file")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Output file (CSV or Parquet)")],
    keep: Annotated[str, typer.Option("--keep", help=KEEP_HELP)] = "",
    strict: Annotated[bool, typer.Option("--strict", help=STRICT_HELP)] = False,
    engine: Annotated[str, typer.Option(
        "--engine", help="auto (pure Python, no JVM, for a local file up to 64 MiB; else Spark), "
        "python or spark.")] = "auto",
    scorer: Annotated[str, typer.Option(
        "--scorer", help="On Spark: mojo (sparkwing.mojo on the executors, no H2O jar) or h2o "
        "(Sparkling Water's H2OMOJOModel).")] = "mojo",
) -> None:
    """Score a file with a registered model: pure-Python MOJO for small local files, else Spark."""
    from sparkwing.score import predict as score_file

    if scorer not in ("mojo", "h2o"):
        raise typer.BadParameter(f"{scorer!r} is not one of mojo, h2o", param_hint="--scorer")
    st = state(ctx)
    done = score_file(model, input_path, output, registry=st.registry(), spark=st.spark,
                      engine=_engine(engine), keep=_columns(keep), strict=strict, scorer=scorer)  # type: ignore[arg-type]
    _report(done)


def mojo_predict(
    path: Annotated[Path, typer.Argument(help="A .mojo/.zip file")],
    input_path: Annotated[Path, typer.Argument(metavar="INPUT", help="CSV or Parquet file")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Output file (CSV or Parquet)")],
    keep: Annotated[str, typer.Option("--keep", help=KEEP_HELP)] = "",
    strict: Annotated[bool, typer.Option("--strict", help=STRICT_HELP)] = False,
) -> None:
    """Score a file with a MOJO in pure Python (no JVM)."""
    from sparkwing.errors import MojoError
    from sparkwing.score import predict as score_file

    if not path.is_file():
        raise MojoError(f"MOJO file not found: {path}", hint="give the model.mojo / .zip path")
    _report(score_file(str(path), input_path, output, keep=_columns(keep), strict=strict))


def _report(done: Any) -> None:
    how = "pure Python, no JVM" if done.engine == "python" else f"Spark, scorer {done.scorer}"
    console.out.print(f"scored {done.rows:,} rows with {done.model} ({how}) -> {done.output}",
                      highlight=False, markup=False)
    if done.report.drift is not None:
        console.err.print(console.escape(done.report.drift.summary()), highlight=False)
    for line in done.report.lines():
        console.err.print(f"[yellow]warning:[/] {console.escape(line)}", highlight=False)
    if not done.report.clean:
        console.err.print("[dim]hint: --strict refuses such input[/]", highlight=False)


def _columns(text: str) -> list[str]:
    return [c.strip() for c in text.split(",") if c.strip()]


def _engine(text: str) -> Any:
    if text not in ("auto", "python", "spark"):
        raise typer.BadParameter(f"{text!r} is not one of auto, python, spark", param_hint="--engine")
    return text
