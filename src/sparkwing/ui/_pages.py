"""From records to what a page draws: timelines, sparklines, curves, tables of figures."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone

from markupsafe import Markup

from sparkwing.pipeline import RunRecord, StepRecord
from sparkwing.registry import ModelCard
from sparkwing.ui import _quality, _svg


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def run_seconds(record: RunRecord) -> float | None:
    """The run's duration: recorded, or so far for a run still going."""
    if record.seconds is not None:
        return record.seconds
    start = parse_time(record.started)
    if start is None:
        return None
    end = parse_time(record.finished) or datetime.now(timezone.utc)
    return max((end - start).total_seconds(), 0.0)


def duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.1f}s"
    m, s = divmod(int(seconds), 60)
    return f"{m}m {s:02d}s" if m < 60 else f"{m // 60}h {m % 60:02d}m"


def sparkline(runs: list[RunRecord]) -> Markup:
    """Recent runs, oldest left (``runs`` is newest first)."""
    marks = [
        _svg.Mark(run_seconds(r), r.status, f"{r.run_id}: {r.status}, {duration(run_seconds(r))}")
        for r in reversed(runs)
    ]
    return _svg.sparkline(marks)


def timeline(record: RunRecord) -> Markup:
    """One bar per step that started, from its start to its end (or now, if it is running)."""
    origin = parse_time(record.started)
    now = datetime.now(timezone.utc)
    bars = []
    for step in record.steps.values():
        start = parse_time(step.started)
        if origin is None or start is None:
            continue
        end = parse_time(step.finished) or (start if step.status != "running" else now)
        a, b = (start - origin).total_seconds(), (end - origin).total_seconds()
        bars.append(_svg.Bar(step.name, a, b, step.status, f"{step.name}: {step.status}, {duration(b - a)}"))
    return _svg.timeline(bars)


@dataclass(frozen=True)
class ErrorText:
    message: str
    hint: str | None


def split_hint(text: str | None) -> ErrorText | None:
    """``message (hint: ...)`` as the runner writes a SparkwingError's one line."""
    if not text:
        return None
    message, sep, hint = text.partition(" (hint: ")
    if sep and hint.endswith(")"):
        return ErrorText(message, hint[:-1])
    return ErrorText(text, None)


def step_error(step: StepRecord) -> ErrorText | None:
    return split_hint(step.error)


def roc(card: ModelCard) -> Markup | None:
    c = card.curves.roc
    if c is None or not c.fpr:
        return None
    pts = [(0.0, 0.0), *zip(c.fpr, c.tpr, strict=False), (1.0, 1.0)]
    on = curves_on(card)
    found = card.metrics.figure("auc")
    auc = found[0] if found is not None and found[1] == on else None
    label = f"ROC curve ({on} AUC {auc:.4f})" if auc is not None else f"ROC curve ({on})"
    return _svg.curve(pts, label=label, x_label="false positive rate", y_label="true positive rate",
                      diagonal=True)


def pr(card: ModelCard) -> Markup | None:
    c = card.curves.pr
    if c is None or not c.recall:
        return None
    pts = list(zip(c.recall, c.precision, strict=False))
    return _svg.curve(pts, label=f"precision/recall curve ({curves_on(card)})", x_label="recall",
                      y_label="precision")


def curves_on(card: ModelCard) -> str:
    """The curves are the holdout's; a card without a holdout (``split: none``) has CV curves."""
    return "cv" if not card.metrics.holdout and card.metrics.cv else "holdout"


def calibration(card: ModelCard) -> Markup | None:
    """The reliability diagram of a classification card's stored bins (None: none recorded)."""
    r = card.curves.reliability
    if r is None or not r.bins:
        return None
    buckets = [_svg.Bucket(b.lower, b.upper, b.count, b.mean_predicted, b.observed) for b in r.bins]
    what = f"p({r.positive_class})" if r.kind == "positive_class" else "top-class probability"
    y_label = f"share of class {r.positive_class}" if r.kind == "positive_class" else "share predicted right"
    return _svg.reliability(buckets, label=f"reliability of {what} ({r.on}, {r.rows} rows)", y_label=y_label)


def calibration_note(card: ModelCard) -> str:
    """What the reliability diagram shows, in a line: the rows, the probabilities, the scores."""
    r = card.curves.reliability
    if r is None:
        return ""
    what = (f"predicted probability of class {r.positive_class}" if r.kind == "positive_class"
            else "probability of the top class against how often it is right")
    parts = [f"{r.on}, {r.rows:,} rows", what + (" (calibrated)" if r.calibrated else ""),
             "ten equal-width bins"]
    if r.missing:
        parts.append(f"{r.missing:,} rows without a probability left out")
    if r.brier is not None:
        parts.append(f"Brier score {r.brier:.4f}")
    if r.ece is not None:
        parts.append(f"expected calibration error {r.ece:.4f}")
    return "; ".join(parts)


