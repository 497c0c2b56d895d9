"""Training with real H2O (one H2OContext per run): AutoML, algorithms, grids, bad input."""

from __future__ import annotations

import pytest

from sparkwing.config import ModelSpec
from sparkwing.errors import ScoringError, TrainingError
from sparkwing.workspace import Workspace

pytestmark = [pytest.mark.spark, pytest.mark.h2o, pytest.mark.slow]


def _spec(**kw) -> ModelSpec:
    return ModelSpec.model_validate({"from": "x", **kw})


def test_automl_binary_result_holds_everything_the_card_needs(loan_model) -> None:
    r = loan_model
    assert r.task == "binary" and r.target == "bad_loan" and r.classes == ["0", "1"]
    assert 0 < r.threshold < 1
    assert {"auc", "aucpr", "logloss", "f1", "f1_threshold", "confusion_matrix"} <= set(r.metrics)
    assert 0.5 < r.metrics["auc"] <= 1
    cm = r.metrics["confusion_matrix"]
    assert cm["labels"] == ["0", "1"] and sum(map(sum, cm["matrix"])) == r.rows["holdout"]
    assert r.rows["train"] + r.rows["holdout"] == 999
    assert [row["rank"] for row in r.leaderboard] == [1, 2]
    assert {row["algo"] for row in r.leaderboard} == {"GBM", "GLM"}
    assert all(isinstance(row["training_time_ms"], int) for row in r.leaderboard)
    assert "predict_time_per_row_ms" in r.leaderboard[0]
    assert r.leaderboard[0]["model_id"] == r.model_id
    assert r.variable_importance and {"variable", "scaled_importance"} <= set(r.variable_importance[0])
    feats = {f["name"]: f for f in r.features}
    assert "bad_loan" not in feats and feats["term"]["type"] == "enum"
    assert feats["term"]["domain"] == ["36 months", "60 months"]
    assert feats["int_rate"]["type"] in ("numeric", "real", "int") and feats["int_rate"]["domain"] is None
    assert r.mojo_path.stat().st_size > 1000 and r.genmodel_jar_path.stat().st_size > 1_000_000
    assert r.pojo_dir is not None and list(r.pojo_dir.glob("*.java"))
    card = r.card
    assert card.versions.h2o == "3.46.0.6" and card.versions.spark and card.versions.spark.startswith("3.5")
    assert card.versions.sparkling_water == "3.46.0.6.post1"
    assert card.params["engine"] == "automl" and card.params["spec"]["max_models"] == 2
    assert card.metrics.holdout["auc"] == r.metrics["auc"] and card.metrics.confusion_matrix is not None
    # cross-validation figures of the chosen model (3 folds) and the holdout curves
    assert 0.5 < card.metrics.cv["auc"] <= 1 and "logloss" in card.metrics.cv
    roc = card.curves.roc
    assert roc is not None and 2 <= len(roc.fpr) == len(roc.tpr) == len(roc.thresholds) <= 101
    assert card.curves.pr is not None and len(card.curves.pr.precision) == len(roc.fpr)
    assert card.headline() == ("auc", r.metrics["auc"])
    # calibration bins of p1 on the same holdout rows: every scored row in one bin
    rel = card.curves.reliability
    assert rel is not None and rel.on == "holdout" and rel.kind == "positive_class"
    assert rel.positive_class == "1"
    assert len(rel.bins) == 10 and rel.missing == 0 and not rel.calibrated
    assert sum(b.count for b in rel.bins) == rel.rows == r.rows["holdout"]
    assert sum(b.count * (b.observed or 0) for b in rel.bins) == pytest.approx(sum(cm["matrix"][1]))
    assert rel.brier == pytest.approx(r.metrics["rmse"] ** 2, rel=1e-6)  # H2O's binomial rmse is sqrt(Brier)
    assert rel.ece is not None and 0 <= rel.ece < 0.5


def test_automl_is_reproducible_with_max_models_and_a_seed(spark, settings, h2o, prostate) -> None:
    spec = _spec(target="CAPSULE", ignore=["ID"],
                 automl={"max_models": 2, "seed": 7, "nfolds": 3,
                         "exclude": ["DeepLearning", "StackedEnsemble", "XGBoost"]})
    from sparkwing.train import train_model

    def board():
        r = train_model(spark, settings, "repro", spec, prostate)
        return [
            (row["algo"], round(row["auc"], 10), round(row["logloss"], 10)) for row in r.leaderboard
        ], r.metrics

    first, m1 = board()
    second, m2 = board()
    assert first == second and len(first) == 2
    assert m1["auc"] == pytest.approx(m2["auc"], abs=1e-12)


