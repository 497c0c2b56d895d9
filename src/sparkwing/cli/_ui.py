"""``sparkwing ui``: the web pages (sparkwing.ui is imported inside the command)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sparkwing.cli._context import state


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
                 tls_key=str(tls_key) if tls_key else None, spark_history=spark_history), spark=st.spark)
