"""Train one model with H2O on the run's SparkSession and evaluate it on the holdout."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import warnings
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sparkwing import __version__
from sparkwing.config import ModelSpec, Settings
from sparkwing.engine import H2OCloud, start_h2o
from sparkwing.errors import SparkwingError, TrainingError, java_cause
from sparkwing.monitor import kind_of, profile_dataframe
from sparkwing.registry import DataProfile
from sparkwing.train import _artifacts, _evaluate, _reliability
from sparkwing.train._engines import build_algorithm, build_automl
from sparkwing.train._prepare import prepare
from sparkwing.train._result import TrainResult

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger("sparkwing.train")


def train_model(
    spark: SparkSession,
    settings: Settings,
    name: str,
    spec: ModelSpec,
    train_df: DataFrame,
    *,
    holdout_df: DataFrame | None = None,
    progress: Callable[[str], None] | None = None,
    cloud: H2OCloud | None = None,
) -> TrainResult:
    """Train ``spec`` on ``train_df``; the holdout is split off (or given) and never trained on.

    ``cloud`` is the H2O cloud to train on (default: started, or attached, on ``spark``);
    ``progress`` receives sparkwing's own one-line progress messages.

    >>> result = train_model(spark, settings, "loan_default", spec, df)   # doctest: +SKIP
    >>> result.metrics["auc"], result.mojo_path                           # doctest: +SKIP
    """
    say = progress or (lambda text: log.info("%s: %s", name, text))
    from pyspark import StorageLevel

    prep = prepare(spec, train_df, holdout_df, name=name)
    train = prep.train.persist(StorageLevel.MEMORY_AND_DISK)
    holdout = prep.holdout.persist(StorageLevel.MEMORY_AND_DISK) if prep.holdout is not None else None
    try:
        # The drift reference: one aggregation that is also the training row count, one grouped count.
        profile = profile_dataframe(train, _profiled(train, prep.features))
        rows = {"train": profile.rows, "holdout": holdout.count() if holdout is not None else 0}
        if rows["train"] == 0 or (holdout is not None and rows["holdout"] == 0):
            empty = "training" if rows["train"] == 0 else "holdout"
            raise TrainingError(f"the {empty} set of {name!r} is empty after the split",
                                hint="check split.ratio / split.cutoff or holdout_from")
        kept = f"{rows['holdout']} holdout rows" if holdout is not None else "no holdout (cross-validation)"
        say(f"{prep.task} on {spec.target!r}: {rows['train']} training rows, {kept}, "
            f"{len(prep.features)} features")
        cloud = cloud or start_h2o(spark, settings)
        try:
            with _h2o_scratch(cloud):
                result = _fit(spark, name, spec, prep, train, holdout, rows, cloud, say)
                if holdout is None:  # no holdout: the CV hold-out predictions (H2O holds them)
                    result.profile = _with_cv_prediction(profile, result, train, cloud, say)
            if holdout is not None:
                result.profile = _with_prediction(profile, result, holdout, say)
            return result
        except Exception as exc:
            lost = cloud.lost_node()
            if lost is None:
                raise
            # H2O has no high availability: a lost node ends the cloud, whatever the step did.
            raise TrainingError(
                f"the H2O cloud lost a node while training {name!r}: {lost}; "
                "H2O has no high availability, so training stopped",
                hint="bring the worker/executor back, then resume the run",
                transient=True,  # a new run (a new cloud) may well succeed
            ) from exc
    finally:
        # After a lost executor the JVM may be gone too: keep the real error, not a py4j one.
        with contextlib.suppress(Exception):
            train.unpersist()
            if holdout is not None:
                holdout.unpersist()


def _fit(spark: Any, name: str, spec: ModelSpec, prep: Any, train: Any, holdout: Any,
         rows: dict[str, int], cloud: H2OCloud, say: Callable[[str], None]) -> TrainResult:
    import h2o

    sort_metric = None
    calibration_frame = None
    if spec.calibrate != "none":
        if prep.task != "binary":
            raise TrainingError(f"calibrate: {spec.calibrate} works for binary models; this is {prep.task}",
                                hint=f"remove models.{name}.calibrate", in_spec=True)
        train, calibration_frame = _calibration_split(train, spec)
    if spec.automl is not None:
        sort_metric = default_sort_metric(spec.automl.sort_metric, prep.task)
        est = build_automl(spec, spec.automl, holdout, sort_metric=sort_metric)
        what = (
            f"AutoML (max_models={spec.automl.max_models}, max_runtime_secs={spec.automl.max_runtime_secs}, "
            f"sort_metric={sort_metric})"
        )
    else:
        assert spec.algorithm is not None
        est = build_algorithm(spec, spec.algorithm, prep.task, cv=holdout is None,
                              calibrate=spec.calibrate, calibration_frame=calibration_frame)
        what = spec.algorithm.name + (" grid search" if spec.algorithm.grid else "")
    say(f"training {what}")
    started = time.monotonic()
    progress = (_automl_progress(cloud, spec.automl.max_models, spec.automl.max_runtime_secs, say)
                if spec.automl is not None else contextlib.nullcontext())
    try:
        with contextlib.redirect_stdout(io.StringIO()), progress:  # H2O prints model summaries
            mojo_model = cloud.run_watched(lambda: est.fit(train))
    except SparkwingError:
        raise
    except Exception as exc:
        log.debug("H2O training of %r failed", name, exc_info=True)
        raise TrainingError(f"H2O training of {name!r} failed: {java_cause(exc)}",
                            hint=f"the H2O log is in {cloud.log_dir or '<workspace>/logs'}") from exc
    seconds = time.monotonic() - started
    model_id = est.getBinaryModel().modelId
    h2o_model = h2o.get_model(model_id)
    algorithm = str(h2o_model.algo).lower().replace("_", "")
    on = "holdout" if holdout is not None else "cross-validation"
    say(f"trained in {seconds:.1f}s; leader {model_id}; evaluating on the {on}")

    frame = None
    if holdout is not None:
        frame = cloud.context.asH2OFrame(holdout)
        if prep.task != "regression":
            frame[spec.target] = frame[spec.target].asfactor()
        perf = h2o_model.model_performance(frame)
        metrics = _evaluate.holdout_metrics(perf, prep.task)
    else:
        perf = h2o_model.model_performance(xval=True)
        if perf is None:
            raise TrainingError(f"{name!r} has no cross-validation metrics to rank and promote on",
                                hint="set nfolds >= 2, or a split with a holdout")
    cv_metrics = _evaluate.cv_metrics(h2o_model, prep.task)
    if holdout is None:
        metrics = cv_metrics  # the figures it is judged on; the card files them under cv
    board = _leaderboard(est, spec, mojo_model, metrics, model_id, algorithm,
                         on="holdout" if holdout is not None else "cross-validation")
    if frame is not None and spec.automl is not None:
        board = _evaluate.add_holdout_columns(board, frame, prep.task)
    warnings = list(prep.warnings)
    labels = None
    classified = prep.task != "regression"
    if frame is None and classified:  # CV predictions come in training-row order
        labels = cloud.context.asH2OFrame(train.select(spec.target))
    judged = _evaluate.judged_predictions(h2o_model, frame, labels, spec.target) if classified else None
    zeros = _evaluate.zero_probability_rows(judged, prep.task)
    if zeros:
        warnings.append(f"the leader gives probability 0 to the true class of {zeros} "
                        f"{'holdout' if frame is not None else 'cross-validation'} row(s)")
        say(warnings[-1])

    work = Path(tempfile.mkdtemp(prefix=f"sparkwing-train-{name}-"))
    mojo_path = _artifacts.save_mojo(mojo_model, work / "model.mojo", h2o_model)
    jar = _artifacts.genmodel_jar(cloud, work)
    pojo_dir, pojo_reason = _artifacts.pojo(h2o_model, algorithm, work)
    spark_types = {f.name: f.dataType.simpleString() for f in train.schema.fields}
    domains = mojo_model.getDomainValues()
    classes = (list(domains.get(spec.target) or []) or None) if prep.task != "regression" else None
    h2o_version = str(h2o.cluster().version)
    bins = _reliability.reliability(judged, "holdout" if frame is not None else "cv", prep.task, classes,
                                    cloud.context, calibrated=spec.calibrate != "none")
    curves = _evaluate.curves(perf, prep.task)
    if bins is not None:
        curves["reliability"] = bins.model_dump()
    elif prep.task != "regression":
        warnings.append("no calibration bins: H2O kept no predictions to bin (see the debug log)")
    if calibration_frame is not None:
        calibration_rows = calibration_frame.count()
        rows = {**rows, "train": rows["train"] - calibration_rows, "calibration": calibration_rows}
    return TrainResult(
        task=prep.task, target=spec.target, classes=classes,
        threshold=_threshold(mojo_model) if prep.task == "binary" else None,
        features=_evaluate.features(mojo_model, spark_types), metrics=metrics, leaderboard=board,
        variable_importance=_evaluate.variable_importance(h2o_model), mojo_path=mojo_path,
        genmodel_jar_path=jar, pojo_dir=pojo_dir, pojo_reason=pojo_reason, algorithm=algorithm,
        model_id=model_id, h2o_version=h2o_version, params=_params(spec, h2o_model, prep.split),
        rows=rows, warnings=warnings,
        versions={"sparkwing_version": __version__, "h2o_version": h2o_version,
                  "spark_version": spark.version,
                  "sparkling_water_version": _dist_version("h2o-pysparkling-3-5")},
        cv_metrics=cv_metrics, curves=curves,
        split=prep.split, sort_metric=sort_metric,
        promote_metric=_promote_metric(spec, prep.task), calibration=spec.calibrate,
        zero_probability_rows=zeros, metrics_on="holdout" if holdout is not None else "cv",
    )  # fmt: skip


CALIBRATION_SHARE = 0.1  # of the training rows: the frame H2O fits the calibration on


def _calibration_split(train: Any, spec: ModelSpec) -> tuple[Any, Any]:
    """A seeded tenth of the training rows, kept out of the trees, that H2O calibrates on."""
    from pyspark.sql import functions as F

    h = F.abs(F.xxhash64(*[F.col(f"`{c}`") for c in train.columns], F.lit(spec.split.seed + 1))) % 1000
    cut = int(CALIBRATION_SHARE * 1000)
    return train.where(h >= cut), train.where(h < cut)


def default_sort_metric(asked: str | None, task: str) -> str:
    """AutoML's leaderboard metric: the user's, else logloss (classification) / deviance (regression).

    H2O's own default for multiclass is mean per-class error, which ignores the probabilities.

    >>> default_sort_metric(None, "multiclass"), default_sort_metric("AUC", "binary")
    ('logloss', 'auc')
    """
    if asked and asked.lower() != "auto":
        return asked.lower()
    return "deviance" if task == "regression" else "logloss"


def _promote_metric(spec: ModelSpec, task: str) -> str | None:
    from sparkwing.registry import headline_metric

    if spec.promote is None:
        return None
    metric = spec.promote.metric.lower()
    return headline_metric(task) if metric == "auto" else metric


def _profiled(df: DataFrame, features: list[str]) -> dict[str, Literal["numeric", "categorical"]]:
    """The features drift is measured on, by how they are bucketed (nested types are left out)."""
    types = dict(df.dtypes)
    kinds = {f: kind_of(types.get(f, "")) for f in features}
    return {f: k for f, k in kinds.items() if k is not None}


def _with_prediction(profile: DataProfile, result: TrainResult, holdout: DataFrame,
                     say: Callable[[str], None]) -> DataProfile:
    """Add the holdout predictions' profile: what new data from the same population scores as.

    The holdout (never trained on), not the training rows, which a tree model fits too well.
    Scored with the MOJO in Spark, as batch scoring does: p1 (binary), the value (regression) or
    the label (multiclass).
    """
    from pyspark.sql import functions as F
    from pysparkling.ml import H2OMOJOModel, H2OMOJOSettings

    probabilities = F.col("detailed_prediction.probabilities")
    column = _prediction_column(result, probabilities.getField, "prediction")
    if column is None:
        return profile
    expr, kind = column
    try:
        settings = H2OMOJOSettings(convertUnknownCategoricalLevelsToNa=True, convertInvalidNumbersToNa=True)
        model = H2OMOJOModel.createFromMojo("file://" + str(Path(result.mojo_path).resolve()), settings)
        scored = model.transform(holdout).select(expr.alias("prediction"))
        predicted = profile_dataframe(scored, {"prediction": kind})  # type: ignore[dict-item]
    except Exception as exc:  # noqa: BLE001 - the model is good without it; the card says so
        log.debug("prediction profile failed", exc_info=True)
        result.warnings.append(f"no prediction profile for drift: {java_cause(exc)}")
        say("could not profile the holdout predictions (drift will compare features only)")
        return profile
    return profile.model_copy(update={"prediction": predicted.features[0]})


def _prediction_column(result: TrainResult, probability: Callable[[str], Any],
                       value: str) -> tuple[Any, str] | None:
    """What drift watches of a model's output, as a Spark column and its kind: p1 (binary), the
    value (regression) or the label (multiclass); ``probability(level)`` and ``value`` name the
    columns of the scorer's output.  ``None`` for other tasks."""
    from pyspark.sql import functions as F

    if result.task == "binary" and result.classes and len(result.classes) == 2:
        return probability(str(result.classes[1])).cast("double"), "numeric"
    if result.task == "regression":
        return F.col(value).cast("double"), "numeric"
    if result.task == "multiclass":
        return F.col(value).cast("string"), "categorical"
    return None


