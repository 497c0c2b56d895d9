"""Orchestration: the step graph runner, run records and locks."""

from sparkwing.pipeline._details import (
    DatasetDetails,
    FeaturesDetails,
    Fingerprint,
    ModelDetails,
    PrepStepStats,
    ScoreDetails,
    SourceDetails,
    StepDetails,
    TableDetails,
)
from sparkwing.pipeline._lock import LockInfo, PipelineLock
from sparkwing.pipeline._progress import LogReporter, Reporter
from sparkwing.pipeline._record import FailedTry, FlowLink, RunRecord, RunStore, StepRecord, Trigger
from sparkwing.pipeline._runner import run_pipeline

__all__ = [
    "DatasetDetails",
    "FailedTry",
    "FeaturesDetails",
    "Fingerprint",
    "FlowLink",
    "LockInfo",
    "LogReporter",
    "ModelDetails",
    "PipelineLock",
    "PrepStepStats",
    "Reporter",
    "RunRecord",
    "RunStore",
    "ScoreDetails",
    "SourceDetails",
    "StepDetails",
    "StepRecord",
    "TableDetails",
    "Trigger",
    "run_pipeline",
]
