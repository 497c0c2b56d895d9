"""Drift: how far what a model scores has moved from its training profile.

The population stability index (PSI) of a feature compares its bucket shares at training
(``e``, the :class:`~sparkwing.registry.FeatureProfile`) with those of the scored rows (``a``)::

    PSI = sum((a_i - e_i) * ln(a_i / e_i))      shares under EPS count as EPS (no log of 0)

Rules of thumb: under 0.1 the distribution is stable, 0.1-0.25 it moved, over 0.25 it is a
different population; ``drift: {warn, fail}`` in a score's spec sets the lines.  Shares are over
non-null rows; the null share and the share of levels the model never saw are reported apart.

>>> round(psi([0.5, 0.5], [0.7, 0.3]), 4)
0.1695
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from sparkwing.registry import DataProfile, FeatureProfile

if TYPE_CHECKING:  # the pipeline spec's module is not imported with monitor
    from sparkwing.config import DriftSpec

EPS = 1e-4
Status = Literal["ok", "warn", "fail"]
_RANK = {"ok": 0, "warn": 1, "fail": 2}


def psi(expected: Sequence[float], actual: Sequence[float], eps: float = EPS) -> float:
    """The population stability index of ``actual`` shares against ``expected`` ones."""
    if len(expected) != len(actual):
        raise ValueError(f"{len(expected)} expected shares, {len(actual)} actual")
    total = 0.0
    for e, a in zip(expected, actual, strict=True):
        e, a = max(e, eps), max(a, eps)
        total += (a - e) * math.log(a / e)
    return total


@dataclass
class ColumnCounts:
    """Rows seen in each bucket of one :class:`FeatureProfile`, plus nulls and unseen levels."""

    buckets: list[int]
    nulls: int = 0
    unseen: int = 0  # categorical: non-null rows with a level outside the training domain

    def add(self, other: ColumnCounts) -> None:
        self.buckets = [a + b for a, b in zip(self.buckets, other.buckets, strict=True)]
        self.nulls += other.nulls
        self.unseen += other.unseen

    @property
    def rows(self) -> int:
        return sum(self.buckets) + self.nulls


@dataclass
class ProfileCounts:
    """What a batch (or a window of requests) looked like, bucketed as the profile is.

    Plain lists of ints: cheap to pickle back from a scoring process and to add up.
    """

    rows: int = 0
    columns: dict[str, ColumnCounts] = field(default_factory=dict)
    prediction: ColumnCounts | None = None

    @classmethod
    def empty(cls, profile: DataProfile) -> ProfileCounts:
        def zero(fp: FeatureProfile) -> ColumnCounts:
            return ColumnCounts([0] * len(fp.buckets()))

        return cls(0, {f.name: zero(f) for f in profile.features},
                   zero(profile.prediction) if profile.prediction else None)

    def add(self, other: ProfileCounts) -> None:
        self.rows += other.rows
        for name, counts in other.columns.items():
            if name in self.columns:
                self.columns[name].add(counts)
            else:
                self.columns[name] = ColumnCounts(list(counts.buckets), counts.nulls, counts.unseen)
        if other.prediction is not None:
            if self.prediction is None:
                self.prediction = ColumnCounts([0] * len(other.prediction.buckets))
            self.prediction.add(other.prediction)

    def subtract(self, other: ProfileCounts) -> None:
        """Take ``other`` (an older part of a rolling window) back out."""
        negative = ProfileCounts(
            -other.rows,
            {n: ColumnCounts([-b for b in c.buckets], -c.nulls, -c.unseen) for n, c in other.columns.items()},
            ColumnCounts([-b for b in other.prediction.buckets], -other.prediction.nulls)
            if other.prediction else None,
        )
        self.add(negative)


class FeatureDrift(BaseModel):
    """One column's drift: PSI, null share now and at training, share of unseen levels."""

    name: str
    psi: float | None = Field(default=None, description="None when no non-null value was scored.")
    null_share: float = 0.0
    reference_null_share: float = 0.0
    null_share_change: float = 0.0
    unseen_share: float = Field(default=0.0, description="Rows with a level the model never saw.")
    status: Status = "ok"


class DriftReport(BaseModel):
    """Drift of one scored batch against the model version's training profile."""

    model: str
    rows: int
    status: Status = "ok"
    max_psi: float | None = None
    warn: float | None = None
    fail: float | None = None
    features: list[FeatureDrift] = Field(default_factory=list)
    prediction: FeatureDrift | None = None
    measured: str | None = Field(default=None, description="When (UTC, ISO).")
    source: str | None = Field(default=None, description="What was scored: a run, a file, the service.")

    def alarms(self) -> list[FeatureDrift]:
        """Columns (and the prediction) over a threshold, worst first."""
        over = [f for f in [*self.features, *([self.prediction] if self.prediction else [])]
                if f.status != "ok"]
        return sorted(over, key=lambda f: -(f.psi or 0.0))

    def summary(self) -> str:
        """One line: status, worst PSI, the columns over a threshold."""
        worst = ", ".join(f"{f.name} {f.psi:.3f}" for f in self.alarms()[:5] if f.psi is not None)
        head = f"drift {self.status}: max PSI {self.max_psi:.3f}" if self.max_psi is not None else \
            f"drift {self.status}: nothing to compare"
        return head + (f" ({worst})" if worst else "") + f" over {self.rows:,} rows"


def _shares(buckets: Sequence[int]) -> list[float] | None:
    total = sum(buckets)
    return [b / total for b in buckets] if total > 0 else None


def _status(value: float | None, spec: DriftSpec) -> Status:
    if value is None:
        return "ok"
    if spec.fail is not None and value >= spec.fail:
        return "fail"
    if spec.warn is not None and value >= spec.warn:
        return "warn"
    return "ok"


def column_drift(fp: FeatureProfile, counts: ColumnCounts, spec: DriftSpec) -> FeatureDrift:
    """Compare one column's counts with its profile."""
    rows = counts.rows
    actual = _shares(counts.buckets)
    value = psi(fp.shares, actual) if actual is not None and fp.shares else None
    null_share = counts.nulls / rows if rows else 0.0
    return FeatureDrift(
        name=fp.name, psi=None if value is None else round(value, 6), null_share=round(null_share, 6),
        reference_null_share=fp.null_share, null_share_change=round(null_share - fp.null_share, 6),
        unseen_share=round(counts.unseen / rows, 6) if rows else 0.0, status=_status(value, spec),
    )


def compare(profile: DataProfile, counts: ProfileCounts, spec: DriftSpec, *, model: str,
            source: str | None = None, measured: str | None = None) -> DriftReport:
    """The drift report of ``counts`` against ``profile`` with ``spec``'s thresholds."""
    features = [column_drift(fp, counts.columns[fp.name], spec)
                for fp in profile.features if fp.name in counts.columns]
    prediction = None
    if profile.prediction is not None and counts.prediction is not None:
        prediction = column_drift(profile.prediction, counts.prediction, spec)
    every = [*features, *([prediction] if prediction else [])]
    values = [f.psi for f in every if f.psi is not None]
    status: Status = max((f.status for f in every), key=_RANK.__getitem__, default="ok")
    return DriftReport(
        model=model, rows=counts.rows, status=status, max_psi=max(values) if values else None,
        warn=spec.warn, fail=spec.fail, features=features, prediction=prediction,
        measured=measured, source=source,
    )
