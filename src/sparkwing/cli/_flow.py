"""``sparkwing flow``: H2O Flow (H2O's own web UI) on 127.0.0.1, login on, until Ctrl-C.

The cloud is the one training starts (engine/_h2o.py): every socket on 127.0.0.1 on this
machine, a login generated for this cloud.  The password goes to a ``0600`` file whose path is
printed (never the password), removed with its folder when Flow stops.
"""

from __future__ import annotations

import signal
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sparkwing.cli._context import state
from sparkwing.config import Settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from sparkwing.engine import H2OCloud
    from sparkwing.workspace import Workspace


@dataclass(frozen=True)
class LoadedFrame:
    table: str
    frame: str  # the H2O frame's key, as Flow lists it
    rows: int


def flow(
    ctx: typer.Context,
    table: Annotated[list[str] | None, typer.Option(
        "--table", help="A published table to load as an H2O frame (repeatable), e.g. credit.loans_clean.",
    )] = None,
) -> None:
    """Open H2O Flow on 127.0.0.1 with login on; optionally load published tables as frames."""
    from sparkwing.engine import stop_spark

    st = state(ctx)
    settings = flow_settings(st.settings())
    stop = _stop_on_signals()
    spark = st.spark()
    cloud = None
    try:
        from sparkwing.engine import start_h2o

        cloud = start_h2o(spark, settings)
        for line in flow_banner(cloud):
            typer.echo(line)
        for name in table or []:
            loaded = load_table(spark, st.workspace(), cloud, name)
            typer.echo(f"  frame   {loaded.frame}: table {loaded.table}, {loaded.rows:,} rows")
        typer.echo("Ctrl-C stops H2O.", err=True)
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        try:
            if cloud is not None:
                cloud.stop()
        finally:
            stop_spark()
    typer.echo("H2O stopped.", err=True)


def flow_settings(settings: Settings) -> Settings:
    """``settings`` with H2O's login on: Flow is never opened without one."""
    if settings.h2o.login:
        return settings
    return settings.model_copy(update={"h2o": settings.h2o.model_copy(update={"login": True})})


def flow_banner(cloud: H2OCloud) -> list[str]:
    """Where Flow answers and where its credentials are (a path, never the password)."""
    lines = [f"H2O Flow on {cloud.url}"]
    if cloud.login is not None:
        path = cloud.login.write_credentials()
        lines.append(f"  login   user {cloud.login.user}; password in {path} (readable by you only, "
                     "removed when Flow stops)")
    elif cloud.auth is not None:
        lines.append(f"  login   user {cloud.auth[0]} (the H2O login configured in h2o.conf)")
    return lines


def load_table(spark: SparkSession, workspace: Workspace, cloud: H2OCloud, name: str) -> LoadedFrame:
    """Copy a published table's current version into H2O as a frame named after it."""
    from sparkwing.warehouse import TableName, published_table

    info, _ = published_table(workspace, name)  # a clear error for a table never published
    table = str(TableName.parse(name))
    frame_name = table.replace(".", "_")
    frame: Any = cloud.context.asH2OFrame(spark.table(table), frame_name)
    return LoadedFrame(table=table, frame=frame_name, rows=int(frame.nrows))


def _stop_on_signals() -> threading.Event:
    """An event set by SIGTERM and SIGINT (Ctrl-C), so the command stops H2O and Spark in order."""
    stop = threading.Event()

    def handler(signum: int, frame: Any) -> None:  # noqa: ARG001 - signal's signature
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, handler)
    return stop
