"""Holdout metrics, leaderboard and variable importance, read back from the H2O node."""

from __future__ import annotations

import logging
import math
from typing import Any

log = logging.getLogger("sparkwing.train")

MAX_CURVE_POINTS = 101  # enough to draw a curve; H2O keeps ~400 thresholds
SCALARS = {
    "binary": ("auc", "aucpr", "logloss", "rmse", "mean_per_class_error"),
    "multiclass": ("logloss", "mean_per_class_error", "rmse"),
    "regression": ("rmse", "mae", "r2", "mean_residual_deviance"),
}


def holdout_metrics(perf: Any, task: str) -> dict[str, Any]:
    """H2O's own metrics of a model on the holdout (``model.model_performance(holdout)``)."""
    if task == "binary":
        thr, f1 = perf.F1()[0]
        cm = perf.confusion_matrix(thresholds=thr)
        return {
            "auc": perf.auc(), "aucpr": perf.aucpr(), "logloss": perf.logloss(),
            "f1": f1, "f1_threshold": thr, "rmse": perf.rmse(),
            "mean_per_class_error": _first(perf.mean_per_class_error()),
            "confusion_matrix": _cm(cm), "rows": perf.nobs(),
        }  # fmt: skip
    if task == "multiclass":
        return {
            "logloss": perf.logloss(), "mean_per_class_error": perf.mean_per_class_error(),
            "rmse": perf.rmse(), "confusion_matrix": _cm(perf.confusion_matrix()), "rows": perf.nobs(),
        }  # fmt: skip
    return {
        "rmse": perf.rmse(), "mae": perf.mae(), "r2": perf.r2(),
        "deviance": perf.mean_residual_deviance(), "rows": perf.nobs(),
    }  # fmt: skip


def cv_metrics(h2o_model: Any, task: str) -> dict[str, Any]:
    """The chosen model's cross-validation figures (as :func:`holdout_metrics`, with its confusion
    matrix); empty when it was trained without folds."""
    try:
        perf = h2o_model.model_performance(xval=True)
    except Exception:  # noqa: BLE001 - no folds (or a model kind without xval metrics)
        return {}
    if perf is None:
        return {}
    try:
        full = holdout_metrics(perf, task)
    except Exception:  # noqa: BLE001 - a figure H2O did not compute: keep the scalars it has
        full = {}
        for name in SCALARS.get(task, ()):
            try:
                full["deviance" if name == "mean_residual_deviance" else name] = _first(getattr(perf, name)())
            except Exception:  # noqa: BLE001
                continue
    return {k: (float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v)
            for k, v in full.items()
            if not (isinstance(v, float) and math.isnan(v))}


#: Leaderboard models that also get holdout columns (each is scored on the holdout once).
HOLDOUT_BOARD_MODELS = 20
HOLDOUT_COLUMNS = {"binary": ("auc", "logloss"), "multiclass": ("logloss", "mean_per_class_error"),
                   "regression": ("rmse", "deviance")}


def add_holdout_columns(board: list[dict[str, Any]], frame: Any, task: str) -> list[dict[str, Any]]:
    """``holdout_<metric>`` beside the leaderboard's cross-validation figures (first 20 models)."""
    import h2o

    out = []
    for i, row in enumerate(board):
        row = dict(row)
        if i < HOLDOUT_BOARD_MODELS and row.get("model_id"):
            try:
                perf = h2o.get_model(str(row["model_id"])).model_performance(frame)
                figures = holdout_metrics(perf, task)
            except Exception:  # noqa: BLE001 - a model H2O no longer holds: its cells stay empty
                figures = {}
            for name in HOLDOUT_COLUMNS.get(task, ()):
                value = figures.get(name)
                row[f"holdout_{name}"] = (
                    float(value) if isinstance(value, (int, float)) and not math.isnan(value) else None
                )
        out.append(row)
    return out


def judged_predictions(h2o_model: Any, frame: Any, labels: Any, target: str) -> tuple[Any, Any] | None:
    """The predictions a model is judged on and the true target beside them, as H2OFrames.

    The holdout ``frame`` scored by the model, else the CV hold-out predictions against
    ``labels`` (an H2OFrame of the training rows' target, in training order).  None when H2O kept
    no such predictions or they do not line up.  Fetched once per training, for the
    zero-probability check and the calibration bins.
    """
    try:
        if frame is not None:
            preds, actual = h2o_model.predict(frame), frame[target]
        else:
            preds, actual = h2o_model.cross_validation_holdout_predictions(), labels
    except Exception:  # noqa: BLE001 - checks and charts, not figures: the card says they are missing
        log.debug("no judged predictions", exc_info=True)
        return None
    if preds is None or actual is None or preds.nrows != actual.nrows:
        return None
    return preds, actual