def gains_points(card: ModelCard) -> list[tuple[float, float]] | None:
    """Cumulative gains, exactly, from what the card stores: at each holdout ROC threshold the
    share of rows scored at or above it is ``(tpr * P + fpr * N) / (P + N)``, with P and N the
    actual positives and negatives of the holdout confusion matrix (rows are actual classes; the
    positive class is the second).  ``None`` when the card cannot say that exactly: no ROC, not
    two classes, or a confusion matrix that is not of the same holdout rows."""
    c, cm = card.curves.roc, card.metrics.confusion_matrix
    if c is None or not c.fpr or cm is None or len(cm.matrix) != 2:
        return None
    if getattr(card.metrics, "confusion_matrix_on", None) not in (None, "holdout"):
        return None  # a cross-validation matrix: not the rows of the holdout curve
    negatives, positives = sum(cm.matrix[0]), sum(cm.matrix[1])
    total = negatives + positives
    rows = card.rows.holdout or card.metrics.holdout.get("rows")
    if not positives or (rows is not None and int(rows) != total):
        return None
    pts = [((t * positives + f * negatives) / total, t) for f, t in zip(c.fpr, c.tpr, strict=False)]
    return [(0.0, 0.0), *sorted(pts), (1.0, 1.0)]


def gains(card: ModelCard) -> Markup | None:
    pts = gains_points(card)
    if pts is None:
        return None
    return _svg.curve(pts, label="cumulative gains (holdout)", x_label="share of rows, highest scores first",
                      y_label="share of positives found", diagonal=True)  # fmt: skip


def lift(card: ModelCard) -> Markup | None:
    pts = [(d, g / d) for d, g in gains_points(card) or [] if d > 0]
    if not pts:
        return None
    y_max = max(math.ceil(max(y for _, y in pts) * 1.02), 1)  # whole numbers on the axis
    return _svg.curve(pts, label="lift (holdout)", x_label="share of rows, highest scores first",
                      y_label="lift over random", y_max=y_max, baseline=1.0)  # fmt: skip


def importance(card: ModelCard, top: int = 20) -> Markup | None:
    items = [
        (v.variable, v.scaled_importance if v.scaled_importance is not None else v.relative_importance or 0.0)
        for v in card.variable_importance[:top]
    ]
    return _svg.bars(items, label="variable importance (scaled)") if items else None


def leaderboard_metric(card: ModelCard) -> str | None:
    """The leaderboard column to chart: the headline metric if the rows have it."""
    head = card.headline()
    rows = card.leaderboard
    if not rows:
        return None
    if head and head[0] in rows[0]:
        return head[0]
    return next((k for k, v in rows[0].items() if isinstance(v, float)), None)


def leaderboard_chart(card: ModelCard, top: int = 15) -> Markup | None:
    metric = leaderboard_metric(card)
    if metric is None:
        return None
    items = [
        (str(r.get("model_id", r.get("algo", "?"))), float(r[metric]))
        for r in card.leaderboard[:top] if isinstance(r.get(metric), (int, float))
    ]  # fmt: skip
    ids = [r.get("model_id") for r in card.leaderboard[:top]]
    chosen = ids.index(card.model_id) if card.model_id in ids else None
    if not items:
        return None
    return _svg.bars(items, label=f"leaderboard by {metric}", label_width=300, highlight=chosen)


def metric_rows(card: ModelCard) -> list[tuple[str, float | None, float | None]]:
    """(metric, holdout, cv) for every metric either side has, holdout's order first."""
    names = list(card.metrics.holdout) + [k for k in card.metrics.cv if k not in card.metrics.holdout]
    return [(n, card.metrics.holdout.get(n), card.metrics.cv.get(n)) for n in names]


def leaderboard_columns(card: ModelCard) -> list[str]:
    cols: list[str] = []
    for row in card.leaderboard[:1]:
        cols = [k for k in row if k != "model_id"]
    return ["model_id", *cols] if card.leaderboard else []


def fmt(value: object) -> str:
    """A figure for a table cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def trend(series: _quality.Series) -> Markup:
    """One quality figure over runs, its limits drawn (see :mod:`sparkwing.ui._quality`)."""
    share = series.unit == "share"

    def show(v: float | None) -> str:
        return "no value" if v is None else f"{v:.2%}" if share else fmt(v)

    dots = [
        _svg.Dot(p.value, p.passed, f"{p.run_id}: {show(p.value)}"
                 + ("" if p.passed is None else " (passed)" if p.passed else " (FAILED)"))
        for p in series.points
    ]  # fmt: skip
    levels = [_svg.Level(t.label, t.value) for t in series.thresholds]
    return _svg.trend(dots, levels, label=f"{series.step} {series.title} over {len(dots)} runs", share=share)
