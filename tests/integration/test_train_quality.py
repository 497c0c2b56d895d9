"""Model quality defaults with real H2O (one cloud): split none/auto, sort metric, calibration parity."""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

import numpy as np
import pytest

from sparkwing.config import ModelSpec, PromoteSpec

pytestmark = [pytest.mark.spark, pytest.mark.h2o, pytest.mark.slow]


def _spec(**kw) -> ModelSpec:
    return ModelSpec.model_validate({"from": "x", **kw})


def test_auto_split_on_small_data_trains_on_every_row_and_ranks_on_cv_logloss(
        spark, settings, h2o, prostate) -> None:
    from sparkwing.registry import decide_promotion
    from sparkwing.train import train_model

    spec = _spec(target="DPROS", task="multiclass", ignore=["ID"], promote={"metric": "logloss"},
                 automl={"max_models": 2, "seed": 1, "nfolds": 3, "include": ["GBM", "GLM"]})
    r = train_model(spark, settings, "dpros", spec, prostate)
    assert r.rows == {"train": 380, "holdout": 0}  # every row trains
    card = r.card
    assert card.selection.split["policy"] == "none" and card.selection.split["requested"] == "auto"
    assert "10,000 rows" in card.selection.split["reason"]
    assert card.selection.sort_metric == "logloss" and card.selection.promote_metric == "logloss"
    assert card.metrics.holdout == {} and {"logloss", "mean_per_class_error"} <= set(card.metrics.cv)
    assert card.metrics.confusion_matrix is not None and card.metrics.confusion_matrix_on == "cv"
    assert card.leaderboard_metrics_on() == "cross-validation"
    board = [row["logloss"] for row in card.leaderboard]
    assert board == sorted(board)  # ranked by log loss, not H2O's mean per-class error
    assert card.metrics.cv["logloss"] == pytest.approx(board[0], rel=1e-9)
    assert card.selection.zero_probability_rows is not None  # checked on the CV predictions
    rel = card.curves.reliability  # binned on the same CV hold-out predictions
    assert rel is not None and rel.on == "cv" and rel.kind == "top_class"
    assert sum(b.count for b in rel.bins) + rel.missing == rel.rows == 380
    # the drift reference for predictions: the CV hold-out predictions, not the training rows
    assert r.profile is not None and r.profile.prediction is not None
    assert r.profile.prediction.kind == "categorical" and not any("training rows" in w for w in r.warnings)
    d = decide_promotion(card, None, PromoteSpec(metric="logloss"))
    assert d.metrics_on == "cv" and d.reason.startswith("no current production model; promoting (cv logloss=")


def test_a_forest_that_rules_out_a_true_class_is_counted_and_never_promoted(spark, settings, h2o) -> None:
    """A DRF on training rows that x separates: its leaves are pure, so the holdout rows of the
    other class on the wrong side get their true class p = 0; the card counts them and
    promotion refuses the model."""
    from sparkwing.registry import decide_promotion
    from sparkwing.train import train_model

    train = spark.createDataFrame([(i / 400, int(i >= 200)) for i in range(400)], "x double, y int")
    holdout = spark.createDataFrame([(0.1, 1), (0.2, 1), (0.3, 0), (0.7, 1), (0.9, 0)], "x double, y int")
    spec = _spec(target="y", task="binary",
                 algorithm={"name": "drf", "params": {"ntrees": 3, "max_depth": 10, "seed": 1}})
    r = train_model(spark, settings, "forest", spec, train, holdout_df=holdout)
    assert r.card.selection.split["policy"] == "holdout_from"
    assert r.card.selection.zero_probability_rows == 3, r.warnings  # (0.1, 1), (0.2, 1), (0.9, 0)
    assert any("probability 0 to the true class of 3 holdout row(s)" in w for w in r.warnings)
    d = decide_promotion(r.card, None, PromoteSpec(metric="auc"))
    assert not d.promote and "probability 0 to the true class of 3" in d.reason


