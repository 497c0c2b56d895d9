"""`sparkwing sql --engine duckdb`: read-only SQL over the published Parquet files, no JVM.

The tables here are laid out as a publish lays them out (``<table>/v=<version>/`` folders, hive
partitions, a ``_versions.json`` naming the current version), written with pyarrow.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sparkwing.errors import WarehouseError
from sparkwing.warehouse import duckdb_sql
from sparkwing.workspace import Workspace


def publish(ws: Path, name: str, versions: dict[str, dict[str, list]], *, current: str,
            partition_by: tuple[str, ...] = (), schema: list[dict[str, str]] | None = None,
            fmt: str = "parquet") -> None:
    db, table = name.split(".")
    table_dir = ws / "warehouse" / f"{db}.db" / table
    records = []
    for version, columns in versions.items():
        folder = table_dir / f"v={version}"
        data = pa.table(columns)
        if partition_by:
            pq.write_to_dataset(data, str(folder), partition_cols=list(partition_by))
        else:
            folder.mkdir(parents=True)
            pq.write_table(data, str(folder / "part-00000.snappy.parquet"))
        records.append({
            "version": version, "published": "2026-12-01T10:00:00+00:00", "rows": data.num_rows,
            "run_id": version, "format": fmt, "partition_by": list(partition_by), "location": str(folder),
            "schema": schema if schema is not None else [{"name": c, "type": "string"} for c in columns],
        })  # fmt: skip
    (table_dir / "_versions.json").write_text(json.dumps({"table": name, "current": current,
                                                          "versions": records}))


@pytest.fixture()
def ws(tmp_path) -> Path:
    publish(tmp_path, "credit.loans_clean", {
        "1": {"purpose": ["car", "car"], "amount": [1, 2]},
        "2": {"purpose": ["car", "house", "car"], "amount": [10, 20, 30]},
    }, current="2", schema=[{"name": "purpose", "type": "string"}, {"name": "amount", "type": "bigint"}])
    return tmp_path


def test_reads_the_current_version_only(ws):
    result = duckdb_sql(Workspace(ws), "SELECT purpose, sum(amount) AS total FROM credit.loans_clean "
                                       "GROUP BY purpose ORDER BY purpose")
    assert (result.columns, result.rows, result.engine) == (["purpose", "total"],
                                                           [("car", 40), ("house", 20)], "duckdb")


def test_limit_says_there_are_more_rows(ws):
    result = duckdb_sql(Workspace(ws), "SELECT * FROM credit.loans_clean ORDER BY amount", limit=2)
    assert result.rows == [("car", 10), ("house", 20)] and result.more


def test_partitioned_table_keeps_spark_column_order_and_null_partitions(tmp_path):
    schema = [{"name": "amount", "type": "bigint"}, {"name": "state", "type": "string"}]
    publish(tmp_path, "credit.by_state", {"7": {"amount": [1, 2, 3], "state": ["CA", None, "NY"]}},
            current="7", partition_by=("state",), schema=schema)
    result = duckdb_sql(Workspace(tmp_path), "SELECT * FROM credit.by_state ORDER BY state")
    # no `v` column from the version folder; NULL sorts first ascending, as in Spark
    assert result.columns == ["amount", "state"]
    assert result.rows == [(2, None), (1, "CA"), (3, "NY")]


@pytest.mark.parametrize("query", [
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_text('/etc/hostname')",
    "SELECT * FROM read_parquet('{ws}/warehouse/credit.db/loans_clean/v=1/*.parquet')",  # an old version
])
def test_files_outside_the_current_versions_cannot_be_read(ws, query):
    with pytest.raises(WarehouseError, match="query failed: Permission Error"):
        duckdb_sql(Workspace(ws), query.format(ws=ws))


@pytest.mark.parametrize("query", [
    "COPY (SELECT 1) TO '{ws}/warehouse/credit.db/loans_clean/v=2/evil.csv'",
    "CREATE TABLE x AS SELECT 1",
    "ATTACH '{ws}/x.db'",
    "INSTALL httpfs",
])
def test_nothing_is_written(ws, query):
    with pytest.raises(WarehouseError):
        duckdb_sql(Workspace(ws), query.format(ws=ws))
    assert not list(ws.rglob("evil.csv")) and not (ws / "x.db").exists()


def test_unknown_table_points_at_the_table_list(ws):
    with pytest.raises(WarehouseError, match="query failed: Catalog Error") as info:
        duckdb_sql(Workspace(ws), "SELECT * FROM credit.nope")
    assert "sparkwing tables" in (info.value.hint or "")


def test_a_table_that_is_not_parquet_points_at_spark(ws):
    publish(ws, "credit.raw_orc", {"1": {"a": ["x"]}}, current="1", fmt="orc")
    with pytest.raises(WarehouseError) as info:
        duckdb_sql(Workspace(ws), "SELECT * FROM credit.raw_orc")
    assert "credit.raw_orc is not Parquet: use --engine spark" in (info.value.hint or "")


def test_a_table_without_data_files_is_an_empty_view(tmp_path):
    publish(tmp_path, "credit.empty", {"1": {"amount": [1], "state": ["CA"]}}, current="1",
            partition_by=("state",),
            schema=[{"name": "amount", "type": "bigint"}, {"name": "state", "type": "string"}])
    for f in (tmp_path / "warehouse" / "credit.db" / "empty").rglob("*.parquet"):
        f.unlink()
    result = duckdb_sql(Workspace(tmp_path), "SELECT * FROM credit.empty")
    assert (result.columns, result.rows) == (["amount", "state"], [])


def test_s3_workspace_is_refused_with_the_alternative():
    with pytest.raises(WarehouseError, match="local workspace only") as info:
        duckdb_sql(Workspace("s3://bucket/ws"), "SELECT 1")
    assert "--engine spark" in (info.value.hint or "")


def test_a_bad_query_is_one_line(ws):
    with pytest.raises(WarehouseError, match=r"^query failed: Parser Error") as info:
        duckdb_sql(Workspace(ws), "SELECT FROM WHERE")
    assert "\n" not in str(info.value)
