"""The service's drift window: what the last requests scored, against the model's profile.

Each request's rows are bucketed where they are scored (here, or in a scoring process, which
sends the small counts back); a model's window keeps the latest requests up to ``max_rows``
rows (the oldest drop out, so memory stays bounded whatever the traffic) and is reset when its
alias moves to another version.  After each request the window's PSI per feature, unseen-level
and null shares and the prediction's PSI are set as Prometheus gauges (labels: model and
feature, both bounded by what is served).
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sparkwing.monitor import DriftReport, ProfileCounts, compare
from sparkwing.serve._metrics import Metrics
from sparkwing.serve._models import LoadedModel

if TYPE_CHECKING:
    from sparkwing.config import DriftSpec

MAX_ROWS = 10_000  # rows a model's window holds
_STATUS = {"ok": 0, "warn": 1, "fail": 2}


@dataclass
class _Window:
    version: int
    total: ProfileCounts
    parts: deque[ProfileCounts] = field(default_factory=deque)
    features: set[str] = field(default_factory=set)
    report: DriftReport | None = None


class DriftWindow:
    """Rolling drift of every served model (thread-safe; requests finish on several threads)."""

    def __init__(self, metrics: Metrics, *, max_rows: int = MAX_ROWS, spec: DriftSpec | None = None) -> None:
        self.metrics, self.max_rows, self._spec = metrics, max_rows, spec
        self._windows: dict[str, _Window] = {}
        self._lock = threading.Lock()

    @property
    def spec(self) -> DriftSpec:
        """The PSI thresholds (the spec's defaults unless given; the pipeline spec's module is
        imported on first use, not at the service's start)."""
        if self._spec is None:
            from sparkwing.config import DriftSpec

            self._spec = DriftSpec()
        return self._spec

    def observe(self, lm: LoadedModel, counts: ProfileCounts | None) -> DriftReport | None:
        """Add one request's counts to ``lm``'s window; returns the window's report."""
        profile = lm.card.profile
        if counts is None or profile is None or counts.rows == 0:
            return None
        with self._lock:
            window = self._windows.get(lm.name)
            if window is None or window.version != lm.version:
                if window is not None:
                    self._clear(lm.name, window)
                window = self._windows[lm.name] = _Window(lm.version, ProfileCounts.empty(profile))
            window.parts.append(counts)
            window.total.add(counts)
            while len(window.parts) > 1 and window.total.rows - window.parts[0].rows >= self.max_rows:
                window.total.subtract(window.parts.popleft())
            report = compare(profile, window.total, self.spec, model=f"{lm.name}@{lm.version}",
                             source="serve window")
            window.report = report
            self._export(lm.name, window, report)
        return report

    def report(self, name: str) -> DriftReport | None:
        with self._lock:
            window = self._windows.get(name)
            return window.report if window else None

    def _export(self, model: str, window: _Window, report: DriftReport) -> None:
        m = self.metrics
        m.drift_rows.labels(model).set(report.rows)
        m.drift_status.labels(model).set(_STATUS[report.status])
        m.drift_max_psi.labels(model).set(report.max_psi or 0.0)
        if report.prediction is not None and report.prediction.psi is not None:
            m.drift_prediction_psi.labels(model).set(report.prediction.psi)
        for f in report.features:
            window.features.add(f.name)
            if f.psi is not None:
                m.drift_psi.labels(model, f.name).set(f.psi)
            m.drift_null_change.labels(model, f.name).set(f.null_share_change)
            m.drift_unseen.labels(model, f.name).set(f.unseen_share)

    def _clear(self, model: str, window: _Window) -> None:
        """A new version: the old one's feature series go (its features may differ)."""
        m = self.metrics
        for feature in window.features:
            for gauge in (m.drift_psi, m.drift_null_change, m.drift_unseen):
                try:
                    gauge.remove(model, feature)
                except KeyError:
                    pass
