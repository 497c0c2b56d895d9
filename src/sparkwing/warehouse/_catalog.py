"""Metastore and filesystem primitives: the public view, the per-version tables, data dirs.

A published table ``db.t`` is a view over one immutable physical table ``db.t__v<version>``
(see docs/warehouse.md).  Everything that talks to the metastore or deletes data is here.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sparkwing.errors import WarehouseError
from sparkwing.warehouse._model import TableName, VersionRecord, literal, quote

if TYPE_CHECKING:
    from pyspark.sql import SparkSession
    from pyspark.sql.types import StructType

MANAGED = "sparkwing.managed"
PREFIX = "sparkwing."
_FROM = re.compile(r"\bFROM\s+`((?:[^`]|``)+)`\.`((?:[^`]|``)+)`\s*$", re.IGNORECASE)


def exists(spark: SparkSession, name: TableName) -> bool:
    return bool(spark.catalog.databaseExists(name.db)) and bool(spark.catalog.tableExists(str(name)))


def ensure_database(spark: SparkSession, db: str, location: str) -> None:
    spark.sql(f"CREATE DATABASE IF NOT EXISTS {quote(db)} LOCATION {literal(location)}")


def describe(spark: SparkSession, name: TableName) -> dict[str, str]:
    """The 'Detailed Table Information' rows of DESCRIBE TABLE EXTENDED."""
    rows = spark.sql(f"DESCRIBE TABLE EXTENDED {name.sql}").collect()
    return {r.col_name: r.data_type for r in rows if r.col_name and not r.col_name.startswith("#")}


def properties(spark: SparkSession, name: TableName) -> dict[str, str]:
    from pyspark.errors import AnalysisException

    try:
        rows = spark.sql(f"SHOW TBLPROPERTIES {name.sql}").collect()
    except AnalysisException:
        # e.g. a version table dropped by hand while the view still points at it
        raise WarehouseError(f"table {name} is missing from the metastore", hint="re-publish it") from None
    return {r.key: r.value for r in rows}


def current_physical(spark: SparkSession, name: TableName) -> TableName | None:
    """The physical table the public view points at; None if ``name`` does not exist yet."""
    if not exists(spark, name):
        return None
    info = describe(spark, name)
    if info.get("Type") != "VIEW" or properties(spark, name).get(MANAGED) != "true":
        raise WarehouseError(
            f"{name} exists and is not a sparkwing table",
            hint="drop it or publish under another name",
        )
    match = _FROM.search(info.get("View Text", "").strip())
    if not match:
        raise WarehouseError(f"{name}: cannot read the version from its view text", hint="re-publish it")
    return TableName(match.group(1).replace("``", "`"), match.group(2).replace("``", "`"))


def record_of(spark: SparkSession, physical: TableName) -> VersionRecord:
    """A version's record from its physical table's properties (written before the switch)."""
    props = properties(spark, physical)
    if PREFIX + "version" not in props:
        raise WarehouseError(f"{physical} is not a sparkwing table version", hint="re-publish the table")
    part = props.get(PREFIX + "partition_by", "")
    return VersionRecord(
        version=props[PREFIX + "version"],
        published=props.get(PREFIX + "published", ""),
        rows=int(props.get(PREFIX + "rows", "-1")),
        run_id=props.get(PREFIX + "run_id", ""),
        format=props.get(PREFIX + "format", ""),
        partition_by=part.split(",") if part else [],
        location=props.get(PREFIX + "location", ""),
        schema=schema_json(spark.table(physical.sql).schema),
    )


def schema_json(schema: StructType) -> list[dict[str, str]]:
    return [{"name": f.name, "type": f.dataType.simpleString()} for f in schema.fields]


_RECORD_KEYS = frozenset(PREFIX + k for k in ("public", "version", "published", "rows", "run_id", "format",
                                                "partition_by", "location"))


def create_physical(
    spark: SparkSession, physical: TableName, public: TableName, schema: StructType, record: VersionRecord
) -> None:
    """Register written data as an external table, then its partitions (nobody reads it yet)."""
    jtypes = spark._jvm.org.apache.spark.sql.types  # type: ignore[union-attr]
    ddl = jtypes.DataType.fromJson(schema.json()).toDDL()  # Spark quotes odd names itself
    props = {
        MANAGED: "version",
        PREFIX + "public": str(public),
        PREFIX + "version": record.version,
        PREFIX + "published": record.published,
        PREFIX + "rows": str(record.rows),
        PREFIX + "run_id": record.run_id,
        PREFIX + "format": record.format,
        PREFIX + "partition_by": ",".join(record.partition_by),
        PREFIX + "location": record.location,
        **{PREFIX + k: v for k, v in record.properties.items() if PREFIX + k not in _RECORD_KEYS},
    }
    parts = ""
    if record.partition_by:
        parts = f"PARTITIONED BY ({', '.join(quote(c) for c in record.partition_by)})"
    spark.sql(
        f"CREATE TABLE {physical.sql} ({ddl}) USING {record.format} {parts} "
        f"LOCATION {literal(record.location)} "
        f"TBLPROPERTIES ({', '.join(f'{literal(k)}={literal(v)}' for k, v in props.items())})"
    )
    if record.partition_by:
        spark.sql(f"ALTER TABLE {physical.sql} RECOVER PARTITIONS")


def switch(spark: SparkSession, public: TableName, physical: TableName, columns: list[str]) -> None:
    """Point ``public`` at ``physical``: CREATE VIEW the first time, else one ALTER VIEW.

    ALTER VIEW ... AS is one metastore ``alter_table`` (view text and schema together);
    CREATE OR REPLACE VIEW would be a drop and a create, so it is not used on an existing view.
    """
    select = f"SELECT {', '.join(quote(c) for c in columns)} FROM {physical.sql}"
    if exists(spark, public):
        spark.sql(f"ALTER VIEW {public.sql} AS {select}")
    else:
        spark.sql(f"CREATE VIEW {public.sql} TBLPROPERTIES ({literal(MANAGED)}='true') AS {select}")
    spark.catalog.refreshTable(str(public))


def version_tables(spark: SparkSession, public: TableName) -> dict[str, TableName]:
    """Physical tables of ``public`` by version, found by name prefix and checked by property."""
    prefix = f"{public.table}__v"
    out: dict[str, TableName] = {}
    for row in spark.sql(f"SHOW TABLES IN {quote(public.db)}").collect():
        if row.isTemporary or not row.tableName.startswith(prefix):
            continue
        physical = TableName(public.db, row.tableName)
        props = properties(spark, physical)
        if props.get(PREFIX + "public") == str(public) and PREFIX + "version" in props:
            out[props[PREFIX + "version"]] = physical
    return out


def drop_table(spark: SparkSession, physical: TableName) -> None:
    # External tables: DROP removes metadata only; the data dir is deleted by delete_dir.
    spark.sql(f"DROP TABLE IF EXISTS {physical.sql}")


def _fs(spark: SparkSession, uri: str):  # noqa: ANN202 - py4j objects
    jvm: Any = spark._jvm  # type: ignore[attr-defined]
    path = jvm.org.apache.hadoop.fs.Path(uri)
    return path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), path  # type: ignore[union-attr]


def delete_dir(spark: SparkSession, uri: str) -> None:
    """Delete a data directory through Hadoop's filesystem (local, HDFS, S3 on EMR alike)."""
    fs, path = _fs(spark, uri)
    if fs.exists(path):
        fs.delete(path, True)


def list_dirs(spark: SparkSession, uri: str) -> list[str]:
    fs, path = _fs(spark, uri)
    if not fs.exists(path):
        return []
    return sorted(s.getPath().getName() for s in fs.listStatus(path) if s.isDirectory())
