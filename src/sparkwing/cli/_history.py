"""``sparkwing history``: Spark's own History Server over the workspace's event logs, on 127.0.0.1."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from sparkwing.cli import _console as console
from sparkwing.cli._context import state

EVENTS = "spark-events"


def history(
    ctx: typer.Context,
    workspace: Annotated[
        str | None, typer.Option("--workspace", "-w", help="Workspace dir or s3:// URI.")
    ] = None,
    port: Annotated[int | None, typer.Option(
        "--port", help="Port on 127.0.0.1 (default: a free one).")] = None,
    log_dir: Annotated[str | None, typer.Option(
        "--dir", help="Event-log directory to read instead of <workspace>/spark-events.")] = None,
) -> None:
    """Start Spark's History Server over the runs' event logs; Ctrl-C stops it."""
    from sparkwing.engine import start_history_server

    st = state(ctx)
    st.use_workspace(workspace)
    ws = st.workspace()
    where = log_dir or ws.join(EVENTS)
    if not ws.local and log_dir is None:
        where = _copy_from_s3(ws, where)
    server = start_history_server(where, log_file=_log_file(ws), port=port)
    console.err.print(f"Spark History Server on {server.url}/ (event logs {where}); Ctrl-C stops it",
                      highlight=False, markup=False)
    try:
        server.wait()
    except KeyboardInterrupt:
        console.err.print("stopping the History Server", highlight=False, markup=False)
    finally:
        server.stop()


def _log_file(ws: object) -> str:
    from sparkwing.workspace import Workspace

    assert isinstance(ws, Workspace)
    if ws.local:
        return ws.join("logs", "history", "history-server.log")
    return str(Path(tempfile.gettempdir()) / "sparkwing-history" / "history-server.log")


def _copy_from_s3(ws: object, uri: str) -> str:
    """pyspark cannot read s3:// itself: copy the event logs to a local folder once, at start."""
    from sparkwing.workspace import Workspace

    assert isinstance(ws, Workspace)
    local = Path(tempfile.gettempdir()) / "sparkwing-history" / hashlib.sha256(uri.encode()).hexdigest()[:16]
    local.mkdir(parents=True, exist_ok=True)
    names = ws.storage.list(uri)
    for name in names:
        target = local / name
        if not target.exists() or name.endswith(".inprogress"):
            target.write_bytes(ws.storage.read_bytes(f"{uri}/{name}"))
    console.err.print(f"copied {len(names)} event log(s) from {uri} to {local} (restart to see newer runs)",
                      highlight=False, markup=False)
    return str(local)
