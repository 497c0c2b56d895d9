"""Drift of what a batch scored against the model version's training profile (``card.profile``).

Both scorers report it the same way: Spark counts the scored DataFrame in one aggregation
(:func:`sparkwing.monitor.count_dataframe`), pure Python counts each batch as it streams.
A version registered before profiles existed has none: no report, never an error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sparkwing.config import DriftSpec
from sparkwing.monitor import DriftReport, compare, count_dataframe, domains_of
from sparkwing.registry import ModelCard, ModelVersion
from sparkwing.score._batch import prob_column

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def prediction_column(card: ModelCard) -> str:
    """The scored column the profile's prediction summary is about: ``p1`` for a binary model
    (the second class's probability), ``predict`` otherwise."""
    if card.task == "binary" and card.classes and len(card.classes) == 2:
        return prob_column(card.classes[1])
    return "predict"


def batch_drift(scored: DataFrame, version: ModelVersion, spec: DriftSpec | None = None, *,
                source: str | None = None) -> DriftReport | None:
    """The drift report of a scored DataFrame (one pass), or None if the version has no profile."""
    card = version.card
    if card.profile is None:
        return None
    counts = count_dataframe(scored, card.profile, prediction=prediction_column(card),
                             domains=domains_of(card.features))
    return compare(card.profile, counts, spec or DriftSpec(), model=version.ref, source=source)
