"""How a run reports progress.  The CLI supplies a terminal or plain-log implementation."""

from __future__ import annotations

import logging
from typing import Protocol

from sparkwing.pipeline._record import RunRecord, StepRecord

log = logging.getLogger("sparkwing.pipeline")


class Reporter(Protocol):
    def run_started(self, record: RunRecord, order: list[str]) -> None: ...
    def step_started(self, step: StepRecord) -> None: ...
    def step_finished(self, step: StepRecord) -> None: ...
    def message(self, text: str) -> None: ...
    def run_finished(self, record: RunRecord) -> None: ...


class LogReporter:
    """Plain log lines: for files, CI and anything that is not a terminal."""

    def run_started(self, record: RunRecord, order: list[str]) -> None:
        verb = "resuming" if record.attempts > 1 else "starting"
        log.info("%s run %s of %s (%d steps)", verb, record.run_id, record.pipeline, len(order))

    def step_started(self, step: StepRecord) -> None:
        log.info("step %s (%s) started", step.name, step.kind)

    def step_finished(self, step: StepRecord) -> None:
        rows = f" rows_out={step.rows_out}" if step.rows_out is not None else ""
        q = f" quarantined={step.rows_quarantined}" if step.rows_quarantined else ""
        secs = f" in {step.seconds:.1f}s" if step.seconds is not None else ""
        why = f": {step.reason}" if step.reason else ""
        log.info("step %s %s%s%s%s%s", step.name, step.status, rows, q, secs, why)

    def message(self, text: str) -> None:
        log.info("%s", text)

    def run_finished(self, record: RunRecord) -> None:
        log.info("run %s %s", record.run_id, record.status)
