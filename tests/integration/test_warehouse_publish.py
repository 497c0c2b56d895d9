"""Publishing versioned Hive tables on the shared SparkSession's metastore."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from sparkwing.config import TableSpec
from sparkwing.errors import InvalidName, WarehouseError
from sparkwing.warehouse import list_tables, publish_table, rollback_table, run_sql, table_info
from sparkwing.workspace import Workspace

pytestmark = pytest.mark.spark
_ids = itertools.count()


@pytest.fixture()
def workspace(settings) -> Workspace:
    return Workspace.from_settings(settings)


@pytest.fixture()
def name() -> str:
    """A fresh db.table per test: the metastore is shared by the whole run."""
    return f"wh{next(_ids)}.items"


def spec(**kw) -> TableSpec:
    return TableSpec(**{"from": "items", **kw})


def publish(spark, workspace, name, rows, version, **kw):
    df = spark.createDataFrame(rows) if not hasattr(rows, "schema") else rows
    keep = kw.pop("keep", 3)
    return publish_table(
        spark, df, name, spec(**kw), workspace=workspace, version=version, run_id=f"run-{version}",
        keep_versions=keep,
    )  # fmt: skip


def ids(spark, name) -> list[int]:
    return sorted(r.id for r in spark.sql(f"SELECT id FROM {name}").collect())


def versions_file(workspace, name) -> dict:
    db, table = name.split(".")
    return json.loads(Path(workspace.table_dir(db, table), "_versions.json").read_text())


def test_publish_creates_then_switches(spark, workspace, name):
    first = publish(spark, workspace, name, [{"id": 1, "a": "x"}, {"id": 2, "a": "y"}], "1")
    assert (first.rows, first.previous_version, first.skipped) == (2, None, False)
    assert first.location == workspace.table_version(*name.split("."), "1")
    assert ids(spark, name) == [1, 2]

    second = publish(spark, workspace, name, [{"id": i, "a": "z"} for i in range(10, 15)], "2")
    assert (second.rows, second.previous_version) == (5, "1")
    assert ids(spark, name) == [10, 11, 12, 13, 14]

    info = table_info(spark, name, workspace)
    assert (info.version, info.versions, info.rows, info.format) == ("2", ["1", "2"], 5, "parquet")
    assert info.location == second.location and info.updated
    described = {r.col_name: r.data_type for r in spark.sql(f"DESCRIBE TABLE EXTENDED {name}").collect()}
    assert "items__v2" in described["View Text"]
    record = versions_file(workspace, name)
    assert record["current"] == "2"
    assert [v["version"] for v in record["versions"]] == ["1", "2"]
    assert record["versions"][1]["run_id"] == "run-2" and record["versions"][1]["rows"] == 5
    schema = [{"name": "a", "type": "string"}, {"name": "id", "type": "bigint"}]
    assert record["versions"][1]["schema"] == schema


def test_schema_change_switches_with_the_data(spark, workspace, name):
    publish(spark, workspace, name, [{"id": 1, "a": "x"}], "1")
    df = spark.createDataFrame([(2, 2.5, True)], "id long, b double, c boolean")
    publish(spark, workspace, name, df, "2")
    assert spark.table(name).columns == ["id", "b", "c"]
    assert [r.col_name for r in spark.sql(f"DESCRIBE {name}").collect()] == ["id", "b", "c"]
    assert spark.sql(f"SELECT b, c FROM {name}").first() == (2.5, True)

    rollback_table(spark, name, workspace)
    assert spark.table(name).columns == ["a", "id"]
    assert spark.sql(f"SELECT a FROM {name}").first() == ("x",)


def test_partitioned_publish_and_switch(spark, workspace, name):
    rows = [{"id": i, "state": s, "amount": float(i)} for i, s in enumerate(["CA", "NY", "CA", "TX"])]
    df = spark.createDataFrame(rows).select("id", "state", "amount")
    publish(spark, workspace, name, df, "1", partition_by=["state"])
    assert spark.table(name).columns == ["id", "state", "amount"]  # the DataFrame's order, kept
    assert spark.sql(f"SELECT count(*) FROM {name} WHERE state = 'CA'").first()[0] == 2
    db, table = name.split(".")
    parts = {r.partition for r in spark.sql(f"SHOW PARTITIONS {db}.{table}__v1").collect()}
    assert parts == {"state=CA", "state=NY", "state=TX"}

    rows2 = [(10, "WA", 1.0), (11, "WA", 2.0), (12, None, 3.0)]
    df2 = spark.createDataFrame(rows2, "id long, state string, amount double")
    result = publish(spark, workspace, name, df2, "2", partition_by=["state"])
    assert result.rows == 3
    assert ids(spark, name) == [10, 11, 12]
    assert spark.sql(f"SELECT count(*) FROM {name} WHERE state IS NULL").first()[0] == 1
    info = table_info(spark, name, workspace)
    assert (info.version, info.partition_by) == ("2", ["state"])

    rollback_table(spark, name, workspace)
    assert ids(spark, name) == [0, 1, 2, 3]


def test_partitioning_may_change_between_versions(spark, workspace, name):
    publish(spark, workspace, name, [{"id": 1, "p": "a"}], "1")
    publish(spark, workspace, name, [{"id": 2, "p": "b"}], "2", partition_by=["p"])
    assert ids(spark, name) == [2]
    assert table_info(spark, name, workspace).partition_by == ["p"]


def test_orc_format(spark, workspace, name):
    result = publish(spark, workspace, name, [{"id": 1}, {"id": 2}], "1", format="orc")
    assert result.rows == 2 and table_info(spark, name, workspace).format == "orc"
    assert list(Path(result.location).glob("*.orc"))
    assert ids(spark, name) == [1, 2]


def test_keep_versions_prunes_tables_and_directories(spark, workspace, name):
    for v in ["1", "2", "3", "4"]:
        publish(spark, workspace, name, [{"id": int(v)}], v, keep=2)
    db, table = name.split(".")
    table_dir = Path(workspace.table_dir(db, table))
    assert sorted(p.name for p in table_dir.iterdir() if p.is_dir()) == ["v=3", "v=4"]
    physical = sorted(r.tableName for r in spark.sql(f"SHOW TABLES IN {db}").collect())
    assert physical == ["items", "items__v3", "items__v4"]
    assert [v["version"] for v in versions_file(workspace, name)["versions"]] == ["3", "4"]
    assert table_info(spark, name, workspace).versions == ["3", "4"]

    publish(spark, workspace, name, [{"id": 5}], "5", keep=2, keep_versions=1)  # the spec wins
    assert sorted(p.name for p in table_dir.iterdir() if p.is_dir()) == ["v=5"]


def test_rollback(spark, workspace, name):
    for v in ["1", "2", "3"]:
        publish(spark, workspace, name, [{"id": int(v)}], v)
    assert rollback_table(spark, name, workspace).version == "2"
    assert ids(spark, name) == [2]
    assert rollback_table(spark, name, workspace).version == "1"
    with pytest.raises(WarehouseError, match="no version before 1"):
        rollback_table(spark, name, workspace)
    info = rollback_table(spark, name, workspace, to_version="3")
    assert (info.version, info.rows, info.versions) == ("3", 1, ["1", "2", "3"])
    assert ids(spark, name) == [3]
    with pytest.raises(WarehouseError, match="not kept"):
        rollback_table(spark, name, workspace, to_version="9")
    with pytest.raises(WarehouseError, match="does not exist"):
        rollback_table(spark, "nowhere.items", workspace)


def test_republishing_the_current_version_is_skipped(spark, workspace, name):
    first = publish(spark, workspace, name, [{"id": 1}], "1")
    files = {p: p.stat().st_mtime_ns for p in Path(first.location).iterdir()}
    again = publish(spark, workspace, name, [{"id": 7}, {"id": 8}], "1")
    assert again.skipped and again.rows == 1 and again.version == "1"
    assert {p: p.stat().st_mtime_ns for p in Path(first.location).iterdir()} == files
    assert ids(spark, name) == [1]


def test_partial_directory_is_cleared_on_resume(spark, workspace, name):
    publish(spark, workspace, name, [{"id": 1}], "1")
    db, table = name.split(".")
    partial = Path(workspace.table_version(db, table, "2"))
    (partial / "_temporary" / "0").mkdir(parents=True)
    (partial / "part-00000-dead.snappy.parquet").write_bytes(b"half a file")
    assert ids(spark, name) == [1]  # a partial directory is invisible to readers

    result = publish(spark, workspace, name, [{"id": 2}, {"id": 3}], "2")
    assert result.rows == 2 and not result.skipped
    assert ids(spark, name) == [2, 3]
    assert not (partial / "part-00000-dead.snappy.parquet").exists()
    assert not (partial / "_temporary").exists()


def test_crash_after_switch_is_finished_by_a_rerun(spark, workspace, name):
    publish(spark, workspace, name, [{"id": 1}], "1")
    publish(spark, workspace, name, [{"id": 2}], "2")
    db, table = name.split(".")
    history = Path(workspace.table_dir(db, table), "_versions.json")
    history.unlink()  # as if the process died between the switch and the history write
    assert table_info(spark, name, workspace).version == "2"
    again = publish(spark, workspace, name, [{"id": 2}], "2")
    assert again.skipped and again.rows == 1
    assert versions_file(workspace, name)["current"] == "2"


def test_list_tables(spark, workspace, name):
    publish(spark, workspace, name, [{"id": 1}, {"id": 2}], "1", partition_by=[])
    other = name.replace(".items", ".other")
    publish(spark, workspace, other, [{"id": 1, "p": "a"}], "7", partition_by=["p"], format="orc")
    found = {t.name: t for t in list_tables(spark, workspace)}
    assert found[name].rows == 2 and found[name].version == "1"
    assert (found[other].version, found[other].format, found[other].partition_by) == ("7", "orc", ["p"])
    assert not any("__v" in t for t in found)


def test_bad_input_is_a_clear_error(spark, workspace, name):
    df = spark.createDataFrame([{"id": 1}])
    with pytest.raises(InvalidName, match="invalid table name"):
        publish(spark, workspace, "no_db", df, "1")
    with pytest.raises(WarehouseError, match="partition column"):
        publish(spark, workspace, name, df, "1", partition_by=["nope"])
    with pytest.raises(InvalidName, match="invalid table version"):
        publish(spark, workspace, name, df, "../x")
    db = name.split(".")[0]
    spark.sql(f"CREATE DATABASE IF NOT EXISTS {db}")
    spark.sql(f"CREATE TABLE {db}.plain (id INT) USING parquet")
    with pytest.raises(WarehouseError, match="not a sparkwing table"):
        publish(spark, workspace, f"{db}.plain", df, "1")


def test_run_sql(spark, workspace, name):
    publish(spark, workspace, name, [{"id": 1}, {"id": 2}], "1")
    assert run_sql(spark, f"SELECT sum(id) AS s FROM {name}").first().s == 3
    with pytest.raises(WarehouseError) as err:
        run_sql(spark, f"SELECT nope FROM {name}")
    assert "\n" not in err.value.one_line() and "nope" in err.value.message
    with pytest.raises(WarehouseError, match="query failed"):
        run_sql(spark, "SELEC 1")
