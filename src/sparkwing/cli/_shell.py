"""``sparkwing shell``: IPython (or the plain REPL) with Spark, the workspace and ``sw`` ready.

The namespace holds ``spark`` (the workspace's SparkSession: its Hive metastore already lists
the published tables), ``sw`` (``import sparkwing as sw``), ``ws`` (the workspace) and
``h2o()``, which starts Sparkling Water on first use -- training needs it, SQL does not.
"""

from __future__ import annotations

import code
import os
import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer

from sparkwing.cli._context import state
from sparkwing.config import Settings

MAX_TABLES = 20  # listed in the banner; sw.tables(ws) has them all


def shell(
    ctx: typer.Context,
    master: Annotated[str | None, typer.Option("--master", help="Spark master, e.g. local[*], yarn.")] = None,
    plain: Annotated[bool, typer.Option("--plain", help="The plain REPL, not IPython.")] = False,
) -> None:
    """Interactive Python with spark, sw, ws and h2o() ready (IPython when installed)."""
    st = state(ctx)
    if master:
        st.master = master  # before anything resolved the settings
    run_shell(st.settings(), ipython=not plain and _has_ipython())


def run_shell(settings: Settings, *, ipython: bool) -> None:
    """Start Spark, print the banner, hand the terminal to the REPL; stop Spark and H2O after."""
    import sparkwing as sw
    from sparkwing.engine import stop_h2o, stop_spark

    ws = sw.Workspace(settings=_with_ui(settings))
    spark = sw.spark(ws)
    namespace: dict[str, Any] = {"sw": sw, "spark": spark, "ws": ws, "h2o": _lazy_h2o(sw, ws)}
    try:
        print(banner(spark, ws, [(t.name, t.version, t.rows) for t in sw.tables(ws)], ipython), flush=True)
        if ipython:
            from IPython import start_ipython

            simple = os.environ.get("TERM", "") in ("", "dumb") or not sys.stdin.isatty()
            start_ipython(argv=["--no-banner", *(["--simple-prompt"] if simple else [])], user_ns=namespace)
        else:
            code.interact(banner="", local=namespace, exitmsg="")
    except SystemExit:
        pass  # exit() in the plain REPL
    finally:
        try:
            stop_h2o()
        finally:
            stop_spark()


def _has_ipython() -> bool:
    import importlib.util

    return importlib.util.find_spec("IPython") is not None


def _with_ui(settings: Settings) -> Settings:
    """The Spark UI on (sparkwing turns it off for local batch runs), unless set explicitly."""
    if "spark.ui.enabled" in settings.spark.conf:
        return settings
    conf = {**settings.spark.conf, "spark.ui.enabled": "true"}
    return settings.model_copy(update={"spark": settings.spark.model_copy(update={"conf": conf})})


def _lazy_h2o(sw: Any, ws: Any) -> Callable[[], Any]:
    def h2o() -> Any:
        """Start H2O (Sparkling Water) on this session on first call; returns the H2OCloud."""
        return sw.h2o(ws)

    return h2o


def banner(spark: Any, ws: Any, tables: list[tuple[str, str, int]], ipython: bool) -> str:
    """What is ready: Spark (master, UI), the workspace, its tables, the names to use."""
    import sparkwing

    ui = spark.sparkContext.uiWebUrl or "off"
    shown = ", ".join(f"{name} (v{version}, {rows:,} rows)" for name, version, rows in tables[:MAX_TABLES])
    more = f", ... {len(tables) - MAX_TABLES} more: sw.tables(ws)" if len(tables) > MAX_TABLES else ""
    return "\n".join([
        f"sparkwing {sparkwing.__version__} shell ({'IPython' if ipython else 'Python REPL'})",
        f"  spark   SparkSession {spark.version}, master {spark.sparkContext.master}, Spark UI: {ui}",
        f"  ws      workspace {ws.root}",
        f"  tables  {shown + more if tables else 'none published yet'} -- spark.sql('SELECT ...')",
        "  sw      import sparkwing as sw: sw.read, sw.prepare, sw.check, sw.publish, sw.fit, sw.models, ...",
        "  h2o()   starts H2O (Sparkling Water) on first use; sw.fit(...) does it too",
    ])  # fmt: skip
