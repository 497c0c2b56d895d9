"""Backfill: one run per date, oldest first, each recorded with its parameters.

A date that already has a succeeded run with the same value is skipped (unless ``force``); a
date whose last run failed is resumed under that run's id (same spec, same value), so
re-running the same backfill after a failure picks up where it stopped.  The backfill stops at
the first failing date, since later dates often build on earlier ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sparkwing.config import PipelineSpec, Settings, load_spec
from sparkwing.errors import ConfigError, SparkwingError
from sparkwing.pipeline import RunRecord, RunStore, Trigger, run_pipeline
from sparkwing.workspace import Workspace

MAX_DATES = 3660  # ten years of days: a typo in --from must not queue a century of runs

#: Runs one date: (spec, trigger, resume run id) -> record.
BackfillRun = Callable[[PipelineSpec, Trigger, "str | None"], RunRecord]


@dataclass
class BackfillDay:
    day: str
    outcome: str  # succeeded | failed | skipped
    run_id: str | None = None
    error: str | None = None


def dates(start: date, end: date) -> list[date]:
    if end < start:
        raise ConfigError(f"--to {end} is before --from {start}")
    count = (end - start).days + 1
    if count > MAX_DATES:
        raise ConfigError(f"{count} dates from {start} to {end}: at most {MAX_DATES} in one backfill")
    return [start + timedelta(days=i) for i in range(count)]


def backfill(
    spec_path: Path, settings: Settings, start: date, end: date, *, param: str = "ds", force: bool = False,
    run: BackfillRun | None = None, progress: Callable[[BackfillDay], None] = lambda _d: None,
) -> list[BackfillDay]:
    """Run ``spec_path`` once per date in ``[start, end]`` with ``param`` set to the date."""
    days = dates(start, end)
    first = load_spec(spec_path, {param: days[0].isoformat()})
    declared = first.params.get(param)
    if declared is None or declared.type != "date":
        raise ConfigError(f"a backfill sets a date parameter {param!r}; the spec declares "
                          f"{', '.join(sorted(first.params)) or 'no params'}",
                          hint=f"add params: {{{param}: {{type: date, default: today}}}}")
    store = RunStore(Workspace.from_settings(settings))
    earlier = store.list(first.name, limit=100_000)
    runner = run or (lambda spec, trigger, resume: run_pipeline(
        spec, settings, resume=resume, trigger=trigger, stop_engine=False))
    out: list[BackfillDay] = []
    for i, day in enumerate(days):
        value = day.isoformat()
        spec = first if i == 0 else load_spec(spec_path, {param: value})
        mine = [r for r in earlier if r.params.get(param) == value]  # newest first
        if not force and any(r.status == "succeeded" for r in mine):
            result = BackfillDay(value, "skipped", next(r.run_id for r in mine if r.status == "succeeded"))
            out.append(result)
            progress(result)
            continue
        last = mine[0] if mine else None
        resume = last.run_id if (last is not None and last.status == "failed" and not force
                                 and last.spec_hash == spec.spec_hash) else None
        trigger = Trigger(kind="backfill", detail=f"{param}={value} ({i + 1} of {len(days)})")
        try:
            record = runner(spec, trigger, resume)
            result = BackfillDay(value, "succeeded", record.run_id)
        except SparkwingError as exc:
            newest = store.list(spec.name, limit=1)
            result = BackfillDay(value, "failed", newest[0].run_id if newest else None, exc.one_line())
        out.append(result)
        progress(result)
        if result.outcome == "failed":
            break
    return out