def _with_cv_prediction(profile: DataProfile, result: TrainResult, train: DataFrame, cloud: H2OCloud,
                        say: Callable[[str], None]) -> DataProfile:
    """Without a holdout, the prediction profile comes from the leader's cross-validation hold-out
    predictions (each row scored by a model that did not train on it), like a holdout's; the
    training rows, which a tree model fits too well, only when H2O kept no such predictions."""
    import h2o
    from pyspark.sql import functions as F

    try:
        preds = h2o.get_model(result.model_id).cross_validation_holdout_predictions()
        if preds is None:
            raise ValueError("no cross-validation predictions kept")
        names = set(preds.columns)
        def probability(level: str) -> Any:  # H2O names the column by the level, or p<level>
            return F.col(f"`{level if level in names else 'p' + level}`")

        column = _prediction_column(result, probability, "predict")
        if column is None:
            return profile
        expr, kind = column
        scored = cloud.context.asSparkFrame(preds).select(expr.alias("prediction"))
        predicted = profile_dataframe(scored, {"prediction": kind})  # type: ignore[dict-item]
    except Exception:  # noqa: BLE001 - fall back to the training rows, and say so
        log.debug("cross-validation prediction profile failed", exc_info=True)
        result.warnings.append("the drift reference for predictions is the training rows "
                               "(no cross-validation predictions were kept)")
        say(result.warnings[-1])
        return _with_prediction(profile, result, train, say)
    return profile.model_copy(update={"prediction": predicted.features[0]})


