"""``sparkwing tables`` and ``sparkwing tables show``: read the tables' history files (no JVM).

``--metastore`` asks the Hive metastore through Spark instead (slow: a JVM per call), which is
the authority if a publish died between its metastore switch and its history write.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from sparkwing.cli import _console as console
from sparkwing.cli._context import state

METASTORE_HELP = "Ask the Hive metastore through Spark (starts a JVM) instead of the history files."


def register(tables_app: typer.Typer) -> None:
    tables_app.callback()(tables_list)
    tables_app.command("show")(tables_show)


def tables_list(
    ctx: typer.Context,
    metastore: Annotated[bool, typer.Option("--metastore", help=METASTORE_HELP)] = False,
) -> None:
    """List warehouse tables with versions and row counts."""
    if ctx.invoked_subcommand:
        return
    st = state(ctx)
    if metastore:
        from sparkwing.warehouse import list_tables

        tables = list_tables(st.spark(), st.workspace())
    else:
        from sparkwing.warehouse import list_published

        tables = list_published(st.workspace())
    table = Table(title="tables")
    for col in ("table", "version", "rows", "format", "partitioned by", "versions kept", "updated"):
        table.add_column(col)
    for t in tables:
        table.add_row(t.name, str(t.version), console._n(t.rows), str(t.format),
                      ", ".join(t.partition_by), str(len(t.versions)), str(t.updated))
    console.out.print(table)


def tables_show(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="DB.TABLE")],
) -> None:
    """Show one table: its current version, columns, and every kept version."""
    from sparkwing.warehouse import published_table

    info, records = published_table(state(ctx).workspace(), name)
    console.out.print(f"[bold]{info.name}[/] version {info.version}: {info.rows:,} rows, {info.format}"
                      + (f", partitioned by {', '.join(info.partition_by)}" if info.partition_by else ""),
                      highlight=False)
    console.out.print(f"  location: {info.location}", highlight=False, markup=False)
    current = next((r for r in records if r.version == info.version), None)
    if current is not None and current.schema:
        console.out.print("  columns: " + ", ".join(f"{c['name']}:{c['type']}" for c in current.schema),
                          highlight=False, markup=False)
    versions = Table(title=f"{info.name} · versions kept")
    for col in ("version", "current", "rows", "published", "run id"):
        versions.add_column(col)
    for r in records:
        versions.add_row(r.version, "*" if r.version == info.version else "", console._n(r.rows),
                         r.published, r.run_id)
    console.out.print(versions)
