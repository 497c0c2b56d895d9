"""Names and records of warehouse tables: pure data, no Spark."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from sparkwing.config import check_name
from sparkwing.errors import InvalidName

MAX_VERSION_LENGTH = 64  # the physical table is <table>__v<version>: Hive names stay short


def quote(ident: str) -> str:
    """A backquoted Spark SQL identifier."""
    return "`" + ident.replace("`", "``") + "`"


def literal(text: str) -> str:
    """A single-quoted Spark SQL string literal."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def check_version(version: str) -> str:
    """``version`` if it can name a table version, else :class:`InvalidName`."""
    return check_name(version, "version", what="table version", max_length=MAX_VERSION_LENGTH)


@dataclass(frozen=True)
class TableName:
    """``db.table`` as the metastore stores it (lower case).

    >>> TableName.parse("Credit.Loans").physical("2024-01-02").sql
    '`credit`.`loans__v2024_01_02`'
    """

    db: str
    table: str

    @classmethod
    def parse(cls, name: str) -> TableName:
        db, dot, table = name.partition(".") if isinstance(name, str) else ("", "", "")
        if not dot:
            raise InvalidName(f"invalid table name {str(name)[:60]!r}: a table is named db.table",
                              kind="table", hint="name tables db.table with letters, digits and _")
        check_name(db, "database")
        check_name(table, "table")
        return cls(db.lower(), table.lower())

    def __str__(self) -> str:
        return f"{self.db}.{self.table}"

    @property
    def sql(self) -> str:
        return f"{quote(self.db)}.{quote(self.table)}"

    def physical(self, version: str) -> TableName:
        """The immutable table that holds one version's data (``t__v<version>``)."""
        return TableName(self.db, f"{self.table}__v{re.sub(r'[^a-z0-9_]', '_', version.lower())}")


@dataclass(frozen=True)
class VersionRecord:
    """What was published as one version; kept in ``_versions.json`` and in TBLPROPERTIES."""

    version: str
    published: str  # ISO-8601 UTC
    rows: int
    run_id: str
    format: str
    partition_by: list[str]
    location: str
    schema: list[dict[str, str]] = field(default_factory=list)  # [{"name", "type"}] in column order
    # What the publisher says about the data (e.g. a score's drift): TBLPROPERTIES "sparkwing.<key>"
    properties: dict[str, str] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        return [c["name"] for c in self.schema]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> VersionRecord:
        return cls(
            version=str(data["version"]),
            published=str(data["published"]),
            rows=int(data["rows"]),
            run_id=str(data.get("run_id", "")),
            format=str(data["format"]),
            partition_by=list(data.get("partition_by", [])),
            location=str(data["location"]),
            schema=list(data.get("schema", [])),
            properties={str(k): str(v) for k, v in (data.get("properties") or {}).items()},
        )


@dataclass
class PublishResult:
    """The outcome of :func:`publish_table`; ``skipped`` when the version was already current."""

    table: str
    version: str
    location: str
    rows: int
    previous_version: str | None
    skipped: bool


@dataclass
class TableInfo:
    """A published table as analysts see it: the current version and the kept ones."""

    name: str
    version: str
    versions: list[str]
    rows: int
    format: str
    partition_by: list[str]
    location: str
    updated: str
