"""The loans example twice: as the YAML spec and written in Python; same tables, same model.

Both run in the session's workspace, under different names.  The model is one seeded GBM
instead of the example's AutoML: an AutoML search is bounded by models and time, and
equality of its winner between two runs is not what this test is about; a seeded single
algorithm on the same rows must give the same model to the last digit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "loans" / "pipeline.yaml"
GBM = {"name": "gbm", "params": {"ntrees": 20, "max_depth": 4, "seed": 42}}

pytestmark = [pytest.mark.spark, pytest.mark.h2o, pytest.mark.slow]


def _spec_copy(tmp_path: Path) -> Path:
    """The example, renamed to the ``parity_spec`` names, with the seeded GBM."""
    spec = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    spec["name"] = "loans_parity"
    spec["sources"]["loans_raw"]["uri"] = str(EXAMPLE.parent / spec["sources"]["loans_raw"]["uri"])
    spec["tables"] = {"parity_spec.loans_clean": spec["tables"]["credit.loans_clean"]}
    model = spec["models"].pop("loan_default")
    model["from"] = "parity_spec.loans_clean"
    del model["automl"]
    model["algorithm"] = GBM
    spec["models"] = {"parity_spec_loans": model}
    score = spec["scores"].pop("credit.loan_scores")
    spec["scores"] = {"parity_spec.loan_scores": {**score, "model": "parity_spec_loans@production",
                                                  "from": "parity_spec.loans_clean"}}
    path = tmp_path / "pipeline.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def _in_python(sw: Any, ws: Any) -> None:
    """examples/loans/pipeline.yaml, section by section, in Python."""
    raw = sw.read(str(EXAMPLE.parent / "data" / "loan.csv"), format="csv", workspace=ws)
    clean = sw.prepare(raw.df, [
        sw.steps.cast(int_rate="double", annual_inc="double", revol_util="double", dti="double",
                      emp_length="int", bad_loan="int"),
        sw.steps.trim("term", "home_ownership", "purpose", "addr_state", "verification_status"),
        sw.steps.lower("home_ownership", "verification_status"),
        sw.steps.fill_missing(emp_length="median", revol_util="median", annual_inc="median"),
        sw.steps.filter("annual_inc > 0"),
        sw.steps.derive(loan_to_income="loan_amnt / annual_inc",
                        term_months="cast(regexp_extract(term, '([0-9]+)', 1) as int)"),
        sw.steps.clip(revol_util=(0, 150)),
    ])
    sw.check(clean, [
        sw.checks.not_null("bad_loan", "loan_amnt", "term_months"),
        sw.checks.in_set(bad_loan=[0, 1]),
        sw.checks.in_range(int_rate=(0, 40)),
        sw.checks.row_count(min=500),
        sw.checks.max_null_share(longest_credit_length=0.05, severity="warn"),
    ])
    sw.publish(clean, "parity_py.loans_clean", format="parquet", workspace=ws)
    model = sw.fit("parity_py.loans_clean", target="bad_loan", task="binary", ignore=["term"],
                   split={"ratio": 0.8, "seed": 42}, algorithm=GBM, register="parity_py_loans",
                   workspace=ws)
    sw.models(ws).promote("parity_py_loans", model.version.version, alias="production")
    scores = sw.predict("parity_py.loans_clean", "parity_py_loans@production", workspace=ws)
    sw.publish(scores.df, "parity_py.loan_scores", workspace=ws)


def _content(spark: Any, table: str) -> tuple[list[str], int, str]:
    """Columns, row count and an order-independent hash of every value.

    ``model_name`` is left out: the two runs register the model under different names.
    """
    from pyspark.sql import functions as F

    df = spark.table(table).drop("model_name")
    row = df.agg(F.count("*").alias("n"),
                 F.sum(F.xxhash64(*df.columns).cast("decimal(38,0)")).alias("h")).first()
    return df.columns, row["n"], str(row["h"])


def test_the_spec_and_the_python_api_give_the_same_tables_and_model(spark, settings, tmp_path) -> None:
    import sparkwing as sw

    ws = sw.Workspace(settings=settings)
    run = sw.Pipeline.from_yaml(_spec_copy(tmp_path)).run(workspace=ws)
    assert run.status == "succeeded"
    _in_python(sw, ws)

    for table in ("loans_clean", "loan_scores"):
        by_spec, by_python = _content(spark, f"parity_spec.{table}"), _content(spark, f"parity_py.{table}")
        assert by_spec == by_python, table
        assert by_spec[1] == run.steps[f"parity_spec.{table}"].rows_out
    models = sw.models(ws)
    spec_model = models.get("parity_spec_loans@production")
    py_model = models.get("parity_py_loans@production")
    assert spec_model.card.algorithm == py_model.card.algorithm
    assert [f.name for f in spec_model.card.features] == [f.name for f in py_model.card.features]
    spec_metrics, py_metrics = spec_model.card.metrics.holdout, py_model.card.metrics.holdout
    assert set(spec_metrics) == set(py_metrics) and "auc" in spec_metrics
    for name, value in spec_metrics.items():
        assert py_metrics[name] == pytest.approx(value, rel=1e-9, abs=1e-12), name
