"""A finished run's figures into the workspace's Prometheus text file (``sparkwing.monitor``)."""

from __future__ import annotations

import datetime as dt
import logging

from sparkwing.monitor import RunSample, StepSample, record_run
from sparkwing.pipeline._details import ModelDetails, ScoreDetails
from sparkwing.pipeline._record import RunRecord
from sparkwing.workspace import Workspace

log = logging.getLogger("sparkwing.pipeline")


def run_sample(record: RunRecord) -> RunSample:
    """What the metrics file keeps of ``record``: durations, rows, quarantine, checks, model figures."""
    steps = []
    for s in record.steps.values():
        details = s.details
        steps.append(StepSample(
            step=s.name, kind=s.kind, outcome=s.status, seconds=s.seconds, rows_in=s.rows_in,
            rows_out=s.rows_out, rows_quarantined=s.rows_quarantined,
            checks_failed=sum(1 for c in s.checks if c.get("passed") is False),
            model_metrics=dict(details.metrics) if isinstance(details, ModelDetails) else {},
            drift_max_psi=(details.drift.max_psi
                           if isinstance(details, ScoreDetails) and details.drift else None),
        ))
    now = dt.datetime.now(dt.timezone.utc)
    finished = dt.datetime.fromisoformat(record.finished) if record.finished else now
    return RunSample(pipeline=record.pipeline, outcome=record.status, seconds=record.seconds or 0.0,
                     finished=finished.timestamp(), steps=steps)


def write_run_metrics(workspace: Workspace, record: RunRecord) -> None:
    """Best effort: a metrics file that cannot be written never fails the run (it is logged)."""
    try:
        uri = record_run(workspace, run_sample(record))
    except Exception as exc:  # noqa: BLE001 - the run's own outcome wins over its metrics
        log.warning("could not write the pipeline metrics: %s", exc)
        return
    log.debug("metrics of run %s in %s", record.run_id, uri)
