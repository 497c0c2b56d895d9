"""Holdout metrics, leaderboard and variable importance, read back from the H2O node."""

from __future__ import annotations

import math
from typing import Any

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


def cv_metrics(h2o_model: Any, task: str) -> dict[str, float]:
    """The chosen model's cross-validation figures; empty when it was trained without folds."""
    try:
        perf = h2o_model.model_performance(xval=True)
    except Exception:  # noqa: BLE001 - no folds (or a model kind without xval metrics)
        return {}
    if perf is None:
        return {}
    out: dict[str, float] = {}
    for name in SCALARS.get(task, ()):
        try:
            value = _first(getattr(perf, name)())
        except Exception:  # noqa: BLE001 - a figure H2O did not compute for this model
            continue
        if isinstance(value, (int, float)) and not math.isnan(value):
            out["deviance" if name == "mean_residual_deviance" else name] = float(value)
    return out


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