def test_multiclass_drf(spark, settings, h2o, prostate) -> None:
    from sparkwing.train import train_model

    spec = _spec(target="DPROS", task="multiclass", ignore=["ID"],
                 algorithm={"name": "drf", "params": {"ntrees": 5, "max_depth": 5, "seed": 1}})
    train, holdout = prostate.where("ID % 4 != 0"), prostate.where("ID % 4 = 0")
    r = train_model(spark, settings, "dpros", spec, train, holdout_df=holdout)
    assert r.rows == {"train": 285, "holdout": 95}
    assert r.task == "multiclass" and r.classes == ["1", "2", "3", "4"]
    assert {"logloss", "mean_per_class_error", "confusion_matrix"} <= set(r.metrics)
    assert r.metrics["confusion_matrix"]["labels"] == ["1", "2", "3", "4"]
    assert r.algorithm == "drf" and len(r.leaderboard) == 1 and r.leaderboard[0]["metrics_on"] == "holdout"
    assert r.pojo_dir is not None
    rel = r.card.curves.reliability  # top-class confidence against accuracy, on the holdout
    assert rel is not None and rel.kind == "top_class" and rel.on == "holdout" and rel.brier is None
    assert sum(b.count for b in rel.bins) + rel.missing == rel.rows == 95
    right = sum(r.metrics["confusion_matrix"]["matrix"][i][i] for i in range(4))
    assert sum(b.count * (b.observed or 0) for b in rel.bins) == pytest.approx(right, abs=rel.missing)


def test_regression_glm_drops_an_all_null_feature_with_a_warning(spark, settings, h2o, prostate) -> None:
    from pyspark.sql import functions as F

    from sparkwing.train import train_model

    df = prostate.withColumn("empty", F.lit(None).cast("double")).withColumn("w", F.lit(2.0))
    spec = _spec(target="PSA", ignore=["ID"], split={"ratio": 0.75, "seed": 3}, weight_column="w",
                 algorithm={"name": "glm", "params": {"lambda_search": True, "alpha": 0.5}})
    r = train_model(spark, settings, "psa", spec, df)
    assert r.task == "regression" and r.classes is None and r.threshold is None
    assert {"rmse", "mae", "r2", "deviance"} <= set(r.metrics)
    assert not {"empty", "w"} & {f["name"] for f in r.features}
    assert r.params["model"].get("weights_column") == "w"
    assert any("all-null feature(s): empty" in w for w in r.warnings)
    assert r.params["model"].get("lambda_search") is True


def test_random_grid_search_with_a_time_split(spark, settings, h2o, prostate) -> None:
    from sparkwing.train import train_model

    spec = _spec(target="CAPSULE", ignore=["ID"], split={"time_column": "ID", "cutoff": "300"},
                 algorithm={"name": "gbm", "params": {"ntrees": 5, "seed": 1, "nfolds": 2},
                            "grid": {"hyper_params": {"max_depth": [2, 3, 4]}, "strategy": "random",
                                     "max_models": 2, "seed": 1}})
    r = train_model(spark, settings, "grid", spec, prostate)
    assert r.rows == {"train": 299, "holdout": 81}
    assert len(r.leaderboard) == 2 and {"model_id", "auc", "max_depth"} <= set(r.leaderboard[0])
    assert "ID" not in {f["name"] for f in r.features}  # the time column is not a feature


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"target": "nope"}, "target column 'nope' is not in the training data"),
        ({"target": "CAPSULE", "ignore": ["missing_col"]}, "ignored column(s) ['missing_col']"),
        ({"target": "constant"}, "target 'constant' is constant"),
        ({"target": "CAPSULE", "task": "regression", "algorithm": None,
          "automl": {"max_models": 1}, "split": {"ratio": 0.5}, "target_str": True},
         "task regression needs a numeric target"),
    ],
)
def test_bad_input_is_a_one_line_training_error(spark, settings, prostate, kw, message) -> None:
    from pyspark.sql import functions as F

    from sparkwing.train import train_model

    df = prostate.withColumn("constant", F.lit(1))
    kw = dict(kw)
    if kw.pop("target_str", False):
        df = df.withColumn("CAPSULE", F.col("CAPSULE").cast("string"))
    body = {"algorithm": {"name": "glm"}, **kw}
    body = {k: v for k, v in body.items() if v is not None}
    with pytest.raises(TrainingError) as err:
        train_model(spark, settings, "bad", _spec(**body), df)
    assert message in str(err.value) and err.value.hint and "\n" not in str(err.value)



