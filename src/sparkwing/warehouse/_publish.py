"""Publish a DataFrame as a versioned Hive table, and roll a table back."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from sparkwing.config import TABLE_FORMATS, TableSpec
from sparkwing.errors import WarehouseError
from sparkwing.warehouse import _catalog as cat
from sparkwing.warehouse._inspect import table_info
from sparkwing.warehouse._model import (
    PublishResult,
    TableInfo,
    TableName,
    VersionRecord,
    check_version,
)
from sparkwing.warehouse._versions import History, load_history, save_history
from sparkwing.workspace import Workspace

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def publish_table(
    spark: SparkSession,
    df: DataFrame,
    name: str,
    spec: TableSpec,
    *,
    workspace: Workspace,
    version: str,
    run_id: str,
    keep_versions: int,
    default_format: str = "parquet",
    properties: Mapping[str, str] | None = None,
) -> PublishResult:
    """Write ``df`` as version ``version`` of table ``name`` and switch readers to it atomically.

    The data goes to ``<workspace>/warehouse/<db>.db/<table>/v=<version>/``; readers of
    ``db.table`` see the old version or the new one, never a partial one.  Publishing the
    version that is already current does nothing (``skipped``); publishing it again after a
    crash clears the partial directory first.  ``properties`` go into the version's record and
    its TBLPROPERTIES as ``sparkwing.<key>`` (e.g. a score's drift summary).

    >>> publish_table(spark, df, "credit.loans", TableSpec(**{"from": "loans"}),
    ...               workspace=workspace, version="2", run_id="r2", keep_versions=3).rows  # doctest: +SKIP
    1000
    """
    table = TableName.parse(name)
    check_version(version)
    fmt = (spec.format or default_format).lower()
    if fmt not in TABLE_FORMATS:
        raise WarehouseError(
            f"{name}: unknown table format {fmt!r}", hint=f"use one of {', '.join(TABLE_FORMATS)}"
        )
    _check_partitions(name, df.columns, spec.partition_by)
    keep = spec.keep_versions or keep_versions
    if keep < 1:
        raise WarehouseError(f"{name}: keep_versions must be at least 1", hint="set keep_versions: 1 or more")

    cat.ensure_database(spark, table.db, workspace.join("warehouse", f"{table.db}.db"))
    current = cat.current_physical(spark, table)
    history = _history(spark, workspace, table, current)
    if history.current == version:
        record = history.get(version)
        assert record is not None  # _history records the current version
        if load_history(workspace, table).get(version) is None:  # died after the switch: finish up
            history.keep_last(keep)
            save_history(workspace, table, history)
            _prune(spark, workspace, table, history)
        return PublishResult(str(table), version, record.location, record.rows, version, True)

    physical = table.physical(version)
    _check_collision(spark, physical, version)
    location = workspace.table_version(table.db, table.table, version)
    # Leftovers of an attempt that died before its switch: nobody reads them.
    cat.drop_table(spark, physical)
    cat.delete_dir(spark, location)

    rows = _write(df, location, fmt, spec.partition_by)
    record = VersionRecord(
        version=version,
        published=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        rows=rows,
        run_id=run_id,
        format=fmt,
        partition_by=list(spec.partition_by),
        location=location,
        schema=cat.schema_json(df.schema),
        properties=dict(properties or {}),
    )
    cat.create_physical(spark, physical, table, df.schema, record)
    cat.switch(spark, table, physical, df.columns)  # the one atomic step

    previous = history.current
    history.add(record)
    history.current = version
    history.keep_last(keep)
    save_history(workspace, table, history)
    _prune(spark, workspace, table, history)
    return PublishResult(str(table), version, location, rows, previous, False)


def rollback_table(
    spark: SparkSession, name: str, workspace: Workspace, to_version: str | None = None
) -> TableInfo:
    """Switch ``name`` back to the previous kept version (or ``to_version``) in one ALTER VIEW.

    >>> rollback_table(spark, "credit.loans", workspace).version  # doctest: +SKIP
    '1'
    """
    table = TableName.parse(name)
    current = cat.current_physical(spark, table)
    if current is None:
        raise WarehouseError(f"table {table} does not exist", hint="publish it first")
    history = _history(spark, workspace, table, current)
    versions = history.versions
    if to_version is None:
        at = versions.index(history.current) if history.current in versions else len(versions)
        if at < 1:
            raise WarehouseError(
                f"{table}: no version before {history.current} to roll back to",
                hint=f"kept versions: {', '.join(versions)}",
            )
        to_version = versions[at - 1]
    record = history.get(to_version)
    if record is None:
        raise WarehouseError(
            f"{table}: version {to_version!r} is not kept", hint=f"kept versions: {', '.join(versions)}"
        )
    if to_version != history.current:
        physical = table.physical(to_version)
        if not cat.exists(spark, physical):
            raise WarehouseError(
                f"{table}: the table of version {to_version} is missing", hint="re-publish it"
            )
        cat.switch(spark, table, physical, record.columns)
        history.current = to_version
        save_history(workspace, table, history)
    return table_info(spark, str(table), workspace)


def _history(
    spark: SparkSession, workspace: Workspace, table: TableName, current: TableName | None
) -> History:
    """The version file, reconciled with the metastore (the metastore says what is current).

    The file is written after the switch, so a crash in between leaves the current version
    unrecorded; its physical table's properties hold the record.
    """
    history = load_history(workspace, table)
    history.current = None
    if current is not None:
        record = cat.record_of(spark, current)
        if history.get(record.version) is None:
            history.add(record)
        history.current = record.version
    return history


def _write(df: DataFrame, location: str, fmt: str, partition_by: list[str]) -> int:
    """Write once; the row count is observed during the write (no second pass, no re-read)."""
    from pyspark.sql import Observation
    from pyspark.sql import functions as F

    observation = Observation(f"sparkwing_publish_{uuid.uuid4().hex}")
    writer = df.observe(observation, F.count(F.lit(1)).alias("rows")).write.format(fmt).mode("overwrite")
    if partition_by:
        writer = writer.partitionBy(*partition_by)
    writer.save(location)
    return int(observation.get["rows"])


def _prune(spark: SparkSession, workspace: Workspace, table: TableName, history: History) -> None:
    """Delete every version the history no longer keeps: its table, then its directory.

    Sweeping by listing (not by the dropped records alone) also removes what an earlier,
    interrupted prune left behind.
    """
    kept = set(history.versions)
    for version, physical in cat.version_tables(spark, table).items():
        if version not in kept:
            cat.drop_table(spark, physical)
    kept_dirs = {f"v={v}" for v in kept}
    table_dir = workspace.table_dir(table.db, table.table)
    for name in cat.list_dirs(spark, table_dir):
        if name.startswith("v=") and name not in kept_dirs:
            cat.delete_dir(spark, f"{table_dir}/{name}")


def _check_partitions(name: str, columns: list[str], partition_by: list[str]) -> None:
    missing = [c for c in partition_by if c not in columns]
    if missing:
        raise WarehouseError(
            f"{name}: partition column(s) {', '.join(missing)} not in the data",
            hint=f"columns: {', '.join(columns)}",
        )
    if partition_by and len(set(partition_by)) == len(columns):
        raise WarehouseError(
            f"{name}: every column is a partition column", hint="keep at least one data column"
        )


def _check_collision(spark: SparkSession, physical: TableName, version: str) -> None:
    if cat.exists(spark, physical):
        other = cat.properties(spark, physical).get(cat.PREFIX + "version")
        if other is not None and other != version:
            raise WarehouseError(
                f"version {version!r} maps to table {physical}, which holds version {other!r}",
                hint="use versions that differ by more than case, '.' or '-'",
            )
