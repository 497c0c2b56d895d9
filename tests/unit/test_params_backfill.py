"""`params:` with typed defaults used as ${name} in the spec; a backfill runs one date after
another, skips done dates, resumes a failed one.  Runs are a stand-in (no JVM)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from sparkwing.config import load_settings, load_spec, parse_assignments
from sparkwing.errors import ConfigError, SourceError
from sparkwing.pipeline import RunRecord, RunStore
from sparkwing.schedule import run_backfill
from sparkwing.workspace import Workspace

SPEC = """\
name: daily
params:
  ds: {type: date, default: today, description: the day to load}
  region: {type: string, default: eu}
sources:
  raw: {uri: "s3://lake/sales/dt=${ds}/${region}/", format: csv}
datasets:
  clean: {from: raw, steps: [{filter: "sale_date = '${ds}'"}]}
tables:
  sales.daily: {from: clean, partition_by: [region]}
"""


@pytest.fixture()
def spec_path(tmp_path: Path) -> Path:
    path = tmp_path / "daily.yaml"
    path.write_text(SPEC)
    return path


def test_params_fill_the_spec_with_defaults_or_given_values(spec_path: Path) -> None:
    today = datetime.now(timezone.utc).date().isoformat()
    spec = load_spec(spec_path)
    assert spec.sources["raw"].uri == f"s3://lake/sales/dt={today}/eu/"
    assert spec.param_values == {"ds": today, "region": "eu"}
    given = load_spec(spec_path, parse_assignments(["ds=2026-11-30", "region=us"]))
    assert given.sources["raw"].uri == "s3://lake/sales/dt=2026-11-30/us/"
    assert "sale_date = '2026-11-30'" in str(given.datasets["clean"].steps[0])
    assert given.spec_hash != spec.spec_hash  # a run's hash says which values it ran with


@pytest.mark.parametrize("given, message", [
    ({"ds": "2026-13-01"}, "parameter ds: '2026-13-01' is not a date"),
    ({"day": "2026-11-30"}, "unknown parameter(s) day"),
    ({"region": "eu\nname: evil"}, "a string parameter is letters, digits"),
])
def test_bad_parameter_values_are_refused(spec_path: Path, given: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_spec(spec_path, given)


def test_a_bad_default_is_a_spec_error_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("name: p\nparams:\n  n: {type: int, default: many}\nsources:\n  a: {uri: a.csv}\n")
    with pytest.raises(ConfigError) as info:
        load_spec(path)
    assert [str(p) for p in info.value.problems] == [f"{path}:3: params.n: 'many' is not an integer"]


class Runs:
    """Stands in for run_pipeline: fails the dates in ``failing`` once each."""

    def __init__(self, workspace: Workspace, failing: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.store = RunStore(workspace)
        self.failing = set(failing)
        self.calls: list[tuple[str, str | None]] = []

    def __call__(self, spec, trigger, resume) -> RunRecord:
        ds = spec.param_values["ds"]
        self.calls.append((ds, resume))
        failed = ds in self.failing
        self.failing.discard(ds)
        record = RunRecord(run_id=resume or f"{ds}-{len(self.calls)}", pipeline=spec.name,
                           spec_hash=spec.spec_hash, status="failed" if failed else "succeeded",
                           trigger=trigger, params=spec.param_values)
        self.store.save(record)
        if failed:
            raise SourceError(f"source 'raw': not found for {ds}")
        return record


def test_a_backfill_runs_each_date_in_order_stops_at_a_failure_and_resumes(spec_path: Path, tmp_path) -> None:
    settings = load_settings({"workspace": str(tmp_path / "ws")}, settings_file=None)
    runs = Runs(Workspace.from_settings(settings), failing={"2026-11-02"})
    first = run_backfill(spec_path, settings, date(2026, 11, 1), date(2026, 11, 3), run=runs)
    assert [(d.day, d.outcome) for d in first] == [("2026-11-01", "succeeded"), ("2026-11-02", "failed")]
    assert first[1].error == "source 'raw': not found for 2026-11-02"
    again = run_backfill(spec_path, settings, date(2026, 11, 1), date(2026, 11, 3), run=runs)
    assert [(d.day, d.outcome) for d in again] == [
        ("2026-11-01", "skipped"), ("2026-11-02", "succeeded"), ("2026-11-03", "succeeded")]
    assert runs.calls == [("2026-11-01", None), ("2026-11-02", None),
                          ("2026-11-02", "2026-11-02-2"), ("2026-11-03", None)]  # resumed, same run id
    records = RunStore(Workspace.from_settings(settings)).list("daily")
    assert {r.trigger.kind for r in records} == {"backfill"}
    forced = run_backfill(spec_path, settings, date(2026, 11, 3), date(2026, 11, 3), run=runs, force=True)
    assert [d.outcome for d in forced] == ["succeeded"] and runs.calls[-1] == ("2026-11-03", None)


def test_a_backfill_needs_a_date_parameter_and_a_sane_range(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("name: p\nsources:\n  a: {uri: a.csv}\n")
    settings = load_settings({"workspace": str(tmp_path / "ws")}, settings_file=None)
    with pytest.raises(ConfigError, match="unknown parameter"):
        run_backfill(path, settings, date(2026, 1, 1), date(2026, 1, 2))
    with pytest.raises(ConfigError, match="is before --from"):
        run_backfill(path, settings, date(2026, 1, 2), date(2026, 1, 1))
    with pytest.raises(ConfigError, match="at most 3660"):
        run_backfill(path, settings, date(2000, 1, 1), date(2026, 1, 1))


def test_a_scheduled_run_gets_the_scheduled_day_as_ds(tmp_path: Path) -> None:
    from sparkwing.pipeline import Trigger
    from sparkwing.schedule import Scheduler

    path = tmp_path / "nightly.yaml"
    path.write_text(SPEC + "schedule: {cron: '30 0 * * *', timezone: Europe/Paris}\n")
    # 00:30 in Paris on 1 December is 23:30 UTC on 30 November: the day is Paris's.
    trigger = Trigger(kind="cron", scheduled="2026-11-30T23:30:00+00:00")
    spec = Scheduler._with_day(load_spec(path), trigger)
    assert spec.param_values["ds"] == "2026-12-01"
    unscheduled = load_spec(path)
    assert Scheduler._with_day(unscheduled, Trigger(kind="data")) is unscheduled  # ds keeps its default
