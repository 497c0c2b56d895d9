"""Quality checks: pass and fail cases, severities, the gate, and the single aggregate pass."""

from __future__ import annotations

import json
import logging

import pytest

from sparkwing.config import Check
from sparkwing.errors import CheckFailed, ConfigError
from sparkwing.prep import CheckResult, gate, run_checks

pytestmark = pytest.mark.spark


def checks(*specs: dict) -> list[Check]:
    return [Check.model_validate(s) for s in specs]


@pytest.fixture(scope="module")
def df(spark):
    return spark.createDataFrame(
        [
            (1, "a", 5.0, "AZ", "x1"),
            (2, "b", None, "GA", "x2"),
            (2, "c", 45.0, "ZZ", "bad"),
            (3, None, float("nan"), None, None),
        ],
        "id int, name string, rate double, state string, code string",
    )


# Every pass/fail case below runs in ONE run_checks call (one aggregate query), kept by label.
CASES = {
    "not_null_ok": {"not_null": ["id"]},
    "not_null_bad": {"not_null": ["id", "name", "rate"]},
    "not_null_case": {"not_null": ["NAME"]},
    "unique_ok": {"unique": ["name"]},
    "unique_bad": {"unique": ["id"]},
    "unique_pair": {"unique": ["id", "name"]},
    "range_bad": {"in_range": {"rate": [0, 40], "id": [1, None]}},
    "range_ok": {"in_range": {"id": [1, 3]}},
    "set_ok": {"in_set": {"name": ["a", "b", "c"]}},
    "set_bad": {"in_set": {"state": ["AZ", "GA"], "id": [1, 2]}},
    "set_text": {"in_set": {"code": [1, 2]}},
    "regex_bad": {"regex": {"code": r"x\d", "state": "[A-Z]{2}"}},
    "regex_partial": {"regex": {"code": "x"}},
    "rows_ok": {"row_count": {"min": 1, "max": 4}},
    "rows_bad": {"row_count": {"min": 10}},
    "share_ok": {"max_null_share": {"name": 0.25}},
    "share_bad": {"max_null_share": {"name": 0.1}},
}


@pytest.fixture(scope="module")
def results(df) -> dict[str, CheckResult]:
    return dict(zip(CASES, run_checks(df, checks(*CASES.values())), strict=True))


def test_not_null(results):
    ok = results["not_null_ok"]
    assert ok.passed and ok.message == "not_null(id): passed" and ok.observed["null_count"] == {"id": 0}
    bad = results["not_null_bad"]
    assert not bad.passed and bad.observed == {"null_count": {"id": 0, "name": 1, "rate": 1}, "rows": 4}
    assert bad.message == "not_null(id, name, rate): 1 null(s) in name, 1 null(s) in rate"


def test_unique(results):
    assert results["unique_ok"].passed  # two distinct values and one null
    bad = results["unique_bad"]
    assert not bad.passed and bad.observed == {"rows": 4, "distinct_keys": 3, "duplicate_rows": 1}
    assert results["unique_pair"].passed  # together they form a key


def test_in_range_ignores_nulls_not_nan(results):
    bad = results["range_bad"]
    assert bad.observed["out_of_range"] == {"rate": 2, "id": 0}  # 45.0 and NaN; the null is ignored
    assert bad.observed["bounds"] == {"rate": [0.0, 40.0], "id": [1.0, None]}
    assert not bad.passed and "2 value(s) out of range in rate" in bad.message
    assert results["range_ok"].passed


def test_in_set_ignores_nulls(results):
    assert results["set_ok"].passed
    bad = results["set_bad"]
    assert bad.observed["not_in_set"] == {"state": 1, "id": 1} and not bad.passed
    # A string column compared with numbers is compared as text, never cast to null silently.
    assert not results["set_text"].passed


def test_regex_is_anchored_and_ignores_nulls(df, results):
    bad = results["regex_bad"]
    assert bad.observed["not_matching"] == {"code": 1, "state": 0}
    assert not results["regex_partial"].passed  # a partial match is not enough
    with pytest.raises(ConfigError, match=r"checks\[0\].regex: invalid regex for 'code'"):
        run_checks(df, checks({"regex": {"code": "("}}))


