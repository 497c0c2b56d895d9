"""Whether a new model version should take an alias from the current one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict

from sparkwing.registry._card import ModelCard
from sparkwing.registry._metrics import headline_metric, higher_is_better

if TYPE_CHECKING:  # the pipeline spec's module is not imported with the registry
    from sparkwing.config import PromoteSpec


class PromotionDecision(BaseModel):
    """The verdict and both figures, as the run record keeps them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

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
    metrics_on: Literal["holdout", "cv"] = "holdout"

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def decide_promotion(
    card_new: ModelCard, card_current: ModelCard | None, rule: PromoteSpec
) -> PromotionDecision:
    """Promote when the new metric beats the current one by at least ``min_improvement``.

    Both figures are holdout figures where both cards have one; a model trained on every row
    (``split: none``) has cross-validation figures only, and then both are cv (the reason says which).

    "Beats" is strict (an equal figure keeps the current model) and direction-aware; ``auto``
    is the task's headline metric (:func:`headline_metric`).

    >>> from sparkwing.registry._card import Metrics
    >>> def card(auc): return ModelCard(task="binary", metrics=Metrics(holdout={"auc": auc}))
    >>> rule = PromoteSpec(alias="production", metric="auc", min_improvement=0.01)
    >>> decide_promotion(card(0.80), card(0.78), rule).promote
    True
    """
    metric = rule.metric.lower()
    if metric == "auto":
        metric = headline_metric(card_new.task)
    higher = higher_is_better(metric)
    # Both on the holdout where both have it; else both on cross-validation (split: none).
    basis = "holdout"
    if metric not in card_new.metrics.holdout or (
        card_current is not None and metric not in card_current.metrics.holdout
        and metric in card_current.metrics.cv
    ):
        basis = "cv" if metric in card_new.metrics.cv else "holdout"
    new = getattr(card_new.metrics, basis).get(metric)
    current = getattr(card_current.metrics, basis).get(metric) if card_current else None
    current_version = card_current.version if card_current else None

    def decision(promote: bool, reason: str, improvement: float | None = None) -> PromotionDecision:
        return PromotionDecision(
            promote=promote, alias=rule.alias, metric=metric, higher_is_better=higher, new_value=new,
            current_value=current, current_version=current_version, min_improvement=rule.min_improvement,
            improvement=improvement, reason=reason, metrics_on=basis,
        )  # fmt: skip

    zeros = card_new.selection.zero_probability_rows
    if zeros:
        return decision(False, f"new model gives probability 0 to the true class of {zeros} judged row(s) "
                               f"(a class seen in training ruled out); {rule.alias} unchanged")
    if new is None:
        return decision(False, f"new model has no holdout {metric} and no cv {metric}; "
                               f"{rule.alias} unchanged")
    if card_current is None:
        return decision(True, f"no current {rule.alias} model; promoting ({basis} {metric}={new:.6g})")
    if current is None:
        return decision(True, f"current {rule.alias} model has no {basis} {metric}; "
                              f"promoting ({basis} {metric}={new:.6g})")
    improvement = (new - current) if higher else (current - new)
    beats = improvement > 0 and improvement >= rule.min_improvement
    verb = "promoting" if beats else f"{rule.alias} unchanged"
    return decision(
        beats,
        f"{basis} {metric} {new:.6g} vs {current:.6g} ({'higher' if higher else 'lower'} is better, "
        f"improvement {improvement:+.6g}, required {rule.min_improvement:g}): {verb}",
        improvement,
    )
