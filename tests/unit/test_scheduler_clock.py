"""The embedded scheduler under a fake clock: a day of fires in milliseconds, catch-up after a
restart, data arrivals that fire once, one scheduler per workspace, recovery after a kill.

Runs are recorded by a stand-in run function (no JVM here); the real run is in
tests/integration/test_scheduler_runs.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from sparkwing.config import load_settings, parse_spec
from sparkwing.errors import WorkspaceBusy
from sparkwing.pipeline import RunRecord, RunStore, Trigger
from sparkwing.schedule import Scheduler, SchedulerLock, StateStore
from sparkwing.workspace import Workspace

UTC = timezone.utc


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.at = start

    def now(self) -> datetime:
        return self.at

    def sleep(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


class Recorder:
    """Stands in for run_pipeline: records the trigger, writes a record, returns it."""

    def __init__(self, workspace: Workspace) -> None:
        self.store = RunStore(workspace)
        self.calls: list[tuple[str, Trigger, str | None]] = []

    def __call__(self, spec, trigger, resume, stop) -> RunRecord:  # noqa: ARG002
        self.calls.append((spec.name, trigger, resume))
        record = RunRecord(run_id=resume or f"r{len(self.calls):04d}", pipeline=spec.name,
                           spec_hash=spec.spec_hash, status="succeeded", trigger=trigger)
        self.store.save(record)
        return record


def _spec(tmp_path: Path, schedule: str, name: str = "nightly"):
    text = f"name: {name}\nsources:\n  a: {{uri: a.csv}}\nschedule:\n{schedule}"
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    spec = parse_spec(text, filename=str(path))
    spec._path = path
    return spec


def _scheduler(tmp_path: Path, spec, clock: FakeClock) -> tuple[Scheduler, Recorder]:
    settings = load_settings({"workspace": str(tmp_path / "ws")}, settings_file=None)
    recorder = Recorder(Workspace.from_settings(settings))
    return Scheduler([spec], settings, clock=clock, run=recorder), recorder


START = datetime(2026, 11, 30, 23, 55, tzinfo=UTC)


def test_a_day_of_hourly_fires_runs_each_once_in_order(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "  cron: '0 * * * *'\n")
    clock = FakeClock(START)
    sched, runs = _scheduler(tmp_path, spec, clock)
    for _ in range(24 * 6):  # a tick every 10 minutes for a day
        sched.tick()
        clock.sleep(600)
    scheduled = [t.scheduled for _, t, _ in runs.calls]
    assert len(scheduled) == 24 and scheduled[0] == "2026-12-01T00:00:00+00:00"
    assert scheduled == sorted(set(scheduled)) and {t.kind for _, t, _ in runs.calls} == {"cron"}
    state = StateStore(sched.workspace).load("nightly")
    assert state is not None and state.last_outcome == "succeeded" and state.missed == 0


@pytest.mark.parametrize("policy, expected", [("none", 0), ("last", 1), ("all", 3)])
def test_catch_up_after_the_scheduler_was_down(tmp_path: Path, policy: str, expected: int) -> None:
    spec = _spec(tmp_path, f"  cron: '0 * * * *'\n  catch_up: {policy}\n  max_catch_up: 3\n")
    clock = FakeClock(START)
    first, runs = _scheduler(tmp_path, spec, clock)
    first.tick()  # remembers "now" as the last fire handled
    clock.sleep(5 * 3600 + 600)  # down for six fires (00:00 to 05:00), back at 05:05
    again, runs = _scheduler(tmp_path, spec, clock)  # a restart: state comes from the workspace
    again.tick()
    got = [t.scheduled for _, t, _ in runs.calls]
    assert len(got) == expected
    if policy == "all":
        assert got == ["2026-12-01T03:00:00+00:00", "2026-12-01T04:00:00+00:00", "2026-12-01T05:00:00+00:00"]
        assert runs.calls[0][1].detail == "catch-up 1 of 3"
    again.tick()
    assert len(runs.calls) == expected  # nothing fires twice


def test_catch_up_none_still_runs_a_fire_that_is_only_a_little_late(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "  cron: '0 0 * * *'\n  catch_up: none\n")
    clock = FakeClock(START)
    sched, runs = _scheduler(tmp_path, spec, clock)
    sched.tick()
    clock.sleep(5 * 60 + 30)  # the tick comes 30 s after midnight
    sched.tick()
    assert [t.scheduled for _, t, _ in runs.calls] == ["2026-12-01T00:00:00+00:00"]


def test_new_files_fire_once_after_they_settle(tmp_path: Path) -> None:
    drops = tmp_path / "drops"
    drops.mkdir()
    spec = _spec(tmp_path, f"  on_data: {{uri: '{drops}', settle_seconds: 60}}\n")
    now = datetime.now(UTC).replace(microsecond=0)
    clock = FakeClock(now)
    sched, runs = _scheduler(tmp_path, spec, clock)
    assert sched.tick() == []
    part = drops / "part-1.csv"
    part.write_text("id\n1\n")
    os.utime(part, (now.timestamp(), now.timestamp()))
    (drops / "_tmp.crc").write_text("x")  # hidden files never count
    clock.sleep(30)
    assert sched.tick() == []  # not settled yet
    clock.sleep(31)
    fired = sched.tick()
    assert [f.trigger.kind for f in fired] == ["data"] and fired[0].trigger.files == [str(part)]
    clock.sleep(600)
    assert sched.tick() == []  # the same file never fires twice
    second = drops / "part-2.csv"
    second.write_text("id\n2\n")
    os.utime(second, (clock.now().timestamp(), clock.now().timestamp()))
    clock.sleep(61)
    fired = sched.tick()
    assert len(fired) == 1 and fired[0].trigger.files == [str(second)]
    again, runs2 = _scheduler(tmp_path, spec, clock)  # after a restart: still not twice
    assert again.tick() == []


def test_cron_with_a_done_flag_waits_for_the_data_then_times_out_the_next_day(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    spec = _spec(tmp_path, (
        f"  cron: '0 2 * * *'\n  on_data: {{uri: '{lake}/${{YEAR}}/${{MONTH}}/${{DAY}}', "
        "done_flag: _SUCCESS, timeout_minutes: 120}\n"))
    clock = FakeClock(datetime(2026, 12, 1, 1, 0, tzinfo=UTC))
    sched, runs = _scheduler(tmp_path, spec, clock)
    sched.tick()
    clock.sleep(3600 + 60)  # 02:01: armed, no data yet
    assert sched.tick() == []
    day = lake / "2026" / "12" / "01"
    day.mkdir(parents=True)
    (day / "part-0.csv").write_text("id\n1\n")
    clock.sleep(600)
    assert sched.tick() == []  # data without its done flag is not ready
    (day / "_SUCCESS").write_text("")
    clock.sleep(60)
    fired = sched.tick()
    assert len(fired) == 1 and fired[0].trigger.kind == "data"
    assert fired[0].trigger.scheduled == "2026-12-01T02:00:00+00:00"
    assert fired[0].trigger.files == [str(day / "part-0.csv")]
    clock.sleep(3600)
    assert sched.tick() == []
    clock.at = datetime(2026, 12, 2, 4, 30, tzinfo=UTC)  # next day's data never came
    assert sched.tick() == []
    state = StateStore(sched.workspace).load("nightly")
    assert state is not None and state.last_outcome == "timeout" and state.armed is None


def test_one_scheduler_per_workspace_and_a_killed_one_is_taken_over(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    now = datetime.now(UTC)
    first = SchedulerLock(ws)
    first.acquire(now)
    with pytest.raises(WorkspaceBusy, match="a scheduler already runs on this workspace"):
        SchedulerLock(ws).acquire(now)
    first.release()
    # A scheduler killed with SIGKILL leaves its file behind; its pid is gone.
    child = subprocess.Popen([sys.executable, "-c",
                              "import sys; sys.path[:0] = sys.argv[2:3]\n"
                              "from datetime import datetime, timezone\n"
                              "from sparkwing.schedule import SchedulerLock\n"
                              "from sparkwing.workspace import Workspace\n"
                              "SchedulerLock(Workspace(sys.argv[1])).acquire(datetime.now(timezone.utc))\n"
                              "import os, signal; os.kill(os.getpid(), signal.SIGKILL)\n",
                              str(tmp_path / "ws"), str(Path(__file__).resolve().parents[2] / "src")])
    child.wait(timeout=60)
    left = SchedulerLock(ws).holder()
    assert left is not None and left.pid == child.pid
    again = SchedulerLock(ws)
    again.acquire(datetime.now(UTC))
    assert again.took_over is not None and again.took_over.pid == child.pid
    again.release()
    assert SchedulerLock(ws).holder() is None


@pytest.mark.parametrize("policy", ["resume", "fail"])
def test_a_run_left_running_by_a_killed_scheduler_is_resumed_or_failed(tmp_path: Path, policy: str) -> None:
    spec = _spec(tmp_path, f"  cron: '0 2 * * *'\n  on_interrupted: {policy}\n")
    clock = FakeClock(START)
    sched, runs = _scheduler(tmp_path, spec, clock)
    sched.tick()
    # What a SIGKILL mid-run leaves: the state's in-flight mark and a record still "running".
    state = StateStore(sched.workspace).load("nightly")
    assert state is not None
    from sparkwing.schedule._state import InFlight

    state.running = InFlight(started=clock.now(), trigger="cron")
    StateStore(sched.workspace).save(state)
    RunStore(sched.workspace).save(RunRecord(run_id="20261130T235500Z-dead", pipeline="nightly",
                                             spec_hash=spec.spec_hash, status="running"))
    again, runs = _scheduler(tmp_path, spec, clock)
    fired = again.tick()
    assert [f.outcome for f in fired] == (["succeeded"] if policy == "resume" else ["interrupted"])
    if policy == "resume":
        assert runs.calls == [("nightly", runs.calls[0][1], "20261130T235500Z-dead")]
        assert runs.calls[0][1].kind == "retry"
    else:
        assert runs.calls == []
        record = RunStore(again.workspace).load("nightly", "20261130T235500Z-dead")
        assert record.status == "failed" and record.error_code == "interrupted"
    assert StateStore(again.workspace).load("nightly").running is None


def test_a_run_stopped_by_sigterm_is_resumed_by_the_next_scheduler(tmp_path: Path) -> None:
    from sparkwing.errors import RunStopped

    spec = _spec(tmp_path, "  cron: '0 * * * *'\n")
    clock = FakeClock(START)
    sched, runs = _scheduler(tmp_path, spec, clock)
    sched.tick()
    clock.sleep(600)

    def stopped(spec_, trigger, resume, stop):  # noqa: ARG001
        RunStore(sched.workspace).save(RunRecord(run_id="r-stopped", pipeline=spec_.name,
                                                 spec_hash=spec_.spec_hash, status="failed"))
        sched.stop_event.set()
        raise RunStopped("run r-stopped stopped before step 'a'", run_id="r-stopped")

    sched.run = stopped
    assert [f.outcome for f in sched.tick()] == ["stopped"]
    state = StateStore(sched.workspace).load("nightly")
    assert state is not None and state.running is not None and state.running.run_id == "r-stopped"
    again, runs = _scheduler(tmp_path, spec, clock)
    fired = again.tick()
    assert [(f.outcome, f.trigger.kind) for f in fired] == [("succeeded", "retry")]
    assert runs.calls[0][2] == "r-stopped"  # resumed under the same run id
    assert StateStore(again.workspace).load("nightly").running is None
