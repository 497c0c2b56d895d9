"""Charts as inline SVG, drawn on the server: readable with no JavaScript and no network.

Every piece of text that reaches a chart passes through :func:`markupsafe.escape`, and numbers
are formatted here, so a hostile label in a record cannot become markup.  Each chart is an
``<svg role="img">`` with an ``aria-label`` and ``<title>`` tooltips on its marks.

>>> str(sparkline([])).startswith("<svg")
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

_STATUS = {"succeeded", "failed", "running", "skipped", "pending"}


def _cls(status: str) -> str:
    return f"st-{status}" if status in _STATUS else "st-other"


def _n(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


def _svg(width: int, height: int, label: str, body: list[str], cls: str) -> Markup:
    return Markup(
        f'<svg class="chart {cls}" role="img" aria-label="{escape(label)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">' + "".join(body) + "</svg>"
    )


@dataclass(frozen=True)
class Mark:
    """One run in a sparkline: its duration (seconds, or None) and its outcome."""

    seconds: float | None
    status: str
    title: str


def sparkline(marks: Sequence[Mark], *, width: int = 140, height: int = 28) -> Markup:
    """Bars of recent run durations, oldest left, coloured by outcome."""
    if not marks:
        return _svg(width, height, "no runs", [], "sparkline")
    top = max((m.seconds or 0.0) for m in marks) or 1.0
    step = width / max(len(marks), 1)
    body = []
    for i, m in enumerate(marks):
        h = max(2.0, (m.seconds or 0.0) / top * (height - 2))
        x = i * step + 1
        body.append(
            f'<rect class="{_cls(m.status)}" x="{_n(x)}" y="{_n(height - h)}" width="{_n(max(step - 2, 1))}" '
            f'height="{_n(h)}"><title>{escape(m.title)}</title></rect>'
        )
    return _svg(width, height, f"{len(marks)} recent runs", body, "sparkline")


@dataclass(frozen=True)
class Bar:
    """One step on the timeline: seconds from the run's start to its start and end."""

    label: str
    start: float
    end: float
    status: str
    title: str


def timeline(bars: Sequence[Bar], *, width: int = 760, row: int = 22, label_width: int = 200) -> Markup:
    """A Gantt-like chart: one row per step, a bar from its start to its end."""
    total = max([b.end for b in bars] + [1e-9])
    plot = width - label_width - 10
    height = row * len(bars) + 24
    body = []
    for k in range(5):  # axis ticks in seconds
        t = total * k / 4
        x = label_width + plot * k / 4
        body.append(f'<line class="grid" x1="{_n(x)}" y1="0" x2="{_n(x)}" y2="{height - 16}"/>')
        anchor = "start" if k == 0 else "end" if k == 4 else "middle"
        text = f"{t:.0f}" if total >= 20 else _n(t)
        body.append(f'<text class="tick" x="{_n(x)}" y="{height - 4}" text-anchor="{anchor}">{text}s</text>')
    for i, b in enumerate(bars):
        y = i * row + 3
        x0 = label_width + plot * max(b.start, 0.0) / total
        w = max(plot * max(b.end - b.start, 0.0) / total, 2.0)
        body.append(f'<text class="label" x="{label_width - 6}" y="{y + row - 9}" text-anchor="end">'
                    f"{escape(_clip(b.label, 28))}</text>")
        body.append(f'<rect class="{_cls(b.status)}" x="{_n(x0)}" y="{y}" width="{_n(w)}" height="{row - 6}">'
                    f"<title>{escape(b.title)}</title></rect>")
    return _svg(width, height, f"timeline of {len(bars)} steps", body, "timeline")


def curve(
    points: Sequence[tuple[float, float]], *, label: str, x_label: str, y_label: str,
    diagonal: bool = False, size: int = 280, y_max: float = 1.0, baseline: float | None = None,
) -> Markup:  # fmt: skip
    """A curve over x in [0, 1] and y in [0, ``y_max``] (ROC, precision/recall, gains, lift), with
    axes, an optional diagonal and an optional dashed horizontal ``baseline``."""
    y_max = y_max if y_max > 0 else 1.0
    pad = 36
    plot = size - pad - 10
    body = [f'<rect class="frame" x="{pad}" y="10" width="{plot}" height="{plot}"/>']
    for k in range(5):
        v = k / 4
        x, y = pad + plot * v, 10 + plot * (1 - v)
        body.append(f'<text class="tick" x="{_n(x)}" y="{size - 12}" text-anchor="middle">{_n(v)}</text>')
        body.append(f'<text class="tick" x="{pad - 4}" y="{_n(y + 4)}" text-anchor="end">'
                    f"{_n(v * y_max)}</text>")
    if baseline is not None:
        yb = _n(10 + plot * (1 - _unit(baseline / y_max)))
        body.append(f'<line class="diagonal" x1="{pad}" y1="{yb}" x2="{pad + plot}" y2="{yb}"/>')
    if diagonal:
        body.append(f'<line class="diagonal" x1="{pad}" y1="{10 + plot}" x2="{pad + plot}" y2="10"/>')
    coords = " ".join(
        f"{_n(pad + plot * _unit(x))},{_n(10 + plot * (1 - _unit(y / y_max)))}" for x, y in points
    )
    if coords:
        body.append(f'<polyline class="curve" points="{coords}"/>')
    mid = pad + plot / 2
    body.append(f'<text class="axis" x="{mid}" y="{size}" text-anchor="middle">{escape(x_label)}</text>')
    body.append(f'<text class="axis" x="10" y="{10 + plot / 2}" transform="rotate(-90 10 {10 + plot / 2})" '
                f'text-anchor="middle">{escape(y_label)}</text>')
    return _svg(size, size + 4, label, body, "curve")


