"""``sparkwing models drift NAME@REF --since 7d``: the drift trend of a model's batch scores."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

import typer
from rich.table import Table

from sparkwing.cli import _console as console
from sparkwing.cli._context import state
from sparkwing.errors import ConfigError

_SPAN = re.compile(r"^(\d+)([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_STYLE = {"ok": "green", "warn": "yellow", "fail": "red"}


def since_time(text: str, now: dt.datetime | None = None) -> dt.datetime:
    """``7d``, ``12h``, ``30m``, ``2w`` before ``now`` (UTC)."""
    m = _SPAN.match(text.strip())
    if not m:
        raise ConfigError(f"--since {text!r} is not a span", hint="e.g. 30m, 12h, 7d or 2w")
    now = now or dt.datetime.now(dt.timezone.utc)
    return now - dt.timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})


def register(models_app: typer.Typer) -> None:
    @models_app.command("drift")
    def models_drift(
        ctx: typer.Context,
        ref: Annotated[str, typer.Argument(help="NAME (every version), NAME@VERSION or NAME@ALIAS")],
        since: Annotated[str, typer.Option("--since", help="How far back: 30m, 12h, 7d, 2w.")] = "7d",
        features: Annotated[int, typer.Option("--features", min=0, help="Columns shown, worst first.")] = 5,
    ) -> None:
        """The drift of every batch score of a model version since a time: PSI, nulls, unseen levels."""
        from sparkwing.config import ModelRef
        from sparkwing.monitor import DriftLog

        st = state(ctx)
        parsed = ModelRef.parse(ref)
        version = None
        if parsed.version is not None or parsed.alias:
            version = st.registry().get(ref).version
        reports = DriftLog(st.workspace()).read(parsed.name, version=version, since=since_time(since))
        label = f"{parsed.name}@{version}" if version is not None else parsed.name
        if not reports:
            console.out.print(f"no drift reports of {label} in the last {since}", highlight=False)
            return
        table = Table(title=f"drift of {label}, last {since}")
        for col in ("measured (UTC)", "version", "rows", "status", "max PSI", "prediction PSI",
                    "worst columns (PSI)", "source"):
            table.add_column(col)
        for r in reports:
            worst = sorted((f for f in r.features if f.psi is not None), key=lambda f: -(f.psi or 0.0))
            cols = ", ".join(f"{f.name} {f.psi:.3f}" for f in worst[:features])
            nulls = [f"{f.name} nulls {f.null_share_change:+.2f}" for f in r.features
                     if abs(f.null_share_change) >= 0.05]
            unseen = [f"{f.name} unseen {f.unseen_share:.0%}" for f in r.features if f.unseen_share >= 0.01]
            pred = f"{r.prediction.psi:.3f}" if r.prediction and r.prediction.psi is not None else "-"
            table.add_row(
                (r.measured or "")[:19].replace("T", " "), r.model.split("@", 1)[-1], f"{r.rows:,}",
                f"[{_STYLE[r.status]}]{r.status}[/]",
                f"{r.max_psi:.3f}" if r.max_psi is not None else "-", pred,
                console.escape("; ".join([cols, *nulls, *unseen])), console.escape(r.source or ""),
            )
        console.out.print(table)
        last = reports[-1]
        console.out.print(f"thresholds: warn {last.warn}, fail {last.fail}; {len(reports)} report(s)",
                          highlight=False)