def test_a_column_the_spec_names_is_a_spec_error_naming_the_model(spark, settings, prostate) -> None:
    from pyspark.sql import functions as F

    from sparkwing.train import train_model

    with pytest.raises(TrainingError) as err:  # before any H2O: a spec fix, not a resume
        train_model(spark, settings, "loan_default", _spec(target="nope", algorithm={"name": "glm"}),
                    prostate)
    assert err.value.hint == "check models.loan_default.target in the spec" and err.value.in_spec
    with pytest.raises(TrainingError) as err:
        train_model(spark, settings, "m", _spec(target="constant", algorithm={"name": "glm"}),
                    prostate.withColumn("constant", F.lit(1)))
    assert not err.value.in_spec  # the data's problem: fixing the data and resuming can work

def test_fit_glrm_adds_archetype_columns(spark, settings, h2o, prostate, tmp_path) -> None:
    from sparkwing.config import GlrmParams
    from sparkwing.registry import Pojo, Registry
    from sparkwing.train import fit_glrm

    out, res = fit_glrm(
        spark, settings, prostate, GlrmParams(k=2, columns=["AGE", "PSA", "VOL"], max_iterations=20)
    )
    out = out.cache()  # the first projection, as the pipeline keeps it
    assert res.columns == ["glrm_1", "glrm_2"]
    assert out.columns == [*prostate.columns, "glrm_1", "glrm_2"]
    assert out.count() == prostate.count() and out.where("glrm_1 IS NULL").count() == 0
    mv = Registry(Workspace(tmp_path)).register("prostate_glrm", mojo_path=res.mojo_path,
                                          genmodel_jar_path=res.genmodel_jar_path, card=res.card)
    assert mv.card.pojo == Pojo(available=False, reason="H2O cannot export a POJO for GLRM")
    assert mv.card.glrm is not None and mv.card.glrm.output_columns == ["glrm_1", "glrm_2"]
    # The registered MOJO projects the rows exactly as the fitted model first did (a resume relies
    # on it): GLRM scoring starts row r of a model object from Random(seed + r).
    from pyspark.sql import functions as F

    from sparkwing.train import project_glrm

    again = project_glrm(prostate, mv).cache()
    assert again.columns == out.columns
    joined = out.alias("a").join(again.alias("b"), "ID")
    worst = joined.select(F.max(F.greatest(F.abs(F.col("a.glrm_1") - F.col("b.glrm_1")),
                                           F.abs(F.col("a.glrm_2") - F.col("b.glrm_2"))))).first()[0]
    assert worst == 0.0, worst
    with pytest.raises(ScoringError, match="input lacks column"):
        project_glrm(prostate.drop("VOL"), mv)


def test_learn_features_in_python(settings, h2o, prostate) -> None:
    import sparkwing as sw

    ws = sw.Workspace(settings=settings)
    learned = sw.learn_features(prostate, glrm={"k": 2, "columns": ["AGE", "PSA"], "prefix": "arch_",
                                                "max_iterations": 10}, register="prostate_glrm_api",
                                workspace=ws)
    assert learned.columns == ["arch_1", "arch_2"] and learned.df.columns[-2:] == ["arch_1", "arch_2"]
    assert learned.version is not None and learned.version.ref == "prostate_glrm_api@1"
    assert learned.version.card.glrm is not None and learned.version.card.glrm.k == 2
    with pytest.raises(sw.ConfigError, match="sw.learn_features glrm: .*greater than or equal to 1"):
        sw.learn_features(prostate, glrm={"k": 0}, workspace=ws)


FLAKY = """\
from pathlib import Path


def fail_once(df):
    if Path(__file__).with_name("FAIL").exists():
        raise ValueError("asked to fail")
    return df
"""

FEATURES_SPEC = """\
name: factors_resume
sources:
  prostate_raw: {uri: prostate.csv}
datasets:
  prostate_clean:
    from: prostate_raw
    steps:
      - drop: [ID]
      - cast: {CAPSULE: int, AGE: double, PSA: double, VOL: double, GLEASON: double}
  prostate_more:
    from: prostate_glrm_ft
    steps:
      - python: "glrm_flaky:fail_once"
      - derive: {glrm_sum: "glrm_1 + glrm_2"}
features:
  prostate_glrm_ft:
    from: prostate_clean
    glrm: {k: 2, columns: [AGE, PSA, VOL, GLEASON], seed: 7, max_iterations: 20}
tables:
  clinic_f.prostate_factors: {from: prostate_more}
models:
  capsule_on_factors:
    from: clinic_f.prostate_factors
    target: CAPSULE
    task: binary
    algorithm: {name: glm, params: {family: binomial, seed: 1}}
"""