def test_stratified_holdout_and_leaderboard_with_cv_and_holdout_columns(
        spark, settings, h2o, prostate) -> None:
    from sparkwing.train import train_model

    spec = _spec(target="CAPSULE", ignore=["ID"], split={"ratio": 0.75, "seed": 5, "stratify": True},
                 automl={"max_models": 2, "seed": 1, "nfolds": 3, "include": ["GBM", "GLM"]})
    r = train_model(spark, settings, "capsule", spec, prostate)
    assert r.rows["train"] + r.rows["holdout"] == 380
    cm = r.metrics["confusion_matrix"]["matrix"]
    positives = prostate.where("CAPSULE = 1").count()
    assert sum(cm[1]) == round(positives - round(positives * 0.75))  # the class's exact share
    card = r.card
    assert card.selection.split == {"requested": "ratio", "policy": "ratio", "ratio": 0.75, "seed": 5,
                                    "stratify": True}
    assert card.selection.sort_metric == "logloss"
    top = card.leaderboard[0]
    assert {"auc", "logloss", "holdout_auc", "holdout_logloss"} <= set(top)
    assert top["holdout_auc"] == pytest.approx(card.metrics.holdout["auc"], rel=1e-9)
    assert "auc" in card.metrics.cv and card.metrics.confusion_matrix_on == "holdout"
    # the drift reference for predictions: p1 of the holdout scored by the MOJO
    assert r.profile is not None and r.profile.prediction is not None
    assert r.profile.prediction.kind == "numeric" and not any("prediction profile" in w for w in r.warnings)


def test_platt_calibrated_gbm_scores_the_same_in_spark_python_java_and_rest(
        spark, settings, h2o, loans, tmp_path) -> None:
    from sparkwing import mojo
    from sparkwing.engine import find_java
    from sparkwing.registry import Lineage, Registry
    from sparkwing.score import score_batch
    from sparkwing.train import register_result, train_model
    from sparkwing.workspace import Workspace

    spec = _spec(target="bad_loan", ignore=["addr_state"], split={"ratio": 0.8}, calibrate="platt",
                 algorithm={"name": "gbm", "params": {"ntrees": 20, "max_depth": 8, "seed": 1}})
    r = train_model(spark, settings, "cal", spec, loans)
    assert r.card.selection.calibration == "platt" and r.rows["calibration"] > 50
    rel = r.card.curves.reliability  # the calibrated probabilities (cal_p1), as the MOJO outputs them
    assert rel is not None and rel.calibrated
    assert sum(b.count for b in rel.bins) == rel.rows == r.rows["holdout"]
    mv = register_result(Registry(Workspace(tmp_path / "ws")), "cal", r, Lineage(run_id="t"))
    sample = loans.orderBy("loan_amnt", "annual_inc", "addr_state").limit(60)
    rows = sample.collect()
    features = mv.card.feature_names()

    spark_rows = score_batch(spark, spark.createDataFrame(rows, sample.schema), mv).df.collect()
    model = mojo.load(mv.local_mojo())
    assert "cal_p1" in model.info.output_names
    py = model.predict_numpy([{c: r[c] for c in features if r[c] is not None} for r in rows])
    names = list(model.info.output_names)
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    with src.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(features)
        for row in rows:
            w.writerow(["" if row[c] is None else row[c] for c in features])
    proc = subprocess.run(
        [find_java().java, "-cp", str(Path(mv.uri) / "h2o-genmodel.jar"), "hex.genmodel.tools.PredictCsv",
         "--mojo", str(mv.local_mojo()), "--input", str(src), "--output", str(out), "--decimal"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    with out.open() as fh:
        java = list(csv.DictReader(fh))
    from fastapi.testclient import TestClient

    from sparkwing.serve import ServeConfig, create_app

    app = create_app(ServeConfig(workspace=str(tmp_path / "ws"), models=["cal@1"], poll_interval=0))
    with TestClient(app) as client:
        assert app.state.service.wait_ready(60)
        body = {"rows": [{c: row[c] for c in features if row[c] is not None} for row in rows]}
        resp = client.post("/v1/models/cal:predict", json=body)
    assert resp.status_code == 200, resp.text
    rest = resp.json()["predictions"]
    cal = np.array([[s.cal_p0, s.cal_p1] for s in spark_rows])
    assert np.all((cal > 0) & (cal < 1))  # Platt: never exactly 0 or 1
    assert not np.allclose(cal[:, 1], [s.p1 for s in spark_rows])  # calibrated differs from raw
    for i, s in enumerate(spark_rows):
        assert java[i]["predict"] == s.predict == rest[i]["predict"]
        for col in ("p0", "p1", "cal_p0", "cal_p1"):
            want = getattr(s, col)
            assert py[i, names.index(col)] == pytest.approx(want, abs=1e-6), (i, col)
            assert rest[i][col] == pytest.approx(want, abs=1e-6), (i, col)
            if col in java[i]:  # PredictCsv (3.46) prints the raw probabilities only
                assert float(java[i][col]) == pytest.approx(want, abs=1e-6), (i, col)
