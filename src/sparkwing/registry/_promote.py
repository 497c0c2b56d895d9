"""Whether a new model version should take an alias from the current one."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sparkwing.config import PromoteSpec

HIGHER_IS_BETTER = {"auc", "aucpr", "r2", "f1", "accuracy"}
LOWER_IS_BETTER = {"logloss", "rmse", "mse", "mae", "deviance", "mean_per_class_error", "rmsle"}
AUTO_METRIC = {"binary": "auc", "multiclass": "logloss", "regression": "rmse"}


@dataclass(frozen=True)
class PromotionDecision:
    """The verdict and both figures, as the run record keeps them."""

    promote: bool
    alias: str
    metric: str
    higher_is_better: bool
    new_value: float | None
    current_value: float | None
    current_version: int | None
    min_improvement: float
    improvement: float | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def decide_promotion(
    card_new: dict[str, Any], card_current: dict[str, Any] | None, rule: PromoteSpec
) -> PromotionDecision:
    """Promote when the new holdout metric beats the current one by at least ``min_improvement``.

    "Beats" is strict (an equal figure keeps the current model) and direction-aware.

    >>> rule = PromoteSpec(alias="production", metric="auc", min_improvement=0.01)
    >>> decide_promotion({"metrics": {"auc": 0.80}}, {"metrics": {"auc": 0.78}}, rule).promote
    True
    """
    metric = rule.metric.lower()
    if metric == "auto":
        metric = AUTO_METRIC.get(str(card_new.get("task")), "auc")
    higher = metric not in LOWER_IS_BETTER
    new = _metric(card_new, metric)
    current = _metric(card_current, metric) if card_current else None
    current_version = card_current.get("version") if card_current else None

    def decision(promote: bool, reason: str, improvement: float | None = None) -> PromotionDecision:
        return PromotionDecision(
            promote, rule.alias, metric, higher, new, current, current_version,
            rule.min_improvement, improvement, reason,
        )  # fmt: skip

    if new is None:
        return decision(False, f"new model has no holdout {metric}; {rule.alias} unchanged")
    if card_current is None:
        return decision(True, f"no current {rule.alias} model; promoting ({metric}={new:.6g})")
    if current is None:
        return decision(True, f"current {rule.alias} model has no {metric}; promoting ({new:.6g})")
    improvement = (new - current) if higher else (current - new)
    beats = improvement > 0 and improvement >= rule.min_improvement
    verb = "promoting" if beats else f"{rule.alias} unchanged"
    return decision(
        beats,
        f"{metric} {new:.6g} vs {current:.6g} ({'higher' if higher else 'lower'} is better, "
        f"improvement {improvement:+.6g}, required {rule.min_improvement:g}): {verb}",
        improvement,
    )


def _metric(card: dict[str, Any] | None, metric: str) -> float | None:
    value = ((card or {}).get("metrics") or {}).get(metric)
    return float(value) if isinstance(value, (int, float)) else None