@dataclass(frozen=True)
class Bucket:
    """One bin of a reliability diagram: its range of predicted probabilities, rows, and (for a
    bin with rows) the mean predicted probability and the observed share."""

    lower: float
    upper: float
    count: int
    predicted: float | None
    observed: float | None


def reliability(
    buckets: Sequence[Bucket], *, label: str, y_label: str, size: int = 280, strip: int = 44,
) -> Markup:  # fmt: skip
    """A reliability diagram: observed share against mean predicted probability per bin, the
    diagonal (perfect calibration) dashed, a dot per bin sized by its rows, and under the plot a
    strip of bars with each bin's row count (where the predictions fall)."""
    pad = 36
    plot = size - pad - 10
    top = max([b.count for b in buckets] + [1])
    base = size + 10 + strip  # the strip's baseline, under the x axis label

    def px(v: float) -> str:
        return _n(pad + plot * _unit(v))

    def py(v: float) -> str:
        return _n(10 + plot * (1 - _unit(v)))

    body = [f'<rect class="frame" x="{pad}" y="10" width="{plot}" height="{plot}"/>']
    for k in range(5):
        v = k / 4
        body.append(f'<text class="tick" x="{px(v)}" y="{size - 12}" text-anchor="middle">{_n(v)}</text>')
        body.append(f'<text class="tick" x="{pad - 4}" y="{_n(10 + plot * (1 - v) + 4)}" text-anchor="end">'
                    f"{_n(v)}</text>")
    body.append(f'<line class="diagonal" x1="{pad}" y1="{10 + plot}" x2="{pad + plot}" y2="10"/>')
    filled = [b for b in buckets if b.count and b.predicted is not None and b.observed is not None]
    if len(filled) > 1:
        coords = " ".join(f"{px(b.predicted)},{py(b.observed)}" for b in filled)  # type: ignore[arg-type]
        body.append(f'<polyline class="curve" points="{coords}"/>')
    for b in filled:
        r = 2.5 + 4.5 * (b.count / top) ** 0.5
        body.append(f'<circle class="dot" cx="{px(b.predicted)}" cy="{py(b.observed)}" r="{_n(r)}">'  # type: ignore[arg-type]
                    f"<title>{_n(b.lower)}–{_n(b.upper)}: {b.count:,} rows, mean p {b.predicted:.3f}, "
                    f"observed {b.observed:.3f}</title></circle>")
    for b in buckets:
        if not b.count:
            continue
        h = max(strip * b.count / top, 1.0)
        x0, x1 = pad + plot * _unit(b.lower), pad + plot * _unit(b.upper)
        body.append(f'<rect class="bar" x="{_n(x0 + 1)}" y="{_n(base - h)}" '
                    f'width="{_n(max(x1 - x0 - 2, 1))}" height="{_n(h)}">'
                    f"<title>{_n(b.lower)}–{_n(b.upper)}: {b.count:,} rows</title></rect>")
    body.append(f'<text class="tick" x="{pad - 4}" y="{_n(base)}" text-anchor="end">0</text>')
    body.append(f'<text class="tick" x="{pad - 4}" y="{_n(base - strip + 8)}" text-anchor="end">'
                f"{top:,}</text>")
    mid = pad + plot / 2
    body.append(f'<text class="axis" x="{mid}" y="{size}" text-anchor="middle">'
                "mean predicted probability</text>")
    body.append(f'<text class="axis" x="10" y="{10 + plot / 2}" transform="rotate(-90 10 {10 + plot / 2})" '
                f'text-anchor="middle">{escape(y_label)}</text>')
    body.append(f'<text class="axis" x="{mid}" y="{_n(base + 14)}" text-anchor="middle">rows per bin</text>')
    return _svg(size, int(base + 18), label, body, "reliability")