def zero_probability_rows(judged: tuple[Any, Any] | None, task: str) -> int | None:
    """Rows of the judged predictions (:func:`judged_predictions`) whose true class gets p = 0.

    Such a row costs log loss ~34.5 (H2O clips at 1e-15) and means the model rules out a class
    that happens.  None when there is nothing to look at (regression, no kept predictions).
    """
    if task == "regression" or judged is None:
        return None
    preds, actual = judged
    try:
        actual = actual.asfactor()
        true_p = None
        for level in actual.levels()[0]:
            column = level if level in preds.columns else "p" + level
            term = (actual == level) * preds[column]
            true_p = term if true_p is None else true_p + term
        if true_p is None:
            return None
        return int((true_p == 0).sum(return_frame=False))
    except Exception:  # noqa: BLE001 - a check, not a figure: say nothing rather than something wrong
        log.debug("zero-probability check failed", exc_info=True)
        return None


def curves(perf: Any, task: str) -> dict[str, Any]:
    """ROC and precision/recall points on the holdout (binary only), thinned to ``MAX_CURVE_POINTS``."""
    if task != "binary":
        return {}
    try:
        table = perf._metric_json["thresholds_and_metric_scores"]
        cols = {c: list(table[c]) for c in ("threshold", "fpr", "tpr", "precision", "recall")}
    except Exception:  # noqa: BLE001 - curves are a nicety; the metrics are what counts
        return {}
    n = len(cols["threshold"])
    keep = sorted({round(i * (n - 1) / (MAX_CURVE_POINTS - 1)) for i in range(MAX_CURVE_POINTS)}) if n else []
    pick = {c: [float(v[i]) for i in keep] for c, v in cols.items()}
    return {
        "roc": {"thresholds": pick["threshold"], "fpr": pick["fpr"], "tpr": pick["tpr"]},
        "pr": {"thresholds": pick["threshold"], "recall": pick["recall"], "precision": pick["precision"]},
    }


def _first(value: Any) -> Any:
    return value[0][1] if isinstance(value, list) else value


def _cm(cm: Any) -> dict[str, Any]:
    """Rows are actual classes, columns predicted; counts only (H2O adds Error/Rate columns).

    Binomial matrices come wrapped (``.table``) with a row-label column; multinomial ones bare.
    """
    table = getattr(cm, "table", cm)
    labels = [str(h) for h in table.col_header if h not in ("", "Error", "Rate")]
    matrix = []
    for row in table.cell_values[: len(labels)]:
        cells = list(row)
        if len(cells) > len(labels) + 2:  # a leading row label
            cells = cells[1:]
        matrix.append([int(float(v)) for v in cells[: len(labels)]])
    return {"labels": labels, "matrix": matrix}


def leaderboard(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Clean leaderboard rows: rank, no unnamed index column, numbers as numbers, NaN → None."""
    out = []
    for i, row in enumerate(rows, start=1):
        clean: dict[str, Any] = {"rank": i}
        for k, v in row.items():
            if k != "":
                clean[k] = _number(v)
        out.append(clean)
    return out


GRID_NAMES = {
    "MOJO Model ID": "model_id", "AUC": "auc", "PRAUC": "aucpr", "Logloss": "logloss", "RMSE": "rmse",
    "MSE": "mse", "MAE": "mae", "R2": "r2", "MeanPerClassError": "mean_per_class_error",
    "MeanResidualDeviance": "deviance", "Nobs": "rows",
}  # fmt: skip


def grid_metrics(row: dict[str, Any]) -> dict[str, Any]:
    """A grid model's metrics under the leaderboard's names (AUC → auc, PRAUC → aucpr, ...)."""
    return {GRID_NAMES[k]: v for k, v in row.items() if k in GRID_NAMES}


def _number(v: Any) -> Any:
    """Sparkling Water returns leaderboard cells as strings; give numbers back as numbers."""
    if isinstance(v, str):
        for cast in (int, float):
            try:
                v = cast(v)
                break
            except ValueError:
                continue
    return None if isinstance(v, float) and math.isnan(v) else v


def variable_importance(h2o_model: Any) -> list[dict[str, Any]]:
    try:
        vi = h2o_model.varimp()
    except Exception:  # noqa: BLE001 - StackedEnsemble and some algorithms have none
        return []
    return [
        {"variable": v, "relative_importance": r, "scaled_importance": s, "percentage": p}
        for v, r, s, p in (vi or [])
    ]


def features(mojo_model: Any, spark_types: dict[str, str]) -> list[dict[str, Any]]:
    """The model's input columns, H2O type and categorical domain (what scoring checks)."""
    import json

    details = json.loads(mojo_model.getModelDetails() or "{}")
    types = dict(zip(details.get("names", []), details.get("column_types", []), strict=False))
    domains = mojo_model.getDomainValues()
    out = []
    for name in mojo_model.getFeaturesCols():
        domain = domains.get(name)
        h2o_type = (types.get(name) or ("Enum" if domain else "Numeric")).lower()
        out.append({"name": name, "type": h2o_type, "spark_type": spark_types.get(name), "domain": domain})
    return out
