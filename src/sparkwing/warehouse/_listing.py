"""Published tables from their ``_versions.json`` files alone: no Spark, no metastore, no JVM.

Every publish and rollback writes the table's history (kept versions and the current one)
after it switches the metastore, so the files answer "which tables, which version, how many
rows" in milliseconds.  The metastore stays the authority for SQL: if a publish died between its
switch and its history write, ``list_tables`` (through Spark) shows the switch first.
"""

from __future__ import annotations

from sparkwing.errors import WarehouseError
from sparkwing.warehouse._model import TableInfo, TableName, VersionRecord
from sparkwing.warehouse._versions import History, load_history, table_histories
from sparkwing.workspace import Workspace


def list_published(workspace: Workspace) -> list[TableInfo]:
    """Every table with a current version under ``<workspace>/warehouse``, sorted by name."""
    infos = (_info(h) for h in table_histories(workspace))
    return sorted((i for i in infos if i is not None), key=lambda t: t.name)


def published_table(workspace: Workspace, name: str) -> tuple[TableInfo, list[VersionRecord]]:
    """One table's current version and every kept version (oldest first), from its history file."""
    table = TableName.parse(name)
    history = load_history(workspace, table)
    info = _info(history)
    if info is None:
        raise WarehouseError(f"table {table} does not exist",
                             hint="`sparkwing tables` lists published tables")
    return info, list(history.records)


def _info(history: History) -> TableInfo | None:
    record = history.get(history.current) if history.current else None
    if record is None:
        return None
    return TableInfo(
        name=history.table, version=record.version, versions=history.versions, rows=record.rows,
        format=record.format, partition_by=list(record.partition_by), location=record.location,
        updated=record.published,
    )
