"""``_versions.json``: the kept versions of one table, next to its data, readable without Spark.

The metastore says which version is current; this file keeps the history (publish order,
rows, run id, schema) for rollback, pruning and tools that have no metastore.  It is written
with the workspace storage's atomic write, so it works on S3 as well.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sparkwing.errors import InvalidName, SourceError, WarehouseError
from sparkwing.warehouse._model import TableName, VersionRecord
from sparkwing.workspace import Workspace

FILE = "_versions.json"


@dataclass
class History:
    """Kept versions of one table in publish order (oldest first)."""

    table: str
    current: str | None = None
    records: list[VersionRecord] = field(default_factory=list)

    @property
    def versions(self) -> list[str]:
        return [r.version for r in self.records]

    def get(self, version: str) -> VersionRecord | None:
        return next((r for r in self.records if r.version == version), None)

    def add(self, record: VersionRecord) -> None:
        """Append ``record`` as the newest version (a re-published version moves to the end)."""
        self.records = [r for r in self.records if r.version != record.version] + [record]

    def keep_last(self, n: int) -> list[VersionRecord]:
        """Keep the newest ``n`` versions plus the current one; return the dropped records."""
        keep = {r.version for r in self.records[-n:]} | {self.current}
        dropped = [r for r in self.records if r.version not in keep]
        self.records = [r for r in self.records if r.version in keep]
        return dropped

    def to_bytes(self) -> bytes:
        data = {"table": self.table, "current": self.current, "versions": [r.to_json() for r in self.records]}
        return json.dumps(data, indent=2).encode()


def history_uri(workspace: Workspace, name: TableName) -> str:
    return f"{workspace.table_dir(name.db, name.table)}/{FILE}"


def load_history(workspace: Workspace, name: TableName) -> History:
    uri = history_uri(workspace, name)
    storage = workspace.storage
    if not storage.exists(uri):
        return History(str(name))
    try:
        data = json.loads(storage.read_bytes(uri))
        records = [VersionRecord.from_json(r) for r in data.get("versions", [])]
    except (SourceError, ValueError, KeyError, TypeError) as exc:
        raise WarehouseError(
            f"unreadable version history {uri}: {exc}",
            hint="fix or delete the file; the metastore is unchanged",
        ) from exc
    return History(str(name), data.get("current"), records)


def save_history(workspace: Workspace, name: TableName, history: History) -> None:
    uri = history_uri(workspace, name)
    workspace.storage.write_atomic(uri, history.to_bytes())


def table_histories(workspace: Workspace) -> list[History]:
    """Every table with a ``_versions.json`` under the workspace's warehouse, by name.

    Plain files only (no Spark, no metastore lock): what tools without a metastore read.  A
    folder whose name is not a valid ``db.table`` is not a table and is left out; an unreadable
    history is a :class:`WarehouseError`.
    """
    storage = workspace.storage
    out: list[History] = []
    for db_dir in storage.list(workspace.warehouse):
        if not db_dir.endswith(".db"):
            continue
        for table in storage.list(f"{workspace.warehouse}/{db_dir}"):
            try:
                name = TableName.parse(f"{db_dir[: -len('.db')]}.{table}")
            except (WarehouseError, InvalidName):
                continue  # a folder that is not a table
            if storage.exists(history_uri(workspace, name)):
                out.append(load_history(workspace, name))
    return sorted(out, key=lambda h: h.table)
