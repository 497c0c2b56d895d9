"""Which metric heads a model's figures, and which way each metric is better: one vocabulary.

The CLI's model list, promotion (``metric: auto``) and the service's summaries all ask here.

>>> headline_metric("multiclass"), higher_is_better("auc"), higher_is_better("rmse")
('logloss', True, False)
"""

from __future__ import annotations

HIGHER_IS_BETTER = frozenset({"auc", "aucpr", "r2", "f1", "accuracy"})
LOWER_IS_BETTER = frozenset(
    {"logloss", "rmse", "mse", "mae", "deviance", "mean_per_class_error", "rmsle"}
)
#: The figure that stands for a model of each task (holdout, as H2O computes it).
HEADLINE_METRIC = {"binary": "auc", "multiclass": "logloss", "regression": "rmse"}
_DEFAULT = "auc"


def headline_metric(task: str | None) -> str:
    """The headline metric of a task: auc (binary), logloss (multiclass), rmse (regression)."""
    return HEADLINE_METRIC.get(str(task), _DEFAULT)


def higher_is_better(metric: str) -> bool:
    """Direction of ``metric``; anything not known to be an error measure counts as a score."""
    return metric.lower() not in LOWER_IS_BETTER
