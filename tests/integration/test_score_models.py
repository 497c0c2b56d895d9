"""Batch scoring with registered MOJOs (no H2OContext needed) and the Java PredictCsv parity test."""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

import pytest

from sparkwing.errors import ScoringError

pytestmark = [pytest.mark.spark, pytest.mark.h2o, pytest.mark.slow]


def test_score_batch_adds_flat_prediction_columns(spark, loans, loan_registry) -> None:
    from sparkwing.score import score_batch

    reg, version = loan_registry
    mv = reg.get("loan_default@1")
    result = score_batch(spark, loans, mv)
    assert result.rows == 999 and result.unseen_levels == {} and result.missing_features == []
    assert result.df.columns == [*loans.columns, "predict", "p0", "p1", "model_name", "model_version"]
    rows = result.df.select("predict", "p0", "p1", "model_name", "model_version").collect()
    assert len(rows) == 999
    for r in rows[:50]:
        assert r.predict in ("0", "1") and r.p0 + r.p1 == pytest.approx(1.0)
        assert (r.model_name, r.model_version) == ("loan_default", version.version)
        # The label follows the model's max-F1 threshold on p1, as H2O does.
        assert r.predict == ("1" if r.p1 >= mv.card.threshold else "0")


def test_unseen_levels_are_counted_and_score_as_na(spark, loans, loan_registry) -> None:
    from pyspark.sql import functions as F

    from sparkwing.score import score_batch

    _, mv = loan_registry
    odd = loans.withColumn(
        "addr_state", F.when(F.col("loan_amnt") < 5000, F.lit("ZZ")).otherwise(F.col("addr_state"))
    )
    expected = loans.where("loan_amnt < 5000").count()
    result = score_batch(spark, odd, mv)
    assert result.unseen_levels == {"addr_state": expected}
    assert result.df.where("p1 IS NULL").count() == 0


def test_missing_feature_is_an_error_naming_it_unless_allowed(spark, loans, loan_registry) -> None:
    from sparkwing.score import score_batch

    _, mv = loan_registry
    with pytest.raises(ScoringError, match="lacks feature\\(s\\) of loan_default@1: dti"):
        score_batch(spark, loans.drop("dti"), mv)
    result = score_batch(spark, loans.drop("dti"), mv, allow_missing=True)
    assert result.missing_features == ["dti"] and result.df.count() == 999
    assert "dti" not in result.df.columns  # only the input's own columns pass through


def test_extra_columns_pass_through_and_a_clash_is_refused(spark, loans, loan_registry) -> None:
    from pyspark.sql import functions as F

    from sparkwing.score import score_batch

    _, mv = loan_registry
    out = score_batch(spark, loans.withColumn("customer_id", F.monotonically_increasing_id()), mv).df
    assert "customer_id" in out.columns
    with pytest.raises(ScoringError, match="already has column"):
        score_batch(spark, loans.withColumn("predict", F.lit(1)), mv)


def test_java_predictcsv_matches_spark_scores(spark, loans, loan_registry, tmp_path) -> None:
    """A Java application scoring with the registry's genmodel jar finds the same predictions."""
    from sparkwing.engine import find_java
    from sparkwing.score import score_batch

    _, mv = loan_registry
    folder = Path(mv.uri)
    sample = loans.orderBy("loan_amnt", "annual_inc", "addr_state").limit(120)
    rows = sample.collect()
    features = mv.card.feature_names()
    src = tmp_path / "in.csv"
    with src.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(features)
        for r in rows:
            w.writerow(["" if r[c] is None else r[c] for c in features])
    out = tmp_path / "out.csv"
    java = find_java().java
    proc = subprocess.run(
        [java, "-cp", str(folder / "h2o-genmodel.jar"), "hex.genmodel.tools.PredictCsv",
         "--mojo", str(folder / "model.mojo"), "--input", str(src), "--output", str(out), "--decimal"],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    with out.open() as fh:
        java_rows = list(csv.DictReader(fh))
    spark_rows = score_batch(spark, spark.createDataFrame(rows, sample.schema), mv).df.collect()
    assert len(java_rows) == len(spark_rows) == 120
    for j, s in zip(java_rows, spark_rows, strict=True):
        assert j["predict"] == s.predict
        assert float(j["p1"]) == pytest.approx(s.p1, abs=1e-6)
        assert float(j["p0"]) == pytest.approx(s.p0, abs=1e-6)


def test_predict_file_scores_a_csv(spark, loan_registry, tmp_path, data_dir) -> None:
    from sparkwing.score import predict_file

    _, mv = loan_registry
    out = tmp_path / "scores.csv"
    rows = predict_file(spark, mv, data_dir / "loan.csv", out)
    assert rows == 999
    with out.open() as fh:
        header = next(csv.reader(fh))
        assert header[-5:] == ["predict", "p0", "p1", "model_name", "model_version"]
        assert sum(1 for _ in fh) == 999


def test_card_in_the_registry_is_complete(loan_registry) -> None:
    reg, mv = loan_registry
    card = reg.get("loan_default@latest").card
    assert card == mv.card and card.task == "binary" and card.target == "bad_loan"
    assert card.classes == ["0", "1"] and card.threshold is not None and card.features
    assert card.metrics.holdout and card.metrics.cv and card.leaderboard and card.variable_importance
    assert card.lineage.run_id == "test-run" and card.lineage.spec_hash == "abc" and card.lineage.sources
    assert card.versions.sparkwing and card.versions.h2o and card.versions.spark
    assert set(card.artifacts) >= {"model.mojo", "h2o-genmodel.jar"}
    assert any(a.startswith("pojo/") for a in card.artifacts)
