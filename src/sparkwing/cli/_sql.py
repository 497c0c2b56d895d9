"""``sparkwing sql``: one read-only query over the warehouse, with Spark or with DuckDB.

``--engine spark`` (the default) asks the Hive metastore through Spark SQL: the authority, a JVM
per call (~20-30 s).  ``--engine duckdb`` reads the current versions' Parquet files named by the
tables' history files: about a second, no JVM, local workspaces only, DuckDB's dialect.  Queries
that would change a table are refused unless ``--allow-write`` (Spark only).
"""

from __future__ import annotations

import enum
from typing import Annotated, Any

import typer
from rich.table import Table

from sparkwing.cli import _console as console
from sparkwing.cli._context import state

ENGINE_HELP = ("spark: Spark SQL through the Hive metastore (a JVM, ~20 s); duckdb: DuckDB over the "
               "published Parquet files (~1 s, local workspace, read-only).")
WRITE_HELP = "Let the query change tables (Spark only; the tables' version history is not updated)."


class SqlEngine(str, enum.Enum):
    spark = "spark"
    duckdb = "duckdb"


def register(app: typer.Typer) -> None:
    app.command("sql")(sql)


def sql(
    ctx: typer.Context,
    query: str,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Rows to show.")] = 50,
    engine: Annotated[SqlEngine, typer.Option("--engine", "-e", envvar="SPARKWING_SQL_ENGINE",
                                              help=ENGINE_HELP)] = SqlEngine.spark,
    allow_write: Annotated[bool, typer.Option("--allow-write", help=WRITE_HELP)] = False,
) -> None:
    """Run one SQL query against the warehouse tables (read-only unless --allow-write)."""
    from sparkwing.warehouse import QueryResult, check_read_only, duckdb_sql, run_sql

    st = state(ctx)
    if engine is SqlEngine.duckdb:
        if allow_write:
            raise typer.BadParameter("--allow-write needs --engine spark (DuckDB only reads the files)",
                                     param_hint="--allow-write")
        result = duckdb_sql(st.workspace(), query, limit)
    else:
        if not allow_write:
            check_read_only(query)
        df = run_sql(st.spark(), query)
        rows = df.limit(limit + 1).collect()
        result = QueryResult(list(df.columns), [tuple(r) for r in rows[:limit]], "spark",
                             more=len(rows) > limit)
    _print(result, limit)


def _print(result: Any, limit: int) -> None:
    table = Table()
    for col in result.columns:
        table.add_column(col)
    for row in result.rows:
        table.add_row(*["" if v is None else str(v) for v in row])
    console.out.print(table)
    if result.more:
        console.out.print(f"[dim]first {limit} rows shown; --limit N for more[/]", highlight=False)
