"""`backfill --parallel N`: at most N runs at once, a failure starts no new date while the runs
going finish, resumable; refused on the embedded Derby metastore and for incremental sources.
The runs here are a stand-in (threads, no JVM); tests/integration/test_backfill_processes.py
runs real child processes on a PostgreSQL metastore."""

from __future__ import annotations

import threading
import time
from datetime import date
from pathlib import Path

import pytest

from sparkwing.config import load_settings
from sparkwing.errors import ConfigError, SourceError, WorkspaceBusy
from sparkwing.pipeline import PipelineLock, RunRecord, RunStore
from sparkwing.schedule import run_backfill
from sparkwing.workspace import Workspace

SPEC = """\
name: daily
params:
  ds: {type: date, default: today}
sources:
  raw: {uri: "data/dt=${ds}/", format: csv}
tables:
  sales.daily: {from: raw}
"""


@pytest.fixture()
def spec_path(tmp_path: Path) -> Path:
    path = tmp_path / "daily.yaml"
    path.write_text(SPEC)
    return path


class SlowRuns:
    """Each run takes a little while; counts how many go at once; fails the dates in ``failing``."""

    def __init__(self, workspace: Workspace, failing: set[str] = frozenset(), pause: float = 0.15) -> None:  # type: ignore[assignment]
        self.store = RunStore(workspace)
        self.failing = set(failing)
        self.pause = pause
        self.going = self.most = 0
        self.started: list[tuple[str, str | None]] = []
        self.mutex = threading.Lock()

    def __call__(self, spec, trigger, resume) -> RunRecord:
        ds = spec.param_values["ds"]
        with self.mutex:
            self.started.append((ds, resume))
            run_id = resume or f"r-{ds}-{len(self.started)}"
            self.going += 1
            self.most = max(self.most, self.going)
            failed = ds in self.failing
            self.failing.discard(ds)
        time.sleep(self.pause * (0.2 if failed else 1))  # the failure comes while others still run
        record = RunRecord(run_id=run_id, pipeline=spec.name,
                           spec_hash=spec.spec_hash, status="failed" if failed else "succeeded",
                           trigger=trigger, params=spec.param_values)
        self.store.save(record)
        with self.mutex:
            self.going -= 1
        if failed:
            raise SourceError(f"source 'raw': not found for {ds}")
        return record


def test_parallel_runs_are_bounded_a_failure_starts_no_new_date_and_a_rerun_resumes(
        spec_path: Path, tmp_path: Path) -> None:
    settings = load_settings({"workspace": str(tmp_path / "ws")}, settings_file=None)
    runs = SlowRuns(Workspace.from_settings(settings), failing={"2026-11-02"})
    shown: list[str] = []
    first = run_backfill(spec_path, settings, date(2026, 11, 1), date(2026, 11, 6), parallel=3, run=runs,
                         progress=lambda d: shown.append(d.day))
    # 1, 2, 3 start together; 2 fails first: 1 and 3 finish, 4 to 6 never start.
    assert runs.most == 3
    assert [s[0] for s in runs.started] == ["2026-11-01", "2026-11-02", "2026-11-03"]
    assert [(d.day, d.outcome) for d in first] == [
        ("2026-11-01", "succeeded"), ("2026-11-02", "failed"), ("2026-11-03", "succeeded")]
    assert first[1].error == "source 'raw': not found for 2026-11-02" and first[1].run_id == "r-2026-11-02-2"
    assert shown[0] == "2026-11-02"  # progress in the order the runs end
    again = run_backfill(spec_path, settings, date(2026, 11, 1), date(2026, 11, 6), parallel=2, run=runs)
    assert [(d.day, d.outcome) for d in again] == [
        ("2026-11-01", "skipped"), ("2026-11-02", "succeeded"), ("2026-11-03", "skipped"),
        ("2026-11-04", "succeeded"), ("2026-11-05", "succeeded"), ("2026-11-06", "succeeded")]
    assert ("2026-11-02", "r-2026-11-02-2") in runs.started  # resumed under its run id
    assert runs.most <= 3
    records = RunStore(Workspace.from_settings(settings)).list("daily")
    assert sorted(r.params["ds"] for r in records if r.status == "succeeded") == [
        f"2026-11-0{i}" for i in range(1, 7)]


def test_parallel_child_runs_need_a_metastore_for_many_processes(spec_path: Path, tmp_path: Path) -> None:
    derby = load_settings({"workspace": str(tmp_path / "ws")}, settings_file=None)
    with pytest.raises(ConfigError, match="embedded Derby metastore, which only one process") as info:
        run_backfill(spec_path, derby, date(2026, 11, 1), date(2026, 11, 2), parallel=2)
    assert "metastore.url (PostgreSQL)" in (info.value.hint or "")
    pg = load_settings({"workspace": str(tmp_path / "ws"),
                        "metastore": {"url": "postgresql://hive@127.0.0.1:1/metastore"}}, settings_file=None)
    spec_path.write_text(SPEC.replace('format: csv}', 'format: csv, incremental: true}'))
    with pytest.raises(ConfigError, match=r"incremental source\(s\) raw"):
        run_backfill(spec_path, pg, date(2026, 11, 1), date(2026, 11, 2), parallel=2)
    with pytest.raises(ConfigError, match="give 1 to 16"):
        run_backfill(spec_path, pg, date(2026, 11, 1), date(2026, 11, 2), parallel=17)


def test_a_run_under_a_backfill_checks_the_backfill_holds_the_lock(tmp_path: Path) -> None:
    ws = Workspace(str(tmp_path / "ws"))
    lock = PipelineLock(ws, "daily")
    with pytest.raises(WorkspaceBusy, match="belongs to backfill backfill-1, but nobody holds"):
        lock.check_held_by("backfill-1")
    lock.acquire("backfill-1")
    lock.check_held_by("backfill-1")
    with pytest.raises(WorkspaceBusy, match="but run backfill-1 holds"):
        lock.check_held_by("backfill-2")
    turns = PipelineLock(ws, "daily", "publish")
    turns.acquire("r1")
    released = threading.Timer(0.3, turns.release)
    released.start()
    t0 = time.monotonic()
    turns.wait("r2", poll=0.05)  # waits for r1's turn to end, then takes it
    assert time.monotonic() - t0 >= 0.25 and turns.holder().run_id == "r2"
    with pytest.raises(WorkspaceBusy):
        turns.wait("r3", timeout=0.2, poll=0.05)