def _leaderboard(est: Any, spec: ModelSpec, mojo_model: Any, metrics: dict[str, Any], model_id: str,
                 algorithm: str, on: str) -> list[dict[str, Any]]:
    if spec.automl is not None:  # ranked on cross-validation, or on the holdout without folds
        on = "holdout" if spec.automl.nfolds == 0 else "cross-validation"
        return _evaluate.leaderboard([{**r.asDict(), "metrics_on": on}
                                      for r in est.getLeaderboard("ALL").collect()])
    if spec.algorithm is not None and spec.algorithm.grid is not None:
        params = {r.asDict().get("MOJO Model ID"): r.asDict() for r in est.getGridModelsParams().collect()}
        rows = []
        for r in est.getGridModelsMetrics().collect():
            d = r.asDict()
            hyper = {k: v for k, v in params.get(d.get("MOJO Model ID"), {}).items() if k != "MOJO Model ID"}
            rows.append({**_evaluate.grid_metrics(d), **hyper, "metrics_on": "cross-validation"})
        return _evaluate.leaderboard(rows)
    scalar = {k: v for k, v in metrics.items() if isinstance(v, (int, float))}
    return _evaluate.leaderboard([{"model_id": model_id, "algo": algorithm, **scalar,
                                   "training_time_ms": mojo_model.getRunTime(),
                                   "predict_time_per_row_ms": None, "metrics_on": on}])


