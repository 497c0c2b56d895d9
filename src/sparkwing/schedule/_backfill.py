"""Backfill: one run per date, each recorded with its parameters; up to ``parallel`` at once.

A date that already has a succeeded run with the same value is skipped (unless ``force``); a
date whose last run failed is resumed under that run's id (same spec, same value), so
re-running the same backfill after a failure picks up where it stopped.  A failure starts no
new date, since later dates often build on earlier ones; runs already going finish.

With ``parallel`` 1 the runs go one after another in this process.  Above 1 each run is a
``sparkwing run`` child process with its own driver JVM, so the workspace's metastore must
take several processes (PostgreSQL or Glue; the embedded Derby opens in one process only).
The backfill holds the pipeline's lock for all its runs; they take turns at their table,
model and score steps (a publication rewrites the table's shared version history), so
reading and preparing the dates overlaps and publishing does not.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sparkwing._types import new_run_id
from sparkwing.config import PipelineSpec, Settings, load_spec
from sparkwing.errors import ConfigError, SparkwingError, StepFailed
from sparkwing.pipeline import PipelineLock, RunRecord, RunStore, Trigger, run_pipeline
from sparkwing.workspace import Workspace

MAX_DATES = 3660  # ten years of days: a typo in --from must not queue a century of runs
MAX_PARALLEL = 16  # each run is a driver JVM: more than this is a mistake on one machine

#: Runs one date: (spec, trigger, resume run id) -> record.
BackfillRun = Callable[[PipelineSpec, Trigger, "str | None"], RunRecord]


@dataclass
class BackfillDay:
    day: str
    outcome: str  # succeeded | failed | skipped
    run_id: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class _Job:
    day: str
    spec: PipelineSpec
    trigger: Trigger
    resume: str | None


def dates(start: date, end: date) -> list[date]:
    if end < start:
        raise ConfigError(f"--to {end} is before --from {start}")
    count = (end - start).days + 1
    if count > MAX_DATES:
        raise ConfigError(f"{count} dates from {start} to {end}: at most {MAX_DATES} in one backfill")
    return [start + timedelta(days=i) for i in range(count)]


def backfill(
    spec_path: Path, settings: Settings, start: date, end: date, *, param: str = "ds", force: bool = False,
    parallel: int = 1, run: BackfillRun | None = None, child_argv: Sequence[str] | None = None,
    progress: Callable[[BackfillDay], None] = lambda _d: None,
) -> list[BackfillDay]:
    """Run ``spec_path`` once per date in ``[start, end]`` with ``param`` set to the date.

    ``run`` replaces the runner (tests); ``child_argv`` is the command that starts ``sparkwing``
    with this process's global options, for the child runs of ``parallel`` above 1.  Returns
    the outcome of every date that was decided, oldest first.
    """
    if not 1 <= parallel <= MAX_PARALLEL:
        raise ConfigError(f"--parallel {parallel}: give 1 to {MAX_PARALLEL}")
    days = dates(start, end)
    first = load_spec(spec_path, {param: days[0].isoformat()})
    declared = first.params.get(param)
    if declared is None or declared.type != "date":
        raise ConfigError(f"a backfill sets a date parameter {param!r}; the spec declares "
                          f"{', '.join(sorted(first.params)) or 'no params'}",
                          hint=f"add params: {{{param}: {{type: date, default: today}}}}")
    store = RunStore(Workspace.from_settings(settings))
    earlier = store.list(first.name, limit=100_000)
    jobs: list[_Job | BackfillDay] = []
    for i, day in enumerate(days):
        value = day.isoformat()
        spec = first if i == 0 else load_spec(spec_path, {param: value})
        mine = [r for r in earlier if r.params.get(param) == value]  # newest first
        done = next((r.run_id for r in mine if r.status == "succeeded"), None)
        if done is not None and not force:
            jobs.append(BackfillDay(value, "skipped", done))
            continue
        last = mine[0] if mine else None
        resume = last.run_id if (last is not None and last.status == "failed" and not force
                                 and last.spec_hash == spec.spec_hash) else None
        trigger = Trigger(kind="backfill", detail=f"{param}={value} ({i + 1} of {len(days)})")
        jobs.append(_Job(value, spec, trigger, resume))
    if parallel == 1:
        runner = run or (lambda spec, trigger, resume: run_pipeline(
            spec, settings, resume=resume, trigger=trigger, stop_engine=False))
        return _run_in_turn(jobs, runner, store, progress)
    if run is not None:
        return _run_parallel(jobs, run, parallel, store, progress)
    _check_parallel(first, settings, parallel)
    lock = PipelineLock(Workspace.from_settings(settings), first.name)
    backfill_id = f"backfill-{new_run_id()}"
    lock.acquire(backfill_id)  # a run of the pipeline started meanwhile is refused (busy)
    try:
        argv = list(child_argv or [sys.executable, "-m", "sparkwing", "--workspace", settings.workspace])
        children = _Children(spec_path, param, argv, backfill_id, store, Workspace.from_settings(settings))
        return _run_parallel(jobs, children, parallel, store, progress)
    finally:
        lock.release()


def _check_parallel(spec: PipelineSpec, settings: Settings, parallel: int) -> None:
    from sparkwing.engine import metastore_kind  # reads settings only; no JVM

    if metastore_kind(settings) == "derby":
        raise ConfigError(f"--parallel {parallel}: the runs would share this workspace's embedded Derby "
                          "metastore, which only one process at a time can open",
                          hint="set metastore.url (PostgreSQL) or metastore.glue, or use --parallel 1")
    incremental = sorted(n for n, s in spec.sources.items() if s.incremental)
    if incremental:
        raise ConfigError(f"--parallel {parallel}: incremental source(s) {', '.join(incremental)} consume "
                          "the files the run before left, so their runs go one at a time",
                          hint="use --parallel 1")


def _outcome(job: _Job, runner: BackfillRun, store: RunStore) -> BackfillDay:
    try:
        record = runner(job.spec, job.trigger, job.resume)
        return BackfillDay(job.day, "succeeded", record.run_id)
    except SparkwingError as exc:
        mine = [r for r in store.list(job.spec.name, limit=100)
                if r.params == job.spec.param_values and r.trigger.kind == "backfill"]
        return BackfillDay(job.day, "failed", mine[0].run_id if mine else None, exc.one_line())


def _run_in_turn(jobs: list[_Job | BackfillDay], runner: BackfillRun, store: RunStore,
                 progress: Callable[[BackfillDay], None]) -> list[BackfillDay]:
    out: list[BackfillDay] = []
    for job in jobs:
        result = job if isinstance(job, BackfillDay) else _outcome(job, runner, store)
        out.append(result)
        progress(result)
        if result.outcome == "failed":
            break
    return out


def _run_parallel(jobs: list[_Job | BackfillDay], runner: BackfillRun, parallel: int, store: RunStore,
                  progress: Callable[[BackfillDay], None]) -> list[BackfillDay]:
    """Up to ``parallel`` runs at once, started oldest first; a failure starts no new one."""
    out: list[BackfillDay] = []
    for job in jobs:
        if isinstance(job, BackfillDay):
            out.append(job)
            progress(job)
    queue = [j for j in jobs if isinstance(j, _Job)]
    failed = False
    with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="backfill") as pool:
        going: set[Future[BackfillDay]] = set()
        while queue or going:
            while queue and not failed and len(going) < parallel:
                going.add(pool.submit(_outcome, queue.pop(0), runner, store))
            if not going:
                break
            finished, going = wait(going, return_when=FIRST_COMPLETED)
            for future in finished:
                result = future.result()
                out.append(result)
                progress(result)
                failed = failed or result.outcome == "failed"
    return sorted(out, key=lambda d: d.day)


class _Children:
    """Runs one date as ``sparkwing run SPEC -p PARAM=DAY --under-backfill ID`` in a child process.

    The child's console output goes to ``<workspace>/logs/<backfill id>/<day>.log`` (a local
    workspace) or is dropped in favour of the run's own engine logs (an S3 workspace).
    """

    def __init__(self, spec_path: Path, param: str, argv: list[str], backfill_id: str,
                 store: RunStore, workspace: Workspace) -> None:
        self.spec_path, self.param, self.argv, self.backfill_id = spec_path, param, argv, backfill_id
        self.store = store
        self.logs = Path(workspace.join("logs", backfill_id)) if workspace.local else None
        self._mutex = threading.Lock()

    def __call__(self, spec: PipelineSpec, trigger: Trigger, resume: str | None) -> RunRecord:
        day = spec.param_values[self.param]
        cmd = [*self.argv, "run", str(self.spec_path), "-p", f"{self.param}={day}",
               "--under-backfill", self.backfill_id, *(["--resume", resume] if resume else [])]
        log = self._log(day)
        with open(log or os.devnull, "ab") as out:
            done = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        code = done.returncode
        record = self._record(spec)
        if code == 0 and record is not None and record.status == "succeeded":
            return record
        why = (record.error if record is not None and record.error
               else f"`sparkwing run` exited with code {code}" + (f"; see {log}" if log else ""))
        raise StepFailed(why, step=day)

    def _log(self, day: str) -> Path | None:
        if self.logs is None:
            return None
        with self._mutex:
            self.logs.mkdir(parents=True, exist_ok=True)
        return self.logs / f"{day}.log"

    def _record(self, spec: PipelineSpec) -> RunRecord | None:
        for record in self.store.list(spec.name, limit=100):  # newest first
            if (record.params == spec.param_values and record.trigger.detail
                    and record.trigger.detail.endswith(f"({self.backfill_id})")):
                return record
        return None
