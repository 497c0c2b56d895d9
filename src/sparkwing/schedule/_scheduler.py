"""The embedded scheduler: one process per workspace runs the due pipelines of its specs.

Each :meth:`Scheduler.tick` looks at every pipeline once: cron fires since the last one
handled (``catch_up`` decides which missed ones run), data arrivals, a cron fire waiting for
its data (until ``on_data.timeout_minutes``).  Runs go one at a time through
:func:`sparkwing.pipeline.run_pipeline`, so the pipeline lock keeps one run per pipeline even
against a manual ``sparkwing run``.  The clock is injected: tests run a day of fires in
milliseconds.  A ``running`` mark in the state, written before a run starts, tells a restarted
scheduler that its predecessor died mid-run (SIGKILL): that run is resumed or marked failed per
``on_interrupted``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Protocol

from sparkwing.config import PipelineSpec, Settings, load_spec
from sparkwing.errors import RunStopped, SparkwingError, WorkspaceBusy
from sparkwing.pipeline import RunRecord, RunStore, Trigger, run_pipeline
from sparkwing.schedule._cron import CronSchedule
from sparkwing.schedule._data import check_arrival, list_objects
from sparkwing.schedule._metrics import MetricsServer
from sparkwing.schedule._process import SchedulerLock
from sparkwing.schedule._state import InFlight, PipelineState, StateStore
from sparkwing.workspace import Workspace

UTC = timezone.utc

log = logging.getLogger("sparkwing.schedule")
MAX_FILES_RECORDED = 100


class Clock(Protocol):
    def now(self) -> datetime: ...
    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


#: Runs a pipeline for the scheduler: (spec, trigger, resume run id, stop) -> record.
RunFunction = Callable[[PipelineSpec, Trigger, "str | None", Callable[[], bool]], RunRecord]


@dataclass
class Fired:
    """One run the scheduler started in a tick, and how it ended."""

    pipeline: str
    trigger: Trigger
    outcome: str
    run_id: str | None = None
    error: str | None = None


@dataclass
class Scheduler:
    """Runs the due pipelines of ``specs`` against one workspace."""

    specs: list[PipelineSpec]
    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    run: RunFunction | None = None
    grace_seconds: float = 120.0  # catch_up none: a fire this late still counts as on time
    stop_event: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.workspace = Workspace.from_settings(self.settings)
        self.states = StateStore(self.workspace)
        self.runs = RunStore(self.workspace)
        names = [s.name for s in self.specs]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            from sparkwing.errors import ConfigError

            raise ConfigError(f"two specs name the same pipeline: {', '.join(dupes)}")
        if self.run is None:
            self.run = self._run_pipeline
        self.metrics_url: str | None = None  # set by serve() when it serves /metrics

    # --- the loop ------------------------------------------------------------------------

    def stopping(self) -> bool:
        return self.stop_event.is_set()

    def serve(self, poll_seconds: float = 30.0, *, lock: SchedulerLock | None = None,
              metrics: tuple[str, int] | None = None) -> None:
        """Tick every ``poll_seconds`` until :attr:`stop_event` is set (SIGTERM).

        ``metrics``: ``(host, port)`` to serve ``/metrics`` on while the scheduler runs (the
        workspace's pipeline metrics file; port 0 picks a free one, see :attr:`metrics_url`).
        """
        lock = lock or SchedulerLock(self.workspace, stale_seconds=max(60.0, 3 * poll_seconds))
        lock.acquire(self.clock.now())
        server = MetricsServer(self.workspace, *metrics).start() if metrics is not None else None
        self.metrics_url = server.url if server is not None else None
        beat = threading.Thread(target=self._heartbeat, args=(lock, poll_seconds), daemon=True,
                                name="sparkwing-scheduler-heartbeat")
        beat.start()
        try:
            while not self.stopping():
                self.tick()
                self.stop_event.wait(poll_seconds)
        finally:
            self.stop_event.set()
            beat.join(timeout=5)
            if server is not None:
                server.stop()
            lock.release()

    def _heartbeat(self, lock: SchedulerLock, every: float) -> None:
        while not self.stop_event.wait(max(0.2, min(every, 10.0))):
            lock.beat(self.clock.now())

    def tick(self) -> list[Fired]:
        """Look at every pipeline once; start what is due; returns the runs started."""
        fired: list[Fired] = []
        for spec in self.specs:
            if self.stopping():
                break
            if spec.schedule is None:
                continue
            try:
                fired += self._tick_pipeline(spec)
            except SparkwingError as exc:  # a listing failed: log it, try again next tick
                log.warning("%s: %s", spec.name, exc.one_line())
        return fired

    # --- one pipeline --------------------------------------------------------------------

    def state(self, spec: PipelineSpec) -> PipelineState:
        state = self.states.load(spec.name)
        if state is None:  # first sight: start counting from now, do not replay history
            state = PipelineState(pipeline=spec.name, spec_path=str(spec._path) if spec._path else None,
                                  last_fire=self.clock.now())
            self.states.save(state)
        return state

    def _tick_pipeline(self, spec: PipelineSpec) -> list[Fired]:
        sched = spec.schedule
        assert sched is not None
        now = self.clock.now()
        state = self.state(spec)
        fired: list[Fired] = []
        if state.running is not None:
            fired.append(self._recover(spec, state))
        due: list[datetime] = []
        if sched.cron:
            cron = CronSchedule(sched.cron, sched.timezone)
            limit = sched.max_catch_up if sched.catch_up == "all" else 1
            fires, more = cron.latest_fires(state.last_fire or now, now, limit)
            if fires:
                due = self._catch_up(sched.catch_up, fires, now)
                state.missed += len(fires) - len(due) + (1 if more else 0)
                state.last_fire = fires[-1]
                if more or len(due) < len(fires):
                    log.info("%s: skipped %s missed fire(s) (catch_up: %s)", spec.name,
                             "some" if more else len(fires) - len(due), sched.catch_up)
                self.states.save(state)
        if sched.on_data is None:
            for i, at in enumerate(due):
                detail = f"catch-up {i + 1} of {len(due)}" if len(due) > 1 else None
                trigger = Trigger(kind="cron", scheduled=_iso(at), detail=detail)
                fired.append(self._start(spec, state, trigger))
            return fired
        if due:
            state.armed = due[-1]  # the newest fire waits for its data
            self.states.save(state)
        if sched.cron and state.armed is None:
            return fired
        fired += self._check_data(spec, state, now)
        return fired

    def _catch_up(self, policy: str, fires: list[datetime], now: datetime) -> list[datetime]:
        if policy == "all":
            return fires
        if policy == "last":
            return fires[-1:]
        on_time = (now - fires[-1]).total_seconds() <= self.grace_seconds
        return fires[-1:] if on_time else []

    def _check_data(self, spec: PipelineSpec, state: PipelineState, now: datetime) -> list[Fired]:
        sched = spec.schedule
        assert sched is not None and sched.on_data is not None
        trigger = sched.on_data
        day = (state.armed or now).astimezone(sched.tz)
        uri = trigger.uri_for(day) if trigger.dated else trigger.uri
        arrival = check_arrival(trigger, uri, state.seen, now, self.settings.s3, base=spec.base_dir)
        if arrival is None:
            if state.armed is not None and trigger.timeout_minutes is not None and \
                    now - state.armed > timedelta(minutes=trigger.timeout_minutes):
                log.warning("%s: no data under %s within %d min of %s", spec.name, uri,
                            trigger.timeout_minutes, _iso(state.armed))
                state.armed = None
                state.last_outcome, state.last_error = "timeout", f"no data under {uri}"
                state.last_finished = now
                self.states.save(state)
            return []
        if not trigger.dated:  # forget objects that are gone, so `seen` stays as big as the prefix
            present = {o.uri for o in list_objects(uri, self.settings.s3, base=spec.base_dir)}
            state.seen = {k: v for k, v in state.seen.items() if k in present}
        for mark in arrival.marks:  # before the run: a crash mid-run must not fire it again
            state.seen[mark.uri] = mark.signature
        scheduled = state.armed
        state.armed = None
        self.states.save(state)
        detail = (f"done flag {arrival.marks[0].uri}" if trigger.done_flag
                  else f"{len(arrival.files)} new object(s)")
        run_trigger = Trigger(kind="data", scheduled=_iso(scheduled) if scheduled else None,
                              files=arrival.files[:MAX_FILES_RECORDED], files_total=len(arrival.files),
                              detail=detail)
        return [self._start(spec, state, run_trigger)]

    # --- running -------------------------------------------------------------------------

    def _start(self, spec: PipelineSpec, state: PipelineState, trigger: Trigger,
               resume: str | None = None) -> Fired:
        assert self.run is not None
        scheduled = datetime.fromisoformat(trigger.scheduled) if trigger.scheduled else None
        state.running = InFlight(started=self.clock.now(), trigger=trigger.kind, scheduled=scheduled)
        self.states.save(state)
        log.info("%s: starting run (%s%s)", spec.name, trigger.kind,
                 f", scheduled {trigger.scheduled}" if trigger.scheduled else "")
        fired = Fired(spec.name, trigger, "succeeded")
        try:
            record = self.run(spec, trigger, resume, self.stopping)
            fired.run_id = record.run_id
        except WorkspaceBusy as exc:  # a manual run holds the lock: this fire is skipped
            fired.outcome, fired.error = "busy", exc.one_line()
        except RunStopped as exc:
            fired.outcome, fired.error, fired.run_id = "stopped", exc.one_line(), exc.run_id
        except SparkwingError as exc:
            fired.outcome, fired.error = "failed", exc.one_line()
        if fired.run_id is None and fired.outcome != "busy":
            fired.run_id = self._newest_run_id(spec.name)
        # A run stopped on request stays in flight: the next scheduler resumes it (on_interrupted).
        state.running = state.running.model_copy(update={"run_id": fired.run_id}) \
            if fired.outcome == "stopped" and state.running is not None else None
        state.last_run_id = fired.run_id or state.last_run_id
        state.last_outcome = fired.outcome  # type: ignore[assignment]
        state.last_error = fired.error
        state.last_finished = self.clock.now()
        self.states.save(state)
        log.info("%s: run %s %s%s", spec.name, fired.run_id, fired.outcome,
                 f": {fired.error}" if fired.error else "")
        return fired

    def _newest_run_id(self, pipeline: str) -> str | None:
        newest = self.runs.list(pipeline, limit=1)
        return newest[0].run_id if newest else None

    def _recover(self, spec: PipelineSpec, state: PipelineState) -> Fired:
        """The previous scheduler died while a run was going: resume it or mark it failed."""
        assert spec.schedule is not None and state.running is not None
        flight = state.running
        # The run stopped on request, else the newest run if it is still marked running (a
        # live manual run would hold the lock: resuming it is refused as busy).
        if flight.run_id is not None:
            record = next((r for r in self.runs.list(spec.name, limit=20)
                           if r.run_id == flight.run_id and r.status != "succeeded"), None)
        else:
            record = next((r for r in self.runs.list(spec.name, limit=1) if r.status == "running"), None)
        trigger = Trigger(kind="retry", scheduled=_iso(flight.scheduled) if flight.scheduled else None,
                          detail="the scheduler stopped during this run")
        if record is None:  # it never got a record (died before), or it ended after all
            state.running = None
            state.last_outcome = "interrupted"
            self.states.save(state)
            return Fired(spec.name, trigger, "interrupted")
        if spec.schedule.on_interrupted == "resume" and record.spec_hash == spec.spec_hash:
            return self._start(spec, state, trigger, resume=record.run_id)
        record.status = "failed"
        record.error = "interrupted: the scheduler running it stopped (on_interrupted: fail)"
        record.error_code = "interrupted"
        record.note("marked failed by the scheduler after a restart")
        self.runs.save(record)
        state.running = None
        state.last_run_id, state.last_outcome, state.last_error = record.run_id, "interrupted", record.error
        self.states.save(state)
        return Fired(spec.name, trigger, "interrupted", run_id=record.run_id, error=record.error)

    def _run_pipeline(self, spec: PipelineSpec, trigger: Trigger, resume: str | None,
                      stop: Callable[[], bool]) -> RunRecord:
        spec = self._with_day(spec, trigger)
        return run_pipeline(spec, self.settings, resume=resume, trigger=trigger, stop=stop,
                            stop_engine=False)  # one SparkSession serves every run of the process

    @staticmethod
    def _with_day(spec: PipelineSpec, trigger: Trigger) -> PipelineSpec:
        """A spec with a date parameter ``ds`` runs with the scheduled day (in the schedule's zone)."""
        declared = spec.params.get("ds")
        if declared is None or declared.type != "date" or not trigger.scheduled or spec._path is None:
            return spec
        assert spec.schedule is not None
        day = datetime.fromisoformat(trigger.scheduled).astimezone(spec.schedule.tz).date()
        return load_spec(spec._path, {"ds": day.isoformat()})

    # --- reporting -----------------------------------------------------------------------

    def next_fires(self, spec: PipelineSpec, count: int = 3) -> list[datetime]:
        if spec.schedule is None or not spec.schedule.cron:
            return []
        return CronSchedule(spec.schedule.cron, spec.schedule.timezone).upcoming(self.clock.now(), count)


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()
