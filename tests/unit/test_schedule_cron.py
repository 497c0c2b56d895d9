"""Cron fire times across DST changes, and the `schedule:` section's validation."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from sparkwing.config import RetryPolicy, parse_spec
from sparkwing.errors import ConfigError
from sparkwing.schedule import CronSchedule

UTC = timezone.utc

PARIS = "Europe/Paris"  # DST 2026: 29 March 02:00 -> 03:00, 25 October 03:00 -> 02:00


def _local(fires, tz):
    return [f.astimezone(tz).strftime("%m-%d %H:%M%z") for f in fires]


def test_daily_fire_in_a_spring_forward_gap_runs_once_at_the_end_of_the_gap() -> None:
    s = CronSchedule("30 2 * * *", PARIS)
    fires = s.upcoming(datetime(2026, 3, 27, tzinfo=UTC), 4)
    assert _local(fires, s.tz) == ["03-27 02:30+0100", "03-28 02:30+0100", "03-29 03:00+0200",
                                   "03-30 02:30+0200"]


def test_daily_fire_in_a_repeated_hour_runs_once_at_its_first_occurrence() -> None:
    s = CronSchedule("30 2 * * *", PARIS)
    fires = s.upcoming(datetime(2026, 10, 24, tzinfo=UTC), 2)
    assert _local(fires, s.tz) == ["10-24 02:30+0200", "10-25 02:30+0200"]
    assert fires[1] == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_hourly_fires_never_repeat_a_wall_time_and_skip_nothing_but_the_gap() -> None:
    s = CronSchedule("0 * * * *", PARIS)
    back = s.upcoming(datetime(2026, 10, 24, 22, 30, tzinfo=UTC), 4)
    assert _local(back, s.tz) == ["10-25 01:00+0200", "10-25 02:00+0200", "10-25 03:00+0100",
                                  "10-25 04:00+0100"]
    forward = s.upcoming(datetime(2026, 3, 28, 23, 30, tzinfo=UTC), 3)
    assert _local(forward, s.tz) == ["03-29 01:00+0100", "03-29 03:00+0200", "03-29 04:00+0200"]
    assert len(set(back)) == len(back) and sorted(back) == back


def test_latest_fires_walks_back_a_bounded_number_of_steps() -> None:
    s = CronSchedule("* * * * *")
    fires, more = s.latest_fires(datetime(2020, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC), 5)
    assert more and len(fires) == 5 and fires[-1] == datetime(2026, 1, 1, tzinfo=UTC)
    after, until = datetime(2026, 1, 1, 0, 57, tzinfo=UTC), datetime(2026, 1, 1, 1, 0, tzinfo=UTC)
    fires, more = s.latest_fires(after, until, 5)
    assert not more and [f.minute for f in fires] == [58, 59, 0]


def test_latest_fires_matches_forward_iteration_across_fall_back() -> None:
    s = CronSchedule("*/20 * * * *", PARIS)
    start, end = datetime(2026, 10, 24, 22, 0, tzinfo=UTC), datetime(2026, 10, 25, 3, 0, tzinfo=UTC)
    forward = [f for f in s.upcoming(start, 30) if f <= end]
    back, more = s.latest_fires(start, end, 100)
    assert back == forward and not more


SPEC = "name: p\nsources:\n  a: {{uri: a.csv}}\nschedule:\n{schedule}"


def _problems(schedule: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_spec(SPEC.format(schedule=schedule), filename="p.yaml")
    return [str(p) for p in info.value.problems]


def test_a_bad_cron_names_the_file_line_and_path() -> None:
    assert _problems("  cron: '61 2 * * *'\n") == [
        "p.yaml:5: schedule.cron: '61 2 * * *' is not a valid cron expression: "
        + _problems("  cron: '61 2 * * *'\n")[0].split("expression: ", 1)[1]
    ]
    assert _problems("  cron: '0 2 * *'\n")[0].startswith("p.yaml:5: schedule.cron: '0 2 * *' has 4 fields")


@pytest.mark.parametrize("schedule, expected", [
    ("  cron: '0 2 * * *'\n  timezone: Mars/Olympus\n", "schedule.timezone: 'Mars/Olympus' is not an IANA"),
    ("  catch_up: some\n  cron: '0 2 * * *'\n", "schedule.catch_up: Input should be 'none', 'last' or 'all'"),
    ("  timezone: UTC\n", "schedule: a schedule needs `cron`, `on_data`, or both"),
    ("  cron: '0 2 * * *'\n  retries: {max: -1}\n", "schedule.retries.max: Input should be greater"),
    ("  cron: '0 2 * * *'\n  step_retries: {nope: {max: 1}}\n", "unknown step(s) ['nope']"),
    ("  on_data: {uri: 'x/${YEAR}/${WEEK}'}\n  cron: '0 2 * * *'\n", "unknown placeholder(s) ['WEEK']"),
    ("  on_data: {uri: 'x/${YEAR}'}\n", "needs a `cron` giving the day"),
])
def test_schedule_problems_are_reported_with_their_path(schedule: str, expected: str) -> None:
    assert any(expected in p for p in _problems(schedule)), _problems(schedule)


def test_a_full_schedule_parses_with_step_overrides() -> None:
    spec = parse_spec(SPEC.format(schedule=(
        "  cron: '0 2 * * *'\n  timezone: Europe/Paris\n  catch_up: all\n  max_catch_up: 3\n"
        "  retries: {max: 2, backoff_seconds: 5}\n  step_retries: {a: {max: 0}}\n"
        "  on_data: {uri: 's3://lake/drops/${YEAR}/${MONTH}/${DAY}', done_flag: _SUCCESS,\n"
        "            timeout_minutes: 360}\n"
    )))
    sched = spec.schedule
    assert sched is not None and sched.retry_policy("a").max == 0 and sched.retry_policy("b").max == 2
    assert sched.on_data is not None and sched.on_data.uri_for(datetime(2026, 3, 9)) == "s3://lake/drops/2026/03/09"
    assert RetryPolicy(backoff_seconds=30, max_backoff_seconds=100).delay(5) == 100
