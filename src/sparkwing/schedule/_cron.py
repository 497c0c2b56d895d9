"""Cron fire times in a timezone, with wall-clock semantics across DST changes.

A cron expression names *local wall times*.  Two DST cases need a rule:

- a wall time skipped by spring-forward (02:30 on a night that jumps 02:00 → 03:00) fires at
  the end of the gap (03:00), once however many skipped times map there;
- a wall time that occurs twice on fall-back (01:30 on a night that repeats 01:00–02:00) fires
  once, at its first occurrence.

So a daily 02:30 job runs every day exactly once, which is what users of cron expect.
All instants handed in and out are timezone-aware; state is kept in UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from croniter import croniter

UTC = timezone.utc

_MAX_GAP_MINUTES = 24 * 60  # no zone skips more than a day (Samoa 2011 skipped exactly one)


def _valid(naive: datetime, tz: ZoneInfo) -> bool:
    aware = naive.replace(tzinfo=tz)
    return aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == naive


def instant_of(naive: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant of a local wall time: the first occurrence of a repeated one, the end of
    the gap for a skipped one.

    >>> paris = ZoneInfo("Europe/Paris")
    >>> instant_of(datetime(2026, 3, 29, 2, 30), paris).isoformat()  # skipped: 03:00 CEST
    '2026-03-29T01:00:00+00:00'
    >>> instant_of(datetime(2026, 10, 25, 2, 30), paris).isoformat()  # repeated: the CEST one
    '2026-10-25T00:30:00+00:00'
    """
    if not _valid(naive, tz):
        probe = naive.replace(second=0, microsecond=0)
        for _ in range(_MAX_GAP_MINUTES):
            probe += timedelta(minutes=1)
            if _valid(probe, tz):
                naive = probe
                break
    return naive.replace(tzinfo=tz, fold=0).astimezone(UTC)


class CronSchedule:
    """A five-field cron expression read in an IANA timezone.

    >>> s = CronSchedule("0 2 * * *", "Europe/Paris")
    >>> s.next_after(datetime(2026, 11, 30, 12, 0, tzinfo=UTC)).isoformat()
    '2026-12-01T01:00:00+00:00'
    """

    def __init__(self, expr: str, timezone: str = "UTC") -> None:
        self.expr = expr
        self.tz = ZoneInfo(timezone)

    def _local(self, instant: datetime) -> datetime:
        return instant.astimezone(self.tz).replace(tzinfo=None)

    def _forward(self, after: datetime) -> Iterator[datetime]:
        it = croniter(self.expr, self._local(after))
        while True:
            yield instant_of(it.get_next(datetime), self.tz)

    def next_after(self, after: datetime) -> datetime:
        """The first fire strictly after ``after`` (an aware instant), in UTC."""
        for fire in self._forward(after):
            if fire > after:
                return fire
        raise AssertionError("unreachable")  # pragma: no cover - croniter iterates forever

    def upcoming(self, after: datetime, count: int) -> list[datetime]:
        """The next ``count`` fires after ``after``."""
        out: list[datetime] = []
        at = after
        while len(out) < count:
            at = self.next_after(at)
            out.append(at)
        return out

    def latest_fires(self, after: datetime, until: datetime, limit: int) -> tuple[list[datetime], bool]:
        """Up to ``limit`` newest fires in ``(after, until]``, oldest first, and whether older
        ones in that window were left out.

        Walks backwards from ``until``, so a scheduler that was down for a year with a
        per-minute cron costs ``limit`` steps, not half a million.
        """
        it = croniter(self.expr, self._local(until) + timedelta(microseconds=1))
        found: list[datetime] = []
        while True:
            fire = instant_of(it.get_prev(datetime), self.tz)
            if fire > until:
                continue  # a repeated hour's second wall time mapped back: not yet due
            if fire <= after:
                return sorted(found), False
            if fire not in found:
                if len(found) == limit:
                    return sorted(found), True
                found.append(fire)
