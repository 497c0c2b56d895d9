"""Data quality over runs: every check's figure per run, with the limit it was held to.

Read from run records only (``steps[*].checks[*].observed``, a source's row counts): one
:class:`Series` per (step, check, column, figure), oldest run first, a run that did not have the
figure a gap.  Thresholds are the check's own (``max_share``, ``min``/``max``, ``bounds``, or 0
for checks that allow no bad value; a source's ``max_quarantine_share`` when the record has it).

>>> [s.title for s in quality_series([])]
[]
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sparkwing.pipeline import RunRecord, StepRecord


@dataclass(frozen=True)
class Threshold:
    label: str  # "max", "min", "allowed"
    value: float


@dataclass(frozen=True)
class Point:
    run_id: str
    value: float | None
    passed: bool | None  # the check's verdict in that run (None: not a check, or no verdict)


@dataclass
class Series:
    step: str
    title: str  # e.g. "max_null_share(emp_length): null share"
    unit: str  # "share", "rows", "count", "value"
    points: list[Point] = field(default_factory=list)
    thresholds: list[Threshold] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str]:
        return self.step, self.title

    @property
    def failures(self) -> int:
        return sum(1 for p in self.points if p.passed is False)


Figure = tuple[str, str, float | None, list[Threshold]]  # (title, unit, value, thresholds)


def _num(x: Any) -> float | None:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else None


def _per_column(obs: dict[str, Any], key: str) -> dict[str, Any]:
    got = obs.get(key)
    return got if isinstance(got, dict) else {}


def _zero(kind: str, figure: str, unit: str) -> Callable[[dict[str, Any]], Iterator[Figure]]:
    """A check that allows no bad value: ``observed[figure][column]`` against 0."""

    def read(obs: dict[str, Any]) -> Iterator[Figure]:
        for c, n in _per_column(obs, figure).items():
            yield f"{kind}({c}): {figure.replace('_', ' ')}", unit, _num(n), [Threshold("allowed", 0.0)]

    return read


def _not_null(obs: dict[str, Any]) -> Iterator[Figure]:
    rows = _num(obs.get("rows"))
    for c, n in _per_column(obs, "null_count").items():
        value = _num(n) / rows if rows and _num(n) is not None else None  # type: ignore[operator]
        yield f"not_null({c}): null share", "share", value, [Threshold("allowed", 0.0)]


def _max_null_share(obs: dict[str, Any]) -> Iterator[Figure]:
    limits = _per_column(obs, "max_share")
    for c, share in _per_column(obs, "null_share").items():
        limit = _num(limits.get(c))
        yield (f"max_null_share({c}): null share", "share", _num(share),
               [Threshold("max", limit)] if limit is not None else [])  # fmt: skip


def _row_count(obs: dict[str, Any]) -> Iterator[Figure]:
    limits = [Threshold(k, v) for k in ("min", "max") if (v := _num(obs.get(k))) is not None]
    yield "row_count: rows", "rows", _num(obs.get("rows")), limits


def _in_range(obs: dict[str, Any]) -> Iterator[Figure]:
    bounds = _per_column(obs, "bounds")
    lows, highs = _per_column(obs, "min"), _per_column(obs, "max")
    for c in sorted(set(lows) | set(highs)):
        low, high = (list(bounds.get(c) or []) + [None, None])[:2]
        yield (f"in_range({c}): smallest value", "value", _num(lows.get(c)),
               [Threshold("min", v) for v in [_num(low)] if v is not None])  # fmt: skip
        yield (f"in_range({c}): largest value", "value", _num(highs.get(c)),
               [Threshold("max", v) for v in [_num(high)] if v is not None])  # fmt: skip


def _unique(obs: dict[str, Any]) -> Iterator[Figure]:
    yield "unique: duplicate rows", "count", _num(obs.get("duplicate_rows")), [Threshold("allowed", 0.0)]


def _drift(obs: dict[str, Any]) -> Iterator[Figure]:
    yield "drift: largest PSI", "value", _num(obs.get("max_psi")), []


READERS: dict[str, Callable[[dict[str, Any]], Iterator[Figure]]] = {
    "not_null": _not_null,
    "max_null_share": _max_null_share,
    "row_count": _row_count,
    "in_range": _in_range,
    "in_set": _zero("in_set", "not_in_set", "count"),
    "regex": _zero("regex", "not_matching", "count"),
    "unique": _unique,
    "drift": _drift,
}


def _figures(step: StepRecord) -> Iterator[tuple[Figure, bool | None]]:
    if step.kind == "sources" and step.rows_in is not None:
        limit = getattr(step.details, "max_quarantine_share", None)
        share = (step.rows_quarantined or 0) / step.rows_in if step.rows_in else None
        passed = None if limit is None or share is None else share <= limit
        yield ("rows read", "rows", float(step.rows_in), []), None
        yield ("quarantined share", "share", share,
               [Threshold("max", float(limit))] if limit is not None else []), passed  # fmt: skip
    for check in step.checks:
        read = READERS.get(str(check.get("kind")))
        obs = check.get("observed")
        if read is None or not isinstance(obs, dict):
            continue
        passed = check.get("passed")
        for figure in read(obs):
            yield figure, passed if isinstance(passed, bool) else None


def quality_series(runs: list[RunRecord]) -> list[Series]:
    """Every figure of ``runs`` (any order) as a series over them, oldest first; thresholds as of
    the newest run that had the figure."""
    ordered = sorted(runs, key=lambda r: r.started)
    found: dict[tuple[str, str], Series] = {}
    values: dict[tuple[str, str], dict[str, Point]] = {}
    for run in ordered:
        for step in run.steps.values():
            for (title, unit, value, limits), passed in _figures(step):
                key = (step.name, title)
                series = found.setdefault(key, Series(step.name, title, unit))
                if limits:
                    series.thresholds = limits
                values.setdefault(key, {})[run.run_id] = Point(run.run_id, value, passed)
    for key, series in found.items():
        seen = values[key]
        series.points = [seen.get(r.run_id, Point(r.run_id, None, None)) for r in ordered]
    return list(found.values())


def by_step(series: list[Series]) -> dict[str, list[Series]]:
    out: dict[str, list[Series]] = {}
    for s in series:
        out.setdefault(s.step, []).append(s)
    return out
