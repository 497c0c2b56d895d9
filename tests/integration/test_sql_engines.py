"""`sparkwing sql --engine duckdb` returns the rows Spark SQL returns, on tables published by
sparkwing's own publish (versioned folders, hive partitions, null partitions, Spark's types)."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest

from sparkwing.config import TableSpec
from sparkwing.warehouse import duckdb_sql, publish_table, run_sql
from sparkwing.workspace import Workspace

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def workspace(spark, settings, loans) -> Workspace:
    ws = Workspace.from_settings(settings)
    for version in ("1", "2"):  # two versions: DuckDB must read the current one
        df = loans if version == "2" else loans.limit(10)
        publish_table(spark, df, "sqleng.loans_clean", TableSpec(**{"from": "loans"}), workspace=ws,
                      version=version, run_id=f"run-{version}", keep_versions=3)
    typed = spark.createDataFrame(
        [(1, 2.5, "a", dt.date(2021, 3, 4), dt.datetime(2021, 3, 4, 5, 6, 7), Decimal("1.25"), True, "CA"),
         (2, None, None, None, None, None, None, None),
         (3, -1.0, "c", dt.date(1999, 12, 31), dt.datetime(2000, 1, 1), Decimal("-0.50"), False, "NY")],
        "id int, x double, s string, d date, ts timestamp, amount decimal(10,2), ok boolean, state string",
    )
    publish_table(spark, typed, "sqleng.typed", TableSpec(**{"from": "typed", "partition_by": ["state"]}),
                  workspace=ws, version="1", run_id="run-1", keep_versions=3)
    return ws


QUERIES = [
    "SELECT purpose, avg(int_rate) AS rate, count(*) AS n FROM sqleng.loans_clean GROUP BY 1 ORDER BY 1",
    "SELECT count(*) AS n FROM sqleng.loans_clean",
    "SELECT * FROM sqleng.loans_clean ORDER BY loan_amnt, int_rate, annual_inc LIMIT 20",
    "SELECT term, max(loan_amnt) AS top FROM sqleng.loans_clean WHERE bad_loan = 1 "
    "GROUP BY term ORDER BY term",
    "SELECT * FROM sqleng.typed ORDER BY id",
    "SELECT state, count(*) AS n FROM sqleng.typed GROUP BY state ORDER BY state",
]


@pytest.mark.parametrize("query", QUERIES)
def test_duckdb_returns_the_rows_spark_returns(spark, workspace, query):
    df = run_sql(spark, query)
    expected = [tuple(r) for r in df.collect()]
    got = duckdb_sql(workspace, query, limit=10_000)
    assert got.columns == list(df.columns)
    assert len(got.rows) == len(expected)
    for mine, theirs in zip(got.rows, expected, strict=True):
        assert len(mine) == len(theirs)
        for a, b in zip(mine, theirs, strict=True):
            if isinstance(b, float) and isinstance(a, float):
                assert math.isclose(a, b, rel_tol=1e-12), (query, mine, theirs)
            else:
                assert a == b, (query, mine, theirs)