def _threshold(mojo_model: Any) -> float | None:
    try:
        return float(mojo_model.getDefaultThreshold())
    except Exception:  # noqa: BLE001 - not every binomial model reports one
        return None


def _params(spec: ModelSpec, h2o_model: Any, split: dict[str, Any]) -> dict[str, Any]:
    engine = (
        spec.automl.model_dump() if spec.automl else spec.algorithm.model_dump() if spec.algorithm else {}
    )
    actual = {k: v.get("actual") for k, v in (h2o_model.params or {}).items()
              if isinstance(v, dict) and v.get("actual") != v.get("default")}
    return {"engine": "automl" if spec.automl else "algorithm", "spec": engine,
            "split": split, "model": _jsonable(actual)}


def _jsonable(params: dict[str, Any]) -> dict[str, Any]:
    """The chosen model's non-default H2O parameters, minus frame keys and long arrays."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, dict):
            value = value.get("column_name") or value.get("name")
        elif isinstance(value, list):  # e.g. a stacked ensemble's base_models: H2O key objects
            value = [_plain(v) for v in value]
        if key.endswith("_frame") or key == "model_id" or (isinstance(value, list) and len(value) > 20):
            continue
        if value is None or isinstance(value, (str, int, float, bool, list)):
            out[key] = value
        else:
            out[key] = str(value)
    return out


def _plain(value: Any) -> Any:
    """A JSON-safe value: H2O key objects (H2OResponse dicts) become their names."""
    if isinstance(value, dict):
        return value.get("name") or value.get("column_name") or str(dict(value))
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)


@contextlib.contextmanager
def _h2o_scratch(cloud: H2OCloud) -> Iterator[None]:
    """Remove what this training left in the H2O node (frames, models) once its artifacts are out."""
    import h2o

    before = _keys()
    try:
        yield
    finally:
        # A broken cloud answers no distributed call (listing keys would wait forever).
        if cloud.lost_node(health=False) is None:
            for key in _keys() - before:
                with contextlib.suppress(Exception):
                    h2o.remove(key, cascade=True)


def _keys() -> set[str]:
    import h2o

    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        try:
            return set(h2o.ls()["key"].tolist())
        except Exception:  # noqa: BLE001 - cleanup is best effort
            return set()


@contextlib.contextmanager
def _automl_progress(cloud: H2OCloud, max_models: int | None, budget: float | None,
                     say: Callable[[str], None], every: float = 15.0) -> Iterator[None]:
    """While AutoML runs, say how many models it has trained (of ``max_models``), every ``every`` s.

    sparkwing's own progress line instead of the H2O client's progress bars.  Best effort: an
    H2O that does not answer in time just skips a report.
    """
    done = threading.Event()
    started = time.monotonic()

    def watch() -> None:
        seen = -1
        while not done.wait(every):
            count = _automl_models(cloud)
            if count is None or count == seen:
                continue
            seen = count
            of = f" of {max_models}" if max_models else ""
            spent = f", {time.monotonic() - started:.0f}s" + (f" of {budget:.0f}s" if budget else "")
            say(f"AutoML: {count}{of} models trained{spent}")

    thread = threading.Thread(target=watch, name="sparkwing-automl-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()


def _automl_models(cloud: H2OCloud) -> int | None:
    """Models (stacked ensembles aside) on the leaderboard of the AutoML job running now."""
    def get(path: str) -> Any:
        req = urllib.request.Request(cloud.url + path, headers=cloud.auth_header())
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - the H2O node's REST URL
            return json.loads(resp.read())

    try:
        jobs = [j for j in get("/3/Jobs").get("jobs", [])
                if j.get("status") == "RUNNING" and "AutoML" in str((j.get("dest") or {}).get("type"))]
        if not jobs:
            return None
        state = get("/99/AutoML/" + urllib.parse.quote(str(jobs[-1]["dest"]["name"]), safe=""))
        models = [m.get("name", "") for m in (state.get("leaderboard") or {}).get("models") or []]
    except Exception:  # noqa: BLE001 - progress is best effort
        return None
    return sum(1 for m in models if not str(m).startswith("StackedEnsemble"))


def _dist_version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "unknown"
