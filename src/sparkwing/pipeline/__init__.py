"""Orchestration: the step graph runner, run records and locks."""

from sparkwing.pipeline._lock import LockInfo, PipelineLock
from sparkwing.pipeline._progress import LogReporter, Reporter
from sparkwing.pipeline._record import RunRecord, RunStore, StepRecord
from sparkwing.pipeline._runner import run_pipeline

__all__ = [
    "LockInfo",
    "LogReporter",
    "PipelineLock",
    "Reporter",
    "RunRecord",
    "RunStore",
    "StepRecord",
    "run_pipeline",
]