def test_features_node_registers_a_model_and_a_resume_reuses_it(
    spark, settings, h2o, tmp_path, caplog
) -> None:
    """A ``features:`` node trains GLRM and registers it; the step downstream fails; the resume
    projects the rows with the registered version (no second version) and the rest runs.

    The first run has ``h2o.flow`` on: the training step's record links to Flow on loopback with
    the login in a ``0600`` file while the cloud is the run's; one console line, no password."""
    import logging
    import os
    import shutil
    from pathlib import Path

    from sparkwing.config import load_spec
    from sparkwing.errors import StepFailed
    from sparkwing.pipeline import FeaturesDetails, LogReporter, RunStore, run_pipeline
    from sparkwing.registry import Registry

    shutil.copy(Path(__file__).resolve().parents[1] / "data" / "prostate.csv", tmp_path / "prostate.csv")
    (tmp_path / "glrm_flaky.py").write_text(FLAKY)
    (tmp_path / "FAIL").touch()
    (tmp_path / "pipeline.yaml").write_text(FEATURES_SPEC)
    spec = load_spec(tmp_path / "pipeline.yaml")
    store, seen = RunStore(Workspace.from_settings(settings)), {}

    class Watch(LogReporter):
        def step_finished(self, step) -> None:
            super().step_finished(step)
            if step.h2o_flow is not None:  # the step trained; its cloud is still up
                saved = store.list("factors_resume", limit=1)[0].steps[step.name].h2o_flow
                path = Path(step.h2o_flow.credentials)
                seen[step.name] = (step.h2o_flow, saved, oct(path.stat().st_mode & 0o777), path.read_text())

    flow = settings.model_copy(update={"h2o": settings.h2o.model_copy(update={"flow": True})})
    caplog.set_level(logging.INFO, logger="sparkwing")
    with pytest.raises(StepFailed, match="asked to fail"):
        run_pipeline(spec, flow, stop_engine=False, reporter=Watch())
    link, saved, mode, text = seen.pop("prostate_glrm_ft")
    assert not seen and link == saved and link.url == h2o.url and mode == "0o600" and h2o.auth[1] in text
    lines = [r.getMessage() for r in caplog.records if "H2O Flow on" in r.getMessage()]
    assert len(lines) == 1 and h2o.url in lines[0] and link.credentials in lines[0]
    assert h2o.auth[1] not in caplog.text
    assert not os.path.exists(link.credentials)  # removed when the run ended, and so is the link
    assert all(s.h2o_flow is None for s in store.list("factors_resume", limit=1)[0].steps.values())
    registry = Registry(Workspace.from_settings(settings))
    (version,) = registry.versions("prostate_glrm_ft")
    card = version.card
    assert card.task == "glrm" and card.glrm is not None and card.glrm.output_columns == ["glrm_1", "glrm_2"]
    assert [f.name for f in card.features] == ["AGE", "PSA", "VOL", "GLEASON"]
    assert not card.pojo.available and version.local_mojo().stat().st_size > 0
    assert card.lineage.pipeline == "factors_resume"
    assert [s.name for s in card.lineage.sources] == ["prostate_raw"]
    run_id = card.lineage.run_id

    (tmp_path / "FAIL").unlink()
    record = run_pipeline(spec, settings, resume=run_id, stop_engine=False)
    assert record.status == "succeeded" and record.run_id == run_id
    step = record.steps["prostate_glrm_ft"]
    assert isinstance(step.details, FeaturesDetails)
    details = step.details
    assert (details.version, details.reused, details.columns) == (1, True, ["glrm_1", "glrm_2"])
    assert [v.version for v in registry.versions("prostate_glrm_ft")] == [1]  # not trained again
    table = spark.table("clinic_f.prostate_factors")
    assert {"glrm_1", "glrm_2", "glrm_sum"} <= set(table.columns) and "ID" not in table.columns
    assert table.where("glrm_1 IS NULL OR glrm_2 IS NULL").count() == 0 and table.count() == 380
    model = registry.get("capsule_on_factors")
    assert {"glrm_1", "glrm_2"} <= {f.name for f in model.card.features}
