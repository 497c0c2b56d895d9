"""Warehouse names, version history and public API surface (no JVM)."""

from __future__ import annotations

import pytest

from sparkwing.errors import InvalidName
from sparkwing.warehouse._model import TableName, VersionRecord, check_version
from sparkwing.warehouse._versions import History


def test_table_names():
    name = TableName.parse("Credit.Loans")
    assert (str(name), name.sql) == ("credit.loans", "`credit`.`loans`")
    assert name.physical("2024-01-02.a").table == "loans__v2024_01_02_a"
    for bad in ["loans", "a.b.c", "1db.t", "db.t-x", ""]:
        with pytest.raises(InvalidName, match="invalid (table|database) name"):
            TableName.parse(bad)


@pytest.mark.parametrize("version", ["", "../x", "-1", "a b", "x" * 65])
def test_bad_versions(version):
    with pytest.raises(InvalidName, match="invalid table version"):
        check_version(version)


def _record(v: str) -> VersionRecord:
    schema = [{"name": "id", "type": "bigint"}]
    return VersionRecord(v, "2024-01-01T00:00:00+00:00", 1, "r", "parquet", [], f"/w/v={v}", schema)


def test_history_keeps_newest_and_current():
    h = History("db.t")
    for v in "1234":
        h.add(_record(v))
    h.current = "2"  # rolled back
    dropped = h.keep_last(2)
    assert h.versions == ["2", "3", "4"] and [r.version for r in dropped] == ["1"]
    h.add(_record("3"))  # re-published: moves to the end
    assert h.versions == ["2", "4", "3"]
    again = History("db.t", "3", [VersionRecord.from_json(r.to_json()) for r in h.records])
    assert again.to_bytes() == History("db.t", "3", h.records).to_bytes()
    assert again.records[0].columns == ["id"]
