"""Run a pipeline: lock, walk the step graph, keep the run record, resume what did not finish."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from typing import Any

from sparkwing._types import new_run_id, utcnow_iso
from sparkwing.config import PipelineSpec, RetryPolicy, Settings, build_graph
from sparkwing.config._schedule import NO_RETRIES
from sparkwing.errors import (
    ConfigError,
    NoNewData,
    RunStopped,
    SparkwingError,
    StepFailed,
    describe,
    first_line,
    looks_transient,
)
from sparkwing.pipeline._details import SourceDetails
from sparkwing.pipeline._lock import PipelineLock
from sparkwing.pipeline._metrics import write_run_metrics
from sparkwing.pipeline._progress import LogReporter, Reporter
from sparkwing.pipeline._record import FailedTry, RunRecord, RunStore, StepRecord, Trigger
from sparkwing.pipeline._stages import DURABLE, PUBLISHING, RUNNERS, RunContext
from sparkwing.workspace import Workspace

log = logging.getLogger("sparkwing.pipeline")


def run_pipeline(
    spec: PipelineSpec,
    settings: Settings,
    *,
    resume: str | None = None,
    reporter: Reporter | None = None,
    stop_engine: bool = True,
    fail_fast: bool = False,
    echo_engine_logs: bool = False,
    trigger: Trigger | None = None,
    stop: Callable[[], bool] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    under_lock: str | None = None,
) -> RunRecord:
    """Run ``spec`` and return its record; raises the first failing step's ``SparkwingError``.

    A failing step skips the steps downstream of it (``skipped``, with the reason); steps
    that do not depend on it still run, and the run ends ``failed`` with every step's
    outcome in the record before the first failure is raised.  With ``fail_fast`` the run
    stops at the first failure instead (the steps not reached stay ``pending``).

    With ``resume`` (a run id) only the steps that did not finish (failed, skipped, never
    reached) run again, under the same run id, so a half-written table version is replaced
    rather than duplicated.

    Engine output (JVM, Spark, H2O, XGBoost) goes to ``<workspace>/logs/<run_id>/`` (named in
    ``record.logs``); with ``echo_engine_logs`` it also streams to the console.
    A step failing with a *transient* error (:func:`sparkwing.errors.is_transient`) is tried
    again per the spec's ``schedule.retries`` (or its ``step_retries`` entry), waiting with
    ``sleep``; each retried try is kept in the step's ``failed_tries``.  ``trigger`` says what
    started the run (default: manual).  When ``stop()`` turns true the run stops before the
    next step with :class:`~sparkwing.errors.RunStopped`, leaving a resumable record.

    ``under_lock`` is the id of a parallel backfill that holds the pipeline's lock: the run
    takes no lock of its own, and its table, model and score steps take turns with the
    backfill's other runs (see :mod:`sparkwing.pipeline._lock`).
    """
    from sparkwing.engine import EngineLogs, effective_settings, event_log_of
    from sparkwing.lake import check_locations

    reporter = reporter or LogReporter()
    settings = effective_settings(settings)  # spark-submit's --master, if it launched us
    # Before the record, the lock or a JVM exist: settings and sources a cluster cannot use.
    check_locations(settings, spec)
    graph = build_graph(spec)
    workspace = Workspace.from_settings(settings)  # the one value the whole run shares
    store = RunStore(workspace)
    record = _open_record(store, spec, settings, resume)
    logs = EngineLogs.under(workspace, record.run_id, echo=echo_engine_logs,
                            level="INFO" if log.isEnabledFor(logging.DEBUG) else "WARN")
    record.logs = logs.dir
    if trigger is not None:
        record.trigger = trigger
    lock = PipelineLock(workspace, spec.name)
    if under_lock is not None:
        lock.check_held_by(under_lock)
        cleared = None
    else:
        cleared = lock.acquire(record.run_id)
    if cleared is not None:
        record.note("cleared a stale lock", stale_run=cleared.run_id, stale_pid=cleared.pid)
        reporter.message(f"cleared stale lock of run {cleared.run_id} (pid {cleared.pid} is gone)")
    todo = _steps_to_run(graph, record, resume is not None)
    for name in graph.order:
        if name not in todo and name in record.steps and record.steps[name].status == "succeeded":
            continue
        record.steps.setdefault(name, StepRecord(name=name, kind=graph.nodes[name].kind))
    t0 = time.monotonic()
    ctx: RunContext | None = None
    try:
        store.save(record)
        reporter.run_started(record, [n for n in graph.order if n in todo])
        from sparkwing.engine import start_spark

        spark = start_spark(settings, logs=logs)
        record.spark_app_id, record.spark_events = event_log_of(spark)
        ctx = RunContext(spark, settings, spec, graph, workspace, record, logs=logs,
                         turns=PipelineLock(workspace, spec.name, "publish") if under_lock else None)
        for node in graph.nodes.values():
            for dep in set(node.depends_on):
                if node.name in todo:
                    ctx.consumers[dep] = ctx.consumers.get(dep, 0) + 1
        base = str(spec.base_dir)
        if base not in sys.path:
            sys.path.insert(0, base)  # custom `python:` steps live next to the spec
        failures = _run_steps(ctx, todo, store, reporter, fail_fast=fail_fast,
                              stop=stop or (lambda: False), sleep=sleep)
        if failures:
            raise failures[0]  # the run's error and exit code are those of the first failure
        record.status = "succeeded"
    except BaseException as exc:
        record.status = "failed"
        record.error = exc.one_line() if isinstance(exc, SparkwingError) else describe(exc)
        record.error_code = getattr(exc, "code", "internal_error")
        raise
    finally:
        record.finished = utcnow_iso()
        record.seconds = round(time.monotonic() - t0, 3)
        for cleanup in ctx.cleanups if ctx is not None else []:
            try:
                cleanup()
            except Exception as exc:  # noqa: BLE001 - a dead executor/JVM must not hide the run's error
                log.warning("cleanup failed: %s", first_line(exc, limit=200))
        if record.status == "succeeded":
            _commit_incremental(workspace, record)
        if record.status == "succeeded":  # a failed run keeps its S3 copies for a look
            from sparkwing.lake import clean_staging

            try:
                if clean_staging(workspace, record.pipeline, record.run_id):
                    record.note("removed the staged copies of S3 sources")
            except OSError as exc:
                log.warning("could not remove staged copies: %s", exc)
        try:
            store.save(record)
            write_run_metrics(workspace, record)  # <workspace>/metrics/sparkwing.prom
        finally:
            if under_lock is None:
                lock.release()
            reporter.run_finished(record)
            if stop_engine:
                try:
                    _stop_engine(ctx)
                except Exception as exc:  # noqa: BLE001 - same: the run's own error wins
                    log.warning("stopping Spark/H2O failed: %s", first_line(exc, limit=200))
    return record


def _open_record(
    store: RunStore, spec: PipelineSpec, settings: Settings, resume: str | None
) -> RunRecord:
    if resume is None:
        return RunRecord(
            run_id=new_run_id(), pipeline=spec.name, spec_hash=spec.spec_hash,
            spec_path=str(spec._path) if spec._path else None, params=spec.param_values,
            settings={"workspace": settings.workspace, "master": settings.spark.master},
        )
    record = store.load(spec.name, resume)
    if record.status == "succeeded":
        raise ConfigError(f"run {resume} already succeeded; nothing to resume", hint="start a new run")
    if record.spec_hash != spec.spec_hash:
        raise ConfigError(
            f"the spec changed since run {resume} (hash {record.spec_hash} -> {spec.spec_hash})",
            hint="resume with the same spec, or start a new run",
        )
    record.attempts += 1
    record.status = "running"
    record.error = record.error_code = None
    record.note("resumed", attempt=record.attempts)
    return record


def _steps_to_run(graph: Any, record: RunRecord, resuming: bool) -> set[str]:
    """Everything on a fresh run; on resume, unfinished durable steps and what feeds them."""
    if not resuming:
        return set(graph.order)
    done = {n for n, s in record.steps.items() if s.status == "succeeded"}
    todo = {n for n in graph.order if n not in done}
    # Sources, datasets and features keep no rows between processes: recompute those feeding a
    # step that still has to run (published tables are read back instead; a features step
    # projects with the version it registered rather than training again).
    for name in list(todo):
        stack = list(graph.nodes[name].depends_on)
        while stack:
            up = stack.pop()
            if graph.nodes[up].kind in DURABLE:
                continue
            if up not in todo:
                todo.add(up)
                stack.extend(graph.nodes[up].depends_on)
    return todo


def _commit_incremental(workspace: Workspace, record: RunRecord) -> None:
    """A succeeded run consumed its incremental sources' files: add them to the ledgers.

    Every succeeded source step counts, also one from an earlier attempt of a resumed run (a
    failed attempt consumed nothing).  A failed write is logged: those files are read again.
    """
    from sparkwing.lake import commit_consumed

    for name, step in record.steps.items():
        picked = step.details.incremental if isinstance(step.details, SourceDetails) else None
        if step.status != "succeeded" or not picked:
            continue
        try:
            n = commit_consumed(workspace, record.pipeline, name, picked, record.run_id)
            record.note("consumed incremental files", source=name, files=n)
        except (OSError, SparkwingError) as exc:
            log.warning("source %r: could not record the consumed files (the next run reads them "
                        "again): %s", name, first_line(exc, limit=200))


def _run_steps(
    ctx: RunContext, todo: set[str], store: RunStore, reporter: Reporter, *, fail_fast: bool,
    stop: Callable[[], bool] = lambda: False, sleep: Callable[[float], None] = time.sleep,
) -> list[SparkwingError]:
    """Run the steps of ``todo`` in graph order; returns the failures, first one first.

    A step downstream of a failure is skipped, not run: its input does not exist.
    """
    failures: list[SparkwingError] = []
    failed_upstream: dict[str, str] = {}  # blocked step -> the failed step it waits for
    idle_upstream: dict[str, str] = {}  # step -> the incremental source with no new files it needs
    for name in ctx.graph.order:
        if name not in todo:
            continue
        if stop():
            raise RunStopped(
                f"run {ctx.record.run_id} stopped before step {name!r}", run_id=ctx.record.run_id,
                hint=f"resume it: sparkwing run SPEC --resume {ctx.record.run_id}",
            )
        step = ctx.record.steps[name]
        blocker = next((failed_upstream[d] for d in ctx.graph.nodes[name].depends_on
                        if d in failed_upstream), None)
        if blocker is not None:
            failed_upstream[name] = blocker
            _skip_step(ctx, step, f"upstream {blocker!r} failed", store, reporter)
            continue
        idle = next((idle_upstream[d] for d in ctx.graph.nodes[name].depends_on if d in idle_upstream), None)
        if idle is not None:
            idle_upstream[name] = idle
            _skip_step(ctx, step, f"no new data in {idle!r}", store, reporter)
            continue
        try:
            _run_step_with_retries(ctx, name, step, store, reporter, stop, sleep)
        except NoNewData as exc:  # not a failure: nothing arrived since the last successful run
            idle_upstream[name] = name
            _skip_step(ctx, step, exc.message, store, reporter)
        except SparkwingError as exc:
            if fail_fast:
                raise
            failures.append(exc)
            failed_upstream[name] = name
    return failures


def _skip_step(ctx: RunContext, step: StepRecord, reason: str, store: RunStore,
               reporter: Reporter) -> None:
    step.status = "skipped"
    step.reason = reason
    step.started = step.finished = step.seconds = step.error = step.user_traceback = None
    step.attempt = ctx.record.attempts
    store.save(ctx.record)
    reporter.step_finished(step)


def _retry_policy(spec: PipelineSpec, step: str) -> RetryPolicy:
    return spec.schedule.retry_policy(step) if spec.schedule is not None else NO_RETRIES


def _run_step_with_retries(
    ctx: RunContext, name: str, step: StepRecord, store: RunStore, reporter: Reporter,
    stop: Callable[[], bool], sleep: Callable[[float], None],
) -> None:
    """Run one step; a transient failure is tried again per its retry policy, terminal never."""
    policy = _retry_policy(ctx.spec, name)
    step.tries = 1
    step.failed_tries = []
    while True:
        try:
            _run_step(ctx, name, step, store, reporter)
            return
        except SparkwingError as exc:
            retry = step.tries  # the number of the retry we would make
            if not exc.transient or retry > policy.max or stop():
                raise
            wait = policy.delay(retry)
            step.failed_tries.append(FailedTry(
                error=step.error or exc.one_line(), code=exc.code, finished=step.finished or utcnow_iso(),
                waited_seconds=wait,
            ))
            step.tries += 1
            ctx.record.note("retrying step", step=name, retry=retry, of=policy.max, error=exc.code,
                            wait_seconds=wait)
            store.save(ctx.record)
            reporter.message(f"step {name!r} failed with a transient error ({first_line(exc, limit=120)}); "
                             f"retry {retry} of {policy.max} in {wait:g}s")
            sleep(wait)


@contextlib.contextmanager
def _turn(ctx: RunContext, name: str, kind: str) -> Iterator[None]:
    """Under a parallel backfill, one run at a time writes the pipeline's tables, models, feature
    models, scores: a publication prunes the table's versions by listing them and rewrites its
    history; a registration numbers the next version."""
    if ctx.turns is None or kind not in PUBLISHING:
        yield
        return
    t0 = time.monotonic()
    ctx.turns.wait(ctx.run_id)
    ctx.record.note("took the publish turn", step=name, waited_seconds=round(time.monotonic() - t0, 3))
    try:
        yield
    finally:
        ctx.record.note("gave back the publish turn", step=name)
        ctx.turns.release()


def _run_step(
    ctx: RunContext, name: str, step: StepRecord, store: RunStore, reporter: Reporter
) -> None:
    step.status = "running"
    step.started = utcnow_iso()
    step.finished = step.error = step.reason = step.user_traceback = None
    step.attempt = ctx.record.attempts
    store.save(ctx.record)
    reporter.step_started(step)
    t0 = time.monotonic()
    try:
        with _turn(ctx, name, step.kind):
            RUNNERS[step.kind](ctx, name, step)
        step.status = "succeeded"
    except NoNewData:
        raise  # the caller records the skip
    except SparkwingError as exc:
        step.status = "failed"
        step.error = exc.one_line()
        if isinstance(exc, StepFailed):
            step.user_traceback = exc.user_traceback  # a `python:` step's own frames
        _log_failure(ctx, name, exc)
        raise
    except Exception as exc:
        step.status = "failed"
        step.error = describe(exc)
        _log_failure(ctx, name, exc)
        raise StepFailed(
            f"step {name!r} failed: {step.error}", step=name,
            hint="run with --debug for the full traceback",
            transient=looks_transient(exc),  # a lost executor, S3 throttling, a time-out
        ) from exc
    finally:
        step.finished = utcnow_iso()
        step.seconds = round(time.monotonic() - t0, 3)
        store.save(ctx.record)
        reporter.step_finished(step)


def _log_failure(ctx: RunContext, name: str, exc: BaseException) -> None:
    """The console shows one line; the whole story (Python and Java stacks) goes to the logs."""
    if ctx.logs is None:
        return
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    try:
        with open(os.path.join(ctx.logs.dir, "sparkwing.log"), "a", encoding="utf-8") as f:
            f.write(f"{utcnow_iso()} step {name} failed (attempt {ctx.record.attempts})\n{text}\n")
    except OSError as err:  # noqa: PERF203 - a full disk must not hide the step's error
        log.debug("could not write the failure log: %s", err)


def _stop_engine(ctx: RunContext | None) -> None:
    from sparkwing.engine import stop_spark

    try:
        if ctx is not None and ctx.cloud is not None:
            ctx.cloud.stop()
    finally:
        stop_spark()
