"""Reliability (calibration) bins of a classifier's probabilities, reduced where the predictions are.

The rows binned are the ones the card's metrics come from: H2O's predictions on the holdout, or,
with no holdout, the leader's cross-validation hold-out predictions.  H2O binds them to the true
labels (a column bind: same rows, same order), Spark reads that frame and reduces it to one row
per bin (count, sum of p, sum of y, sum of (p - y)^2): at most ``BINS + 1`` rows reach the
driver, whatever the size of the data.  A calibrated model (``calibrate: platt|isotonic``) is
binned on its calibrated probabilities (``cal_p1``), the ones its MOJO outputs.

Bins are equal-width tenths of [0, 1], not quantiles: the x axis then means the same on every
card, and two versions' diagrams compare bin for bin; a bin no row fell in is kept, count 0.

>>> sums, missing = bin_sums([(0.05, 0.0), (0.95, 1.0), (float("nan"), 1.0)])
>>> r = reliability_from_sums(sums, missing=missing, on="holdout", kind="positive_class")
>>> r.rows, r.missing, [b.count for b in r.bins if b.count]
(3, 1, [1, 1])
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sparkwing.registry import Reliability, ReliabilityBin

log = logging.getLogger("sparkwing.train")

BINS = 10
_ACTUAL = "__sparkwing_actual"


@dataclass(frozen=True)
class BinSums:
    """What one bin adds up: rows, predicted probabilities, outcomes (0/1), squared errors."""

    count: int
    sum_p: float
    sum_y: float
    sum_sq: float


def bin_of(p: float) -> int:
    """The bin of probability ``p``: ``floor(p * BINS)``, 1.0 (and anything above) in the last."""
    return min(max(math.floor(p * BINS), 0), BINS - 1)


def bin_sums(pairs: Iterable[tuple[float, float | None]]) -> tuple[dict[int, BinSums], int]:
    """``(p, y)`` pairs reduced as Spark reduces them; the second value counts pairs without a
    probability or outcome (NaN or None), which go in no bin."""
    acc: dict[int, list[float]] = {}
    missing = 0
    for p, y in pairs:
        if p is None or y is None or math.isnan(p) or math.isnan(y):
            missing += 1
            continue
        a = acc.setdefault(bin_of(p), [0, 0.0, 0.0, 0.0])
        a[0] += 1
        a[1] += p
        a[2] += y
        a[3] += (p - y) ** 2
    return {b: BinSums(int(a[0]), a[1], a[2], a[3]) for b, a in acc.items()}, missing


def reliability_from_sums(
    sums: Mapping[int, BinSums], *, missing: int, on: Literal["holdout", "cv"],
    kind: Literal["positive_class", "top_class"], positive_class: str | None = None, calibrated: bool = False,
) -> Reliability:  # fmt: skip
    """The card's :class:`Reliability` from per-bin sums (bins ``0 .. BINS - 1``; others are refused)."""
    if any(not 0 <= b < BINS for b in sums):
        raise ValueError(f"bins are 0..{BINS - 1}; got {sorted(sums)}")
    n = sum(s.count for s in sums.values())
    bins, gap = [], 0.0
    for i in range(BINS):
        s = sums.get(i)
        lower, upper = i / BINS, (i + 1) / BINS
        if s is None or s.count == 0:
            bins.append(ReliabilityBin(lower=lower, upper=upper, count=0))
            continue
        mean_p, observed = s.sum_p / s.count, s.sum_y / s.count
        gap += s.count * abs(mean_p - observed)
        bins.append(ReliabilityBin(lower=lower, upper=upper, count=s.count, mean_predicted=mean_p,
                                   observed=observed))
    brier = sum(s.sum_sq for s in sums.values()) / n if n and kind == "positive_class" else None
    return Reliability(on=on, kind=kind, positive_class=positive_class, calibrated=calibrated,
                       rows=n + missing, missing=missing, bins=bins, brier=brier, ece=gap / n if n else None)


def reliability(
    judged: tuple[Any, Any] | None, on: Literal["holdout", "cv"], task: str, classes: list[str] | None,
    context: Any, *, calibrated: bool,
) -> Reliability | None:  # fmt: skip
    """Bins of the judged predictions (``train._evaluate.judged_predictions``: the holdout's, else
    the CV hold-out predictions, ``on`` says which); None for regression or when H2O has no such
    predictions (the card then says "not recorded")."""
    if task not in ("binary", "multiclass") or not classes or judged is None:
        return None
    preds, actual = judged
    try:
        actual = actual.asfactor().set_names([_ACTUAL])
        scored = context.asSparkFrame(preds.cbind(actual))
        columns = {c: (c if c in preds.columns else "p" + c) for c in classes}
        if task == "binary":
            column = columns[classes[1]]
            used = calibrated and "cal_" + column in preds.columns
            sums, missing = _spark_sums(scored, "cal_" + column if used else column, positive=classes[1])
            return reliability_from_sums(sums, missing=missing, on=on, kind="positive_class",
                                         positive_class=classes[1], calibrated=used)
        sums, missing = _spark_sums(scored, list(columns.values()), positive=None)
        return reliability_from_sums(sums, missing=missing, on=on, kind="top_class")
    except Exception:  # noqa: BLE001 - a chart, not a figure: no bins rather than wrong ones
        log.debug("reliability bins failed", exc_info=True)
        return None


def _spark_sums(
    df: Any, probability: str | list[str], positive: str | None
) -> tuple[dict[int, BinSums], int]:
    """One grouped aggregation: per bin its sums; bin -1 holds the rows with no probability."""
    from pyspark.sql import functions as F

    def col(name: str) -> Any:
        return F.col(f"`{name}`")

    actual = col(_ACTUAL).cast("string")
    if isinstance(probability, str):  # binary: p of the positive class, y = is that class
        p = col(probability).cast("double")
        y = F.when(actual.isNotNull(), (actual == F.lit(positive)).cast("double"))
    else:  # multiclass: the top class's p, y = the top class is right
        p = F.greatest(*[col(c).cast("double") for c in probability])
        y = F.when(actual.isNotNull(), (col("predict").cast("string") == actual).cast("double"))
    known = p.isNotNull() & ~F.isnan(p) & y.isNotNull()
    index = F.when(known, F.least(F.greatest(F.floor(p * BINS).cast("int"), F.lit(0)), F.lit(BINS - 1)))
    rows = (
        df.select(F.coalesce(index, F.lit(-1)).alias("bin"), p.alias("p"), y.alias("y"))
        .groupBy("bin")
        .agg(F.count(F.lit(1)).alias("n"), F.sum("p").alias("sp"), F.sum("y").alias("sy"),
             F.sum((F.col("p") - F.col("y")) ** 2).alias("sq"))
        .collect()
    )  # fmt: skip
    sums = {int(r["bin"]): BinSums(int(r["n"]), float(r["sp"]), float(r["sy"]), float(r["sq"]))
            for r in rows if r["bin"] >= 0}
    missing = sum(int(r["n"]) for r in rows if r["bin"] < 0)
    return sums, missing
