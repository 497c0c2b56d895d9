"""``sparkwing audit``: read the audit log (sign-ins, failures, key changes, promotions, rollbacks).

Also the one helper the other commands use to write a line for a change made at the command
line (who: the OS user; from: this host).
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import socket
from typing import Annotated, Any

import typer
from rich.table import Table

from sparkwing.cli import _console as console
from sparkwing.cli._context import state


def register(app: typer.Typer) -> None:
    app.command("audit")(audit)


def record(ctx: typer.Context, event: str, **detail: Any) -> None:
    """An audit-log line for a change made here: the OS user at this host."""
    from sparkwing.auth import AuditLog

    try:
        who = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (a container's arbitrary uid)
        who = "unknown"
    log = AuditLog(state(ctx).workspace())
    log.record(event, who=who, peer=socket.gethostname(), service="cli", **detail)


def audit(
    ctx: typer.Context,
    day: Annotated[str | None, typer.Option("--day", help="YYYY-MM-DD (UTC); default: today.")] = None,
    event: Annotated[
        list[str] | None, typer.Option("--event", "-e", help="Only these events; repeat.")
    ] = None,
    last: Annotated[int, typer.Option("--last", "-n", min=1, help="Show the last N events.")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Show who signed in, failed, changed keys, promoted or rolled back: when and from where."""
    from sparkwing.auth import EVENTS, AuditLog
    from sparkwing.errors import ConfigError

    when = day or dt.datetime.now(dt.timezone.utc).date().isoformat()
    try:
        dt.date.fromisoformat(when)
    except ValueError:
        raise ConfigError(f"--day {when!r} is not a date", hint="YYYY-MM-DD") from None
    unknown = sorted(set(event or []) - set(EVENTS))
    if unknown:
        raise ConfigError(f"unknown events {unknown}", hint=f"one of {', '.join(EVENTS)}")
    events = [e for e in AuditLog(state(ctx).workspace()).events(when) if not event or e["event"] in event]
    events = events[-last:]
    if as_json:
        for e in events:
            typer.echo(json.dumps(e, sort_keys=True))
        return
    table = Table(title=f"audit log {when}")
    for col in ("time", "event", "who", "from", "service", "detail"):
        table.add_column(col)
    for e in events:
        shown = {"time", "event", "who", "from", "service", "source"}
        detail = ", ".join(f"{k}={v}" for k, v in sorted(e.items()) if k not in shown)
        table.add_row(e["time"], e["event"], e["who"], e["from"], e.get("service", ""), detail)
    console.out.print(table)