def bars(
    items: Sequence[tuple[str, float]], *, label: str, width: int = 560, row: int = 18,
    label_width: int = 220, highlight: int | None = None,
) -> Markup:  # fmt: skip
    """Horizontal bars (variable importance, a leaderboard metric), longest scale = the largest value."""
    top = max([abs(v) for _, v in items] + [1e-12])
    plot = width - label_width - 60
    body = []
    for i, (name, value) in enumerate(items):
        y = i * row + 2
        w = max(plot * abs(value) / top, 1.0)
        cls = "bar hl" if i == highlight else "bar"
        body.append(f'<text class="label" x="{label_width - 6}" y="{y + row - 6}" text-anchor="end">'
                    f"{escape(_clip(name, 32))}</text>")
        body.append(f'<rect class="{cls}" x="{label_width}" y="{y}" width="{_n(w)}" height="{row - 4}">'
                    f"<title>{escape(name)}: {value:.6g}</title></rect>")
        body.append(f'<text class="value" x="{_n(label_width + w + 4)}" y="{y + row - 6}">{value:.4g}</text>')
    return _svg(width, row * len(items) + 4, label, body, "bars")


def _unit(v: float) -> float:
    return min(max(float(v), 0.0), 1.0)


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


@dataclass(frozen=True)
class Level:
    """A horizontal line on a trend: a check's limit."""

    label: str
    value: float


@dataclass(frozen=True)
class Dot:
    """One run on a trend: its value (None: a gap), its verdict, its tooltip."""

    value: float | None
    passed: bool | None
    title: str


def trend(
    dots: Sequence[Dot], levels: Sequence[Level], *, label: str, share: bool = False,
    width: int = 580, height: int = 170,
) -> Markup:  # fmt: skip
    """A figure over runs, oldest left: a line through the values, a dot per run (red where the
    check failed), dashed lines at the limits; ``share`` prints the axis as percentages."""
    left, right, top, bottom = 64, 96, 10, 22
    plot_w, plot_h = width - left - right, height - top - bottom
    known = [d.value for d in dots if d.value is not None]
    span = known + [lv.value for lv in levels]
    lo, hi = (min(span + [0.0]), max(span + [0.0])) if span else (0.0, 1.0)
    if hi - lo < 1e-12:  # a flat series (often all zero): a small range, not a 100 % one
        hi = lo + (abs(lo) * 0.1 or (0.01 if share else 1.0))
    hi += (hi - lo) * 0.08

    def y(v: float) -> float:
        return top + plot_h * (1 - (v - lo) / (hi - lo))

    def x(i: int) -> float:
        return left + (plot_w * i / (len(dots) - 1) if len(dots) > 1 else plot_w / 2)

    def text(v: float) -> str:
        return f"{v:.2%}" if share else f"{v:,.4g}"

    body = [f'<rect class="frame" x="{left}" y="{top}" width="{plot_w}" height="{plot_h}"/>']
    for k in range(3):
        v = lo + (hi - lo) * k / 2
        body.append(f'<text class="tick" x="{left - 4}" y="{_n(y(v) + 4)}" text-anchor="end">'
                    f"{text(v)}</text>")
    for lv in levels:
        yy = _n(y(lv.value))
        body.append(f'<line class="limit" x1="{left}" y1="{yy}" x2="{left + plot_w}" y2="{yy}">'
                    f"<title>{escape(lv.label)} {text(lv.value)}</title></line>")
        body.append(f'<text class="limit-label" x="{left + plot_w + 4}" y="{_n(y(lv.value) + 4)}">'
                    f"{escape(lv.label)} {text(lv.value)}</text>")
    run: list[str] = []  # a polyline per stretch without gaps
    for i, d in enumerate(dots):
        if d.value is None:
            if len(run) > 1:
                body.append(f'<polyline class="trend" points="{" ".join(run)}"/>')
            run = []
            continue
        run.append(f"{_n(x(i))},{_n(y(d.value))}")
    if len(run) > 1:
        body.append(f'<polyline class="trend" points="{" ".join(run)}"/>')
    for i, d in enumerate(dots):
        if d.value is None:
            continue
        cls = "dot fail" if d.passed is False else "dot"
        body.append(f'<circle class="{cls}" cx="{_n(x(i))}" cy="{_n(y(d.value))}" r="3.5">'
                    f"<title>{escape(d.title)}</title></circle>")
    body.append(f'<text class="tick" x="{left}" y="{height - 6}">oldest</text>')
    body.append(f'<text class="tick" x="{left + plot_w}" y="{height - 6}" text-anchor="end">newest</text>')
    return _svg(width, height, label, body, "trend")
