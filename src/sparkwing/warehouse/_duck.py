"""Read-only SQL over the published Parquet files with DuckDB: answers in about a second, no JVM.

Each table's history file names its current version's location; that folder's Parquet files
become a DuckDB view with the table's own ``db.table`` name, so the queries analysts type for
Spark read the same rows.  The metastore stays the authority (``--engine spark``): a publish that
died between its switch and its history write is seen by Spark first.

Sandboxed: the connection may read only the current versions' folders (``allowed_directories``
with external access off, so ``read_csv('/etc/passwd')``, ``COPY ... TO``, ``ATTACH`` and
extension installs are refused), only ``SELECT``/``EXPLAIN`` statements run, memory and threads
are capped, and only ``limit`` rows are fetched.

Dialect: DuckDB's.  For the queries of the examples it is Spark's too; differences to know:
identifiers are quoted with ``"`` (Spark: backquotes, which DuckDB does not read), and NULLs
sort as in Spark (first ascending, last descending; set below).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sparkwing.errors import WarehouseError, first_line
from sparkwing.warehouse._listing import list_published
from sparkwing.warehouse._model import TableInfo, VersionRecord
from sparkwing.warehouse._readonly import check_read_only
from sparkwing.warehouse._versions import table_histories
from sparkwing.workspace import Workspace

MEMORY_LIMIT = "2GB"
THREADS = 2
# Spark SQL type names (as in the history's schema) -> DuckDB, for hive partition columns,
# whose values are folder names; other columns carry their type in the Parquet footer.
_PARTITION_TYPES = {
    "string": "VARCHAR", "int": "INTEGER", "bigint": "BIGINT", "smallint": "SMALLINT",
    "tinyint": "TINYINT", "double": "DOUBLE", "float": "FLOAT", "boolean": "BOOLEAN",
    "date": "DATE", "timestamp": "TIMESTAMP",
}  # fmt: skip


@dataclass(frozen=True)
class QueryResult:
    """The first ``limit`` rows of a query, its column names, and which engine answered."""

    columns: list[str]
    rows: list[tuple[Any, ...]]
    engine: str
    more: bool = False  # True when the query had rows beyond ``limit``


def duckdb_sql(workspace: Workspace, query: str, limit: int = 50) -> QueryResult:
    """Run a read-only ``query`` over the published tables' current Parquet files.

    >>> duckdb_sql(workspace, "SELECT count(*) AS n FROM credit.loans_clean").rows  # doctest: +SKIP
    [(999,)]
    """
    import duckdb

    check_read_only(query)
    if not workspace.local:
        raise WarehouseError(
            "--engine duckdb reads a local workspace only; this one is on S3",
            hint="use --engine spark (the default) for an s3:// workspace",
        )
    tables = list_published(workspace)
    schemas = {h.table: h.get(h.current) for h in table_histories(workspace) if h.current}
    con = duckdb.connect(":memory:", config={
        "threads": THREADS, "memory_limit": MEMORY_LIMIT,
        "autoinstall_known_extensions": False, "autoload_known_extensions": False,
        "default_null_order": "nulls_first_on_asc_last_on_desc",
    })  # fmt: skip
    try:
        folders = [_register(con, t, schemas.get(t.name)) for t in tables]
        _sandbox(con, [f for f in folders if f])
        return _fetch(con, query, limit, {t.name: t.format for t in tables})
    finally:
        con.close()


def _register(con: Any, table: TableInfo, record: VersionRecord | None) -> str | None:
    """Create the view ``db.table`` over the current version's files; its folder, if it has one."""
    db, name = table.name.split(".", 1)
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {_ident(db)}")
    view = f"{_ident(db)}.{_ident(name)}"
    folder = _local_path(table.location)
    files = table.format == "parquet" and os.path.isdir(folder) and any(Path(folder).rglob("*.parquet"))
    if files:
        schema = record.schema if record else []
        pattern = _literal(f"{folder}/**/*.parquet")
        if table.partition_by:
            types = {c["name"]: _PARTITION_TYPES[c["type"]] for c in schema
                     if c["name"] in table.partition_by and c["type"] in _PARTITION_TYPES}
            source = f"read_parquet({pattern}, hive_partitioning = true" + (
                f", hive_types = {_struct(types)})" if types else ")")
        else:
            source = f"read_parquet({pattern}, hive_partitioning = false)"
        # the history's column order is Spark's (partition columns last); naming the columns
        # also leaves out the ``v=<version>`` folder that DuckDB would read as a column
        columns = ", ".join(_ident(c["name"]) for c in schema) if schema else "*"
        if not schema and table.partition_by:
            columns = "* EXCLUDE (v)"
        con.execute(f"CREATE VIEW {view} AS SELECT {columns} FROM {source}")
        return folder
    if table.format == "parquet" and record is not None and record.schema:
        # no data files (an empty partitioned publish): an empty view with the declared columns
        cols = ", ".join(f'CAST(NULL AS {_PARTITION_TYPES.get(c["type"], "VARCHAR")}) AS {_ident(c["name"])}'
                         for c in record.schema)
        con.execute(f"CREATE VIEW {view} AS SELECT {cols} WHERE false")
    return None


def _sandbox(con: Any, folders: list[str]) -> None:
    """From here on the connection reads only ``folders`` and writes nothing outside memory."""
    con.execute(f"SET allowed_directories = [{', '.join(_literal(f) for f in folders)}]")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def _fetch(con: Any, query: str, limit: int, formats: dict[str, str]) -> QueryResult:
    import duckdb

    try:
        statements = duckdb.extract_statements(query)
        kinds = {s.type.name for s in statements}
        if len(statements) != 1 or not kinds <= {"SELECT", "EXPLAIN"}:
            kind = ", ".join(sorted(kinds))
            raise WarehouseError(f"`sparkwing sql` only reads; this is a {kind} statement",
                                 hint="use --engine spark --allow-write to change tables")
        cursor = con.execute(query)
        columns = [d[0] for d in cursor.description or []]
        rows = cursor.fetchmany(limit + 1)
    except duckdb.CatalogException as exc:
        other = sorted(n for n, f in formats.items() if f != "parquet")
        hint = (f"{', '.join(other)} {'is' if len(other) == 1 else 'are'} not Parquet: use --engine spark"
                if other else "`sparkwing tables` lists published tables")
        raise WarehouseError(f"query failed: {first_line(exc)}", hint=hint) from None
    except duckdb.Error as exc:
        raise WarehouseError(f"query failed: {first_line(exc)}",
                             hint="DuckDB's SQL dialect; try --engine spark for Spark SQL") from None
    return QueryResult(columns, [tuple(r) for r in rows[:limit]], "duckdb", more=len(rows) > limit)


def _local_path(location: str) -> str:
    return location[len("file:"):] if location.startswith("file:") else location


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _struct(types: dict[str, str]) -> str:
    return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in types.items()) + "}"


