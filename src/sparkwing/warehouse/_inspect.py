"""Read-only views of the warehouse: table info, listing, and SQL for analysts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sparkwing.errors import WarehouseError
from sparkwing.warehouse import _catalog as cat
from sparkwing.warehouse._model import TableInfo, TableName
from sparkwing.warehouse._versions import load_history
from sparkwing.workspace import Workspace

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def table_info(spark: SparkSession, name: str, workspace: Workspace) -> TableInfo:
    """The current version of a published table, from metadata only (no scan).

    >>> table_info(spark, "credit.loans", workspace).version  # doctest: +SKIP
    '2'
    """
    table = TableName.parse(name)
    physical = cat.current_physical(spark, table)
    if physical is None:
        raise WarehouseError(
            f"table {table} does not exist", hint="`sparkwing tables` lists published tables"
        )
    record = cat.record_of(spark, physical)
    versions = load_history(workspace, table).versions
    if record.version not in versions:
        versions.append(record.version)
    return TableInfo(
        name=str(table),
        version=record.version,
        versions=versions,
        rows=record.rows,
        format=record.format,
        partition_by=record.partition_by,
        location=record.location,
        updated=record.published,
    )


def list_tables(spark: SparkSession, workspace: Workspace) -> list[TableInfo]:
    """Every sparkwing-published table in the metastore, sorted by name."""
    out: list[TableInfo] = []
    for db in sorted(d.name for d in spark.catalog.listDatabases()):
        for row in spark.sql(f"SHOW TABLES IN {cat.quote(db)}").collect():
            if row.isTemporary:
                continue
            table = TableName(db, row.tableName)
            if cat.properties(spark, table).get(cat.MANAGED) == "true":
                out.append(table_info(spark, str(table), workspace))
    return sorted(out, key=lambda t: t.name)


def run_sql(spark: SparkSession, query: str) -> DataFrame:
    """Run an analyst's query; a bad query raises a one-line WarehouseError.

    >>> run_sql(spark, "SELECT count(*) FROM credit.loans").first()[0]  # doctest: +SKIP
    1000
    """
    from pyspark.errors import AnalysisException

    try:
        return spark.sql(query)
    except AnalysisException as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise WarehouseError(
            f"query failed: {first}", hint="check table and column names with DESCRIBE"
        ) from None
