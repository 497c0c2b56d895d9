"""``sparkwing ui``: the web pages (sparkwing.ui is imported inside the command)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sparkwing.cli._context import state

if TYPE_CHECKING:
    from sparkwing.ui._data import NextRun
    from sparkwing.workspace import Workspace


def ui(
    ctx: typer.Context,
    workspace: Annotated[
        str | None, typer.Option("--workspace", "-w", help="Workspace dir or s3:// URI.")
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Address to bind (beyond loopback: a login).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option("--port")] = 8090,
    recent: Annotated[int, typer.Option("--recent", help="Runs per pipeline shown.")] = 20,
    tls_cert: Annotated[Path | None, typer.Option("--tls-cert", help="PEM certificate: serve https.")] = None,
    tls_key: Annotated[Path | None, typer.Option("--tls-key", help="PEM key of --tls-cert.")] = None,
    spark_history: Annotated[str | None, typer.Option(
        "--spark-history", help="URL of a Spark History Server (`sparkwing history`): runs link to it.",
    )] = None,
) -> None:
    """Browse runs, quarantine, tables and models in a web browser; operators promote and roll back."""
    from sparkwing.ui import UiConfig, run

    st = state(ctx)
    st.use_workspace(workspace)
    settings = st.settings()
    scheme = "https" if tls_cert else "http"
    typer.echo(f"sparkwing ui on {scheme}://{host}:{port}/ (workspace {settings.workspace})", err=True)
    run(UiConfig(workspace=settings.workspace, s3=settings.s3, host=host, port=port, recent_runs=recent,
                 auth=settings.auth, tls_cert=str(tls_cert) if tls_cert else None,
                 tls_key=str(tls_key) if tls_key else None, spark_history=spark_history), spark=st.spark,
        next_run=next_runs(st.workspace()))


def next_runs(workspace: Workspace) -> Callable[[str], NextRun | None]:
    """The UI's schedule hook: for a pipeline the scheduler has state for, its spec's next cron
    fire (``schedule.cron`` in ``schedule.timezone``) or its data trigger, and whether a
    scheduler holds the workspace now."""
    from datetime import datetime, timezone

    from sparkwing.config import load_spec
    from sparkwing.schedule import CronSchedule, SchedulerLock, StateStore
    from sparkwing.ui._data import NextRun

    states = StateStore(workspace)

    def next_run(pipeline: str) -> NextRun | None:
        saved = states.load(pipeline)
        if saved is None or not saved.spec_path:
            return None
        sched = load_spec(saved.spec_path).schedule
        if sched is None:
            return None
        now = datetime.now(timezone.utc)
        held = SchedulerLock(workspace).holder()
        running = held is not None and held.alive(now, 90.0)
        if sched.cron:
            trigger = f"cron '{sched.cron}' {sched.timezone}" + (" + on data" if sched.on_data else "")
            return NextRun(CronSchedule(sched.cron, sched.timezone).next_after(now), trigger, running)
        if sched.on_data:
            return NextRun(None, f"when data arrives in {sched.on_data.uri}", running)
        return None

    return next_run
