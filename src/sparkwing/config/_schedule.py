"""The ``schedule:`` section: when a pipeline runs (cron, data arrival) and how it retries.

Pure values and validation (croniter and zoneinfo only); the scheduler that acts on them lives
in ``sparkwing.schedule``.

>>> ScheduleSpec(cron="0 2 * * *", timezone="Europe/Paris").retries.max
0
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadCronError, CroniterBadDateError, croniter
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

CatchUp = Literal["none", "last", "all"]
#: Placeholders of a dated ``on_data`` URI (Oozie's names), filled from the scheduled day.
DATE_PLACEHOLDERS = ("${YEAR}", "${MONTH}", "${DAY}")
_PLACEHOLDER = re.compile(r"\$\{([A-Z]+)\}")


class _Spec(BaseModel):
    # defer_build: each model's validator is built on its first use, so a command (or a service)
    # that never reads a pipeline spec does not pay for building them all at import.
    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)


class RetryPolicy(_Spec):
    """How often a step that failed with a *transient* error is tried again, and how long to wait."""

    max: int = Field(3, ge=0, le=20, description="Retries after the first try (0: never retry).")
    backoff_seconds: float = Field(
        30, ge=0, le=86_400, description="Wait before the first retry; doubled before each next one."
    )
    max_backoff_seconds: float = Field(600, ge=0, le=86_400, description="Upper bound of one wait.")

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1-based): exponential, capped.

        >>> [RetryPolicy(backoff_seconds=30, max_backoff_seconds=100).delay(n) for n in (1, 2, 3)]
        [30.0, 60.0, 100.0]
        """
        return float(min(self.max_backoff_seconds, self.backoff_seconds * 2 ** (retry - 1)))


NO_RETRIES = RetryPolicy(max=0)


class DataTrigger(_Spec):
    """Run when data lands: new settled objects under a prefix, or a done flag in a dated folder."""

    uri: str = Field(
        description="Lake prefix (local path, file:// or s3://) to watch. With `done_flag`, may hold "
        "${YEAR}, ${MONTH}, ${DAY} (the scheduled day in the schedule's timezone)."
    )
    settle_seconds: int = Field(
        60, ge=0, le=86_400,
        description="New objects must be unchanged (last modified) this long before a run starts.",
    )
    done_flag: str | None = Field(
        None, description="Fire when this object (e.g. _SUCCESS) exists under the (dated) folder "
        "instead of on any new object."
    )
    timeout_minutes: int | None = Field(
        None, ge=1, le=10_080,
        description="With `cron`: give up waiting for the data this long after the scheduled time.",
    )

    @field_validator("uri")
    @classmethod
    def _uri(cls, v: str) -> str:
        unknown = sorted({m for m in _PLACEHOLDER.findall(v)} - {"YEAR", "MONTH", "DAY"})
        if unknown:
            raise ValueError(f"unknown placeholder(s) {unknown}; known: ${{YEAR}}, ${{MONTH}}, ${{DAY}}")
        if not v.strip():
            raise ValueError("uri is empty")
        return v

    @property
    def dated(self) -> bool:
        return any(p in self.uri for p in DATE_PLACEHOLDERS)

    def uri_for(self, day: datetime) -> str:
        """``uri`` with the date placeholders of ``day`` filled in."""
        return (self.uri.replace("${YEAR}", f"{day.year:04d}").replace("${MONTH}", f"{day.month:02d}")
                .replace("${DAY}", f"{day.day:02d}"))


class ScheduleSpec(_Spec):
    """When the embedded scheduler (`sparkwing scheduler`) or an exported one runs the pipeline."""

    cron: str | None = Field(
        None, description="Five-field cron expression in `timezone`, e.g. '0 2 * * *' (02:00 daily)."
    )
    timezone: str = Field(
        "UTC", description="IANA timezone of `cron`, e.g. Europe/Paris. A time skipped by a DST change "
        "fires at the end of the gap; a repeated time fires once."
    )
    on_data: DataTrigger | None = Field(
        None, description="Data-arrival trigger; with `cron`, the run waits from the scheduled time "
        "until the data is there (up to `on_data.timeout_minutes`)."
    )
    catch_up: CatchUp = Field(
        "last", description="Fires missed while no scheduler ran: none (skip them), last (run the "
        "newest once), all (run each, oldest first, at most `max_catch_up`)."
    )
    max_catch_up: int = Field(
        10, ge=1, le=1000, description="With catch_up: all, the most missed runs made up."
    )
    retries: RetryPolicy = Field(
        default_factory=lambda: NO_RETRIES.model_copy(),
        description="Retries of steps failing with a transient error (a lost executor, S3 throttling, "
        "an engine start-up timeout); terminal errors are never retried.",
    )
    step_retries: dict[str, RetryPolicy] = Field(
        default_factory=dict, description="Per-step overrides of `retries`, by step name."
    )
    concurrency: Literal[1] = Field(
        1, description="Runs of this pipeline at a time (one: the pipeline lock)."
    )
    on_interrupted: Literal["resume", "fail"] = Field(
        "resume", description="A run left 'running' by a scheduler that died: resume it, or mark it failed."
    )

    @field_validator("cron")
    @classmethod
    def _cron(cls, v: str | None) -> str | None:
        if v is None:
            return v
        fields = v.split()
        if len(fields) != 5:
            raise ValueError(f"{v!r} has {len(fields)} fields; a cron has 5: minute hour day month weekday")
        try:
            croniter(v, datetime(2026, 1, 1)).get_next(datetime)
        except (CroniterBadCronError, CroniterBadDateError, ValueError, KeyError) as exc:
            raise ValueError(f"{v!r} is not a valid cron expression: {exc}") from None
        return " ".join(fields)

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{v!r} is not an IANA timezone name (e.g. UTC, Europe/Paris)") from None
        return v

    @model_validator(mode="after")
    def _trigger(self) -> ScheduleSpec:
        if self.cron is None and self.on_data is None:
            raise ValueError("a schedule needs `cron`, `on_data`, or both")
        if self.on_data is not None and self.on_data.dated and self.cron is None:
            raise ValueError("on_data.uri with ${YEAR}/${MONTH}/${DAY} needs a `cron` giving the day")
        if self.on_data is not None and self.on_data.timeout_minutes and self.cron is None:
            raise ValueError("on_data.timeout_minutes counts from a cron fire: add `cron`")
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def retry_policy(self, step: str) -> RetryPolicy:
        """The retry policy of ``step``: its override, else the pipeline's."""
        return self.step_retries.get(step, self.retries)