def test_row_count(results):
    assert results["rows_ok"].passed
    bad = results["rows_bad"]
    assert not bad.passed and bad.message == "row_count: 4 rows, expected [10, inf]"
    assert bad.observed == {"rows": 4, "min": 10, "max": None}


def test_max_null_share(results):
    assert results["share_ok"].passed
    bad = results["share_bad"]
    assert not bad.passed and bad.observed["null_share"] == {"name": 0.25}
    assert bad.message == "max_null_share(name): name 25.00% null > 10.00%"


def test_empty_dataframe(spark):
    empty = spark.createDataFrame([], "a int")
    specs = checks({"max_null_share": {"a": 0}}, {"not_null": ["a"]}, {"row_count": {"min": 1}})
    results = run_checks(empty, specs)
    assert [r.passed for r in results] == [True, True, False]


def test_unknown_column_and_wrong_type(df, results):
    with pytest.raises(ConfigError, match=r"checks\[1\].not_null: unknown column 'nme'; available: id, name"):
        run_checks(df, checks({"row_count": {"min": 1}}, {"not_null": ["nme"]}))
    with pytest.raises(ConfigError, match="in_range needs a number"):
        run_checks(df, checks({"in_range": {"name": [0, 1]}}))
    assert results["not_null_case"].columns == ["name"]  # Spark's case-insensitive names


def test_gate_error_vs_warn(df, caplog):
    results = run_checks(
        df,
        checks(
            {"not_null": ["id"]},
            {"unique": ["id"], "severity": "warn"},
            {"in_range": {"rate": [0, 40]}},
            {"row_count": {"max": 2}},
        ),
    )
    outcome = [(r.severity, r.passed) for r in results]
    assert outcome == [("error", True), ("warn", False), ("error", False), ("error", False)]
    with caplog.at_level(logging.WARNING, logger="sparkwing.prep"), pytest.raises(CheckFailed) as err:
        gate(results, dataset="loans")
    assert err.value.message.startswith("2 quality check(s) failed on loans: in_range(rate): ")
    assert "row_count: 4 rows" in err.value.message and "\n" not in err.value.message
    assert [r.kind for r in err.value.results] == ["in_range", "row_count"]
    assert "unique(id): 1 duplicate row(s) by key" in caplog.text
    gate([r for r in results if r.severity == "warn" or r.passed])  # warn failures never raise
    assert json.loads(json.dumps([r.to_dict() for r in results]))[1]["observed"]["duplicate_rows"] == 1


def _jobs(spark, group: str, action) -> int:
    sc = spark.sparkContext
    sc.setJobGroup(group, group)
    try:
        action()
    finally:
        sc.setLocalProperty("spark.jobGroup.id", None)
    return len(sc.statusTracker().getJobIdsForGroup(group))


def test_all_checks_in_one_aggregate_pass(spark, df):
    from pyspark.sql import functions as F

    many = checks(
        {"not_null": ["id", "name"]},
        {"in_range": {"rate": [0, 40]}},
        {"in_set": {"state": ["AZ", "GA"]}},
        {"regex": {"code": "x[0-9]"}},
        {"row_count": {"min": 1}},
        {"max_null_share": {"rate": 0.5}},
    )
    # Six checks cost what one plain aggregate costs (AQE may split a query into stage jobs).
    baseline = _jobs(spark, "sw-base", lambda: df.agg(F.count(F.lit(1))).collect())
    assert _jobs(spark, "sw-checks", lambda: run_checks(df, many)) == baseline
    with_unique = many + checks({"unique": ["id"]}, {"unique": ["name", "state"]})
    plain = lambda: df.agg(F.count(F.lit(1)), F.count_distinct("id")).collect()  # noqa: E731
    distinct = _jobs(spark, "sw-distinct", plain)
    assert _jobs(spark, "sw-unique", lambda: run_checks(df, with_unique)) == distinct
