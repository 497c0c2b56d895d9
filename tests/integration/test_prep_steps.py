"""prep steps on real Spark: every step kind, observed figures, unknown columns."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from sparkwing.config import Step
from sparkwing.errors import ConfigError, StepFailed
from sparkwing.prep import StepStats, apply_steps, resolve_stats

pytestmark = pytest.mark.spark


def steps(*specs: dict) -> list[Step]:
    return [Step.model_validate(s) for s in specs]


def run(df, *specs: dict, **kw):
    return apply_steps(df, steps(*specs), **kw)


def settle(out, stats: list[StepStats]) -> list[dict]:
    """Run one full action over the result, then read the observed figures."""
    rows = out.collect()
    assert resolve_stats(stats, timeout=10)
    return [r.asDict() for r in rows]


@pytest.fixture(scope="module")
def people(spark):
    return spark.createDataFrame(
        [
            (1, " Ann ", "12", 3.0, "2024-03-05"),
            (2, "bob", "x7", None, "2024-12-31"),
            (3, None, None, 5.0, "nope"),
            (4, "CAROL ", "40", 10.0, None),
        ],
        "id int, name string, age string, score double, day string",
    )


def test_select_drop_rename(people):
    out, stats = run(
        people, {"select": ["id", "NAME", "score"]}, {"drop": ["score"]}, {"rename": {"name": "who"}}
    )
    assert out.columns == ["id", "who"]
    assert [s.kind for s in stats] == ["select", "drop", "rename"] and [s.index for s in stats] == [0, 1, 2]
    with pytest.raises(ConfigError, match="second column 'id'"):
        run(people, {"rename": {"name": "id"}})


def test_cast_counts_failures_without_a_job(spark, people):
    sc = spark.sparkContext
    sc.setJobGroup("prep-cast", "cast")
    out, stats = run(people, {"cast": {"age": "int", "score": "bigint"}})
    sc.setLocalProperty("spark.jobGroup.id", None)
    assert sc.statusTracker().getJobIdsForGroup("prep-cast") == []  # lazy: no job yet
    assert stats[0].pending == ["cast_failures"]
    rows = settle(out, stats)
    assert [r["age"] for r in rows] == [12, None, None, 40]
    # "x7" was a value and became null; the original null is not a failure.
    assert stats[0].notes == {"cast_failures": {"age": 1, "score": 0}}
    assert dict(out.dtypes)["score"] == "bigint"


def test_cast_bool_alias_and_pending_without_action(people):
    out, stats = run(people, {"cast": {"id": "bool"}})
    assert dict(out.dtypes)["id"] == "boolean"
    assert resolve_stats(stats, timeout=0.05) is False  # no action ran: figures stay pending
    assert stats[0].to_dict()["pending"] == ["cast_failures"]
    assert json.loads(json.dumps(vars(stats[0]))) == {"index": 0, "kind": "cast", "notes": {}}


def test_trim_lower_upper(people):
    out, _ = run(people, {"trim": "all"}, {"lower": ["name"]})
    assert [r.name for r in out.orderBy("id").collect()] == ["ann", "bob", None, "carol"]
    out, _ = run(people, {"trim": ["name"]}, {"upper": ["name"]})
    assert out.orderBy("id").first().name == "ANN"
    with pytest.raises(ConfigError, match=r"steps\[0\].trim: column 'score' is double, needs a string"):
        run(people, {"trim": ["score"]})


def test_fill_missing_one_aggregate(spark):
    df = spark.createDataFrame(
        [
            (1, 1.0, "a", None),
            (None, 2.0, "b", "z"),
            (3, None, "b", None),
            (4, 10.0, None, "q"),
            (None, None, None, None),
        ],
        "i int, d double, s string, t string",
    )
    sc = spark.sparkContext
    sc.setJobGroup("prep-fill", "fill")
    out, stats = run(df, {"fill_missing": {"i": "mean", "d": "median", "s": "mode", "t": {"constant": "?"}}})
    sc.setLocalProperty("spark.jobGroup.id", None)
    one_agg = sc.statusTracker().getJobIdsForGroup("prep-fill")
    sc.setJobGroup("prep-baseline", "baseline")
    df.agg({"d": "avg"}).first()
    sc.setLocalProperty("spark.jobGroup.id", None)
    assert len(one_agg) == len(sc.statusTracker().getJobIdsForGroup("prep-baseline"))
    rows = settle(out, stats)
    assert [r["i"] for r in rows] == [1, 3, 3, 4, 3]  # mean 2.67 rounded for an int column
    assert [r["d"] for r in rows] == [1.0, 2.0, 2.0, 10.0, 2.0]
    assert [r["s"] for r in rows] == ["a", "b", "b", "b", "b"]
    assert [r["t"] for r in rows] == ["?", "z", "?", "q", "?"]
    assert stats[0].notes["fill_values"] == {"t": "?", "i": 3, "d": 2.0, "s": "b"}
    assert stats[0].notes["filled"] == {"t": 3, "i": 2, "d": 2, "s": 2}


def test_fill_missing_errors_and_all_null(spark):
    df = spark.createDataFrame([(None, "a"), (None, None)], "n double, s string")
    with pytest.raises(ConfigError, match="constant 'x' does not fit column 'n'"):
        run(df, {"fill_missing": {"n": {"constant": "x"}}})
    with pytest.raises(ConfigError, match="needs a numeric column for median"):
        run(df, {"fill_missing": {"s": "median"}})
    out, stats = run(df, {"fill_missing": {"n": "mean"}})
    assert stats[0].notes == {"fill_values": {"n": None}, "unfilled": ["n"]}
    assert out.where("n is null").count() == 2


def test_filter_counts_rows_in_and_out(people):
    out, stats = run(people, {"filter": "score > 4"})
    rows = settle(out, stats)
    assert [r["id"] for r in rows] == [3, 4]  # null score removed too (SQL semantics)
    assert stats[0].notes == {"rows_in": 4, "rows_out": 2, "rows_removed": 2}


def test_derive_sequential(people):
    out, _ = run(people, {"derive": {"double_score": "score * 2", "quad": "double_score * 2"}})
    assert out.orderBy("id").first()["quad"] == 12.0


def test_dedupe_first_last_and_deterministic(spark):
    df = spark.createDataFrame(
        [("a", 3, "x"), ("a", 1, "y"), ("a", None, "z"), ("b", 5, "p"), ("b", 5, "o"), ("c", None, "n")],
        "k string, t int, v string",
    )
    out, stats = run(df, {"dedupe": {"keys": ["k"], "order_by": "t", "keep": "first"}})
    rows = settle(out, stats)
    assert sorted((r["k"], r["t"], r["v"]) for r in rows) == [("a", 1, "y"), ("b", 5, "o"), ("c", None, "n")]
    assert stats[0].notes == {"rows_in": 6, "rows_out": 3, "rows_removed": 3}
    last, _ = run(df, {"dedupe": {"keys": ["k"], "order_by": "t", "keep": "last"}})
    assert sorted(tuple(r) for r in last.collect())[0] == ("a", 3, "x")
    # Without order_by the kept row is the smallest by the other columns, whatever the partitioning.
    for parts in (1, 3):
        plain, _ = run(df.repartition(parts), {"dedupe": {"keys": ["k"]}})
        kept = sorted(tuple(r) for r in plain.collect())
        assert kept == [("a", None, "z"), ("b", 5, "o"), ("c", None, "n")]


def test_date_parts(people, spark):
    parts = ["year", "month", "day", "dayofweek", "quarter"]
    out, stats = run(people, {"date_parts": {"column": "day", "parts": parts}})
    rows = settle(out, stats)
    first = {k: v for k, v in rows[0].items() if k.startswith("day_")}
    assert first == {"day_year": 2024, "day_month": 3, "day_day": 5, "day_dayofweek": 3, "day_quarter": 1}
    assert rows[1]["day_quarter"] == 4 and rows[2]["day_year"] is None
    assert stats[0].notes == {"parse_failures": 1}  # "nope"; the null is not a failure
    df = spark.createDataFrame([("05/03/2024",)], "d string")
    spec = {"column": "d", "format": "dd/MM/yyyy", "parts": ["month"], "prefix": "", "drop": True}
    out, _ = run(df, {"date_parts": spec})
    assert out.collect()[0].asDict() == {"month": 3}
    dates = spark.createDataFrame([(dt.date(2024, 1, 1),)], "d date")
    assert run(dates, {"date_parts": {"column": "d", "parts": ["week"]}})[0].first()["d_week"] == 1
    with pytest.raises(ConfigError, match="needs a date, timestamp or string"):
        run(people, {"date_parts": {"column": "score"}})


def test_bucketize(spark):
    values = [0.0, 4.9, 5.0, 10.0, 11.0, None, float("nan")]
    df = spark.createDataFrame([(v,) for v in values], "x double")
    out, stats = run(df, {"bucketize": {"column": "x", "splits": [0, 5, 10]}})
    rows = settle(out, stats)
    assert [r["x_bucket"] for r in rows] == [0, 0, 1, 1, None, None, None]
    assert stats[0].notes == {"out_of_range": 2}  # 11.0 and NaN; null input is not counted
    spec = {"column": "x", "splits": [0, 5, 10], "labels": ["low", "high"], "output": "b"}
    labelled, _ = run(df, {"bucketize": spec})
    assert [r.b for r in labelled.collect()][:4] == ["low", "low", "high", "high"]


def test_clip_keeps_type_and_nulls(spark):
    df = spark.createDataFrame([(1, -5.0), (50, 3.0), (None, None), (7, float("nan"))], "i int, d double")
    out, stats = run(df, {"clip": {"i": [0, 10], "d": [0, None]}})
    rows = settle(out, stats)
    assert [r["i"] for r in rows] == [1, 10, None, 7]
    assert rows[0]["d"] == 0.0 and rows[2]["d"] is None and rows[3]["d"] != rows[3]["d"]  # NaN kept
    assert dict(out.dtypes) == {"i": "int", "d": "double"}
    assert stats[0].notes == {"clipped": {"i": 1, "d": 1}}


def test_map_values(spark):
    df = spark.createDataFrame([("RENT",), ("OWN",), ("OTHER",), (None,)], "h string")
    mapping = {"RENT": "rent", "OWN": "own"}
    kept, _ = run(df, {"map_values": {"column": "h", "mapping": mapping}})
    assert [r.h for r in kept.collect()] == ["rent", "own", "OTHER", None]
    dropped, _ = run(df, {"map_values": {"column": "h", "mapping": mapping, "keep_unmapped": False}})
    assert [r.h for r in dropped.collect()] == ["rent", "own", None, None]
    defaulted, _ = run(df, {"map_values": {"column": "h", "mapping": mapping, "default": "other"}})
    assert [r.h for r in defaulted.collect()] == ["rent", "own", "other", None]
    nums = spark.createDataFrame([(1,), (2,)], "n int")
    mapped, _ = run(nums, {"map_values": {"column": "n", "mapping": {"1": 10}}})
    assert [r.n for r in mapped.collect()] == [10, 2]


def test_join_with_input(spark, people):
    states = spark.createDataFrame([(1, "AZ", 0.5), (2, "GA", 0.7)], "ID int, state string, score double")
    out, stats = run(people, {"join": {"with": "states", "on": ["id"]}}, inputs={"states": states})
    row = out.where("id = 1").first()
    assert row["state"] == "AZ" and row["score_states"] == 0.5 and row["score"] == 3.0
    assert stats[0].notes == {"renamed": {"score": "score_states"}}
    anti = {"join": {"with": "states", "on": ["id"], "how": "left_anti"}}
    semi, _ = run(people, anti, inputs={"states": states})
    assert sorted(r.id for r in semi.collect()) == [3, 4] and semi.columns == people.columns
    with pytest.raises(ConfigError, match=r"unknown input 'nowhere'; available: states"):
        run(people, {"join": {"with": "nowhere", "on": ["id"]}}, inputs={"states": states})


def test_unknown_columns_name_step_and_columns(people):
    with pytest.raises(ConfigError) as err:
        run(people, {"select": ["id"]}, {"cast": {"agee": "int"}}, dataset="loans")
    msg = str(err.value)
    assert msg.startswith("loans.steps[1].cast: unknown column 'agee'; available: id")
    assert "\n" not in msg and err.value.hint
    # Columns inside SQL expressions: Spark's analysis error, translated.
    with pytest.raises(ConfigError, match=r"steps\[0\].filter: unknown column 'nope'; available: id, name"):
        run(people, {"filter": "nope > 1"})
    with pytest.raises(ConfigError, match=r"steps\[0\].derive: cannot parse"):
        run(people, {"derive": {"x": "score +"}})
    with pytest.raises(ConfigError, match=r"unknown column 'zz'"):
        run(people, {"dedupe": {"keys": ["id"], "order_by": "zz"}})


def test_other_analysis_errors_are_step_failed(people):
    with pytest.raises(StepFailed, match=r"steps\[0\].derive: ") as err:
        run(people, {"derive": {"x": "sum(score)"}})  # an aggregate is not a row expression
    assert "\n" not in err.value.message


def test_loan_csv_pipeline(spark, data_dir):
    raw = spark.read.csv(str(data_dir / "loan.csv"), header=True)
    out, stats = run(
        raw,
        {"cast": {"int_rate": "double", "emp_length": "int", "annual_inc": "double", "loan_amnt": "double"}},
        {"fill_missing": {"emp_length": "median"}},
        {"derive": {"loan_to_income": "loan_amnt / annual_inc"}},
        {"filter": "annual_inc > 0"},
        dataset="loans_clean",
    )
    rows = settle(out.select("emp_length", "loan_to_income"), stats)
    assert len(rows) == stats[3].notes["rows_out"] == 999 - stats[3].notes["rows_removed"]
    assert stats[0].notes["cast_failures"]["int_rate"] == 0
    assert all(r["emp_length"] is not None for r in rows)


def test_public_names():
    import sparkwing.prep

    names = ["CheckResult", "StepStats", "apply_steps", "gate", "resolve_stats", "run_checks"]
    assert sparkwing.prep.__all__ == names
