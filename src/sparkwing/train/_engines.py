"""Spec → a PySparkling estimator: AutoML, one algorithm, or a grid search over one."""

from __future__ import annotations

from typing import Any

from sparkwing.config import AlgorithmSpec, AutoMLSpec, ModelSpec
from sparkwing.config._h2o_params import AUTOML_ALGOS, ESTIMATORS, RENAMED, automl_algo, param_name
from sparkwing.errors import TrainingError

GRID_NFOLDS = 3  # grids pick their best model on cross-validation unless nfolds is given


CV_NFOLDS = 5  # folds for a single algorithm trained on every row (its metrics are CV)
CALIBRATION = {"platt": "PlattScaling", "isotonic": "IsotonicRegression"}


def build_automl(spec: ModelSpec, automl: AutoMLSpec, holdout: Any, *, sort_metric: str | None = None) -> Any:
    """``sort_metric`` (default: the spec's) ranks the leaderboard; ``holdout`` ranks without folds."""
    from pysparkling.ml import H2OAutoML

    est = H2OAutoML(labelCol=spec.target, keepBinaryModels=True)
    if automl.max_models is not None:
        est.setMaxModels(automl.max_models)
    if automl.max_runtime_secs is not None:
        est.setMaxRuntimeSecs(float(automl.max_runtime_secs))
    if automl.max_runtime_secs_per_model is not None:
        est.setMaxRuntimeSecsPerModel(float(automl.max_runtime_secs_per_model))
    if automl.include:
        est.setIncludeAlgos(_algos(automl.include))
    if automl.exclude:
        est.setExcludeAlgos(_algos(automl.exclude))
    metric = sort_metric or automl.sort_metric
    if metric:
        est.setSortMetric(metric.upper() if metric.lower() != "auto" else "AUTO")
    if holdout is None:
        est.setKeepCrossValidationPredictions(True)  # for the p = 0 check on CV predictions
    if automl.nfolds is not None:
        est.setNfolds(automl.nfolds)
        if automl.nfolds == 0:  # without folds AutoML needs data to rank on
            est.setLeaderboardDataFrame(holdout)
    if automl.seed is not None:
        est.setSeed(automl.seed)
    if automl.balance_classes:
        est.setBalanceClasses(True)
    if spec.weight_column:
        est.setWeightCol(spec.weight_column)
    return est


def build_algorithm(spec: ModelSpec, algo: AlgorithmSpec, task: str, *, cv: bool = False,
                    calibrate: str = "none", calibration_frame: Any = None) -> Any:
    """``cv``: no holdout, so the model needs folds (``CV_NFOLDS`` unless params set nfolds);
    ``calibrate`` (platt/isotonic) fits H2O's calibration on ``calibration_frame``."""
    import pysparkling.ml as ml

    est = getattr(ml, ESTIMATORS[algo.name])(labelCol=spec.target, keepBinaryModels=True)
    params = dict(algo.params)
    if algo.grid and "nfolds" not in params:
        params["nfolds"] = GRID_NFOLDS
    if cv and (params.get("nfolds") or 0) < 2:
        if "nfolds" in params:
            raise TrainingError(f"without a holdout {algo.name} needs cross-validation; "
                                f"nfolds is {params['nfolds']}",
                                hint="set nfolds >= 2, or a split with a holdout", in_spec=True)
        params["nfolds"] = CV_NFOLDS
    if cv and algo.grid is None:
        params.setdefault("keep_cross_validation_predictions", True)  # for the p = 0 check
    if calibrate != "none":
        est.setCalibrateModel(True)
        est.setCalibrationMethod(CALIBRATION[calibrate])
        est.setCalibrationDataFrame(calibration_frame)
    if algo.name == "glm" and "family" not in params and task != "regression":
        params["family"] = "binomial" if task == "binary" else "multinomial"
    for key, value in params.items():
        _set(est, algo.name, key, value)
    if spec.weight_column:
        est.setWeightCol(spec.weight_column)
    if algo.grid is None:
        return est
    from pysparkling.ml import H2OGridSearch

    grid = algo.grid
    hyper = {param_name(k): list(v) for k, v in grid.hyper_params.items()}
    for key in hyper:
        if not hasattr(est, "set" + _upper_first(key)):
            raise TrainingError(f"{algo.name} has no parameter {key!r} to search",
                                hint="see the H2O docs for the algorithm's parameters")
    gs = H2OGridSearch(algo=est, hyperParameters=hyper,
                       strategy="Cartesian" if grid.strategy == "cartesian" else "RandomDiscrete")
    if grid.max_models is not None:
        gs.setMaxModels(grid.max_models)
    if grid.max_runtime_secs is not None:
        gs.setMaxRuntimeSecs(float(grid.max_runtime_secs))
    if grid.seed is not None:
        gs.setSeed(grid.seed)
    return gs


def _set(est: Any, algo: str, key: str, value: Any) -> None:
    setter = getattr(est, "set" + _upper_first(param_name(key)), None)
    if setter is None:
        raise TrainingError(f"{algo} has no parameter {key!r}",
                            hint="parameters are H2O's names in snake_case, e.g. max_depth, ntrees")
    if key == "family" and isinstance(value, str):
        value = value.lower()
    if key in RENAMED and not isinstance(value, list):
        value = [float(value)]  # H2O's GLM takes a list of alphas
    try:
        setter(value)
    except (TypeError, ValueError) as exc:
        raise TrainingError(f"{algo}.{key}={value!r}: {exc}", hint="check the parameter's type") from None


def _algos(names: list[str]) -> list[str]:
    out = []
    for n in names:
        algo = automl_algo(n)
        if algo is None:  # the spec refuses it already; a hand-built AutoMLSpec may not
            raise TrainingError(f"unknown AutoML algorithm {n!r}",
                                hint="one of " + ", ".join(AUTOML_ALGOS.values()))
        out.append(algo)
    return out


def _upper_first(s: str) -> str:
    return s[:1].upper() + s[1:]
