"""Running pipelines unattended: the embedded scheduler and the cluster-scheduler exporters.

The scheduler acts on cron and data-arrival triggers with catch-up; the exporters hand the
same spec to Oozie, Airflow and EMR through one spark-submit line.
"""

from sparkwing.schedule._backfill import BackfillDay
from sparkwing.schedule._backfill import backfill as run_backfill
from sparkwing.schedule._cron import CronSchedule, instant_of
from sparkwing.schedule._data import Arrival, LakeObject, check_arrival, list_objects
from sparkwing.schedule._emr import emr_configurations, emr_steps, run_job_flow_args, submit_steps
from sparkwing.schedule._export import EXPORTERS
from sparkwing.schedule._package import (
    EmrPackage,
    check_uploaded,
    load_package,
    package_emr,
    upload_package,
)
from sparkwing.schedule._process import SchedulerInfo, SchedulerLock, stop_scheduler
from sparkwing.schedule._scheduler import Clock, Fired, Scheduler, SystemClock
from sparkwing.schedule._state import PipelineState, StateStore
from sparkwing.schedule._submit import Deployment, deployment, submit_argv

__all__ = [
    "EXPORTERS",
    "Arrival",
    "BackfillDay",
    "Clock",
    "CronSchedule",
    "Deployment",
    "EmrPackage",
    "Fired",
    "LakeObject",
    "PipelineState",
    "Scheduler",
    "SchedulerInfo",
    "SchedulerLock",
    "StateStore",
    "SystemClock",
    "check_arrival",
    "check_uploaded",
    "deployment",
    "emr_configurations",
    "emr_steps",
    "instant_of",
    "list_objects",
    "load_package",
    "package_emr",
    "run_backfill",
    "run_job_flow_args",
    "stop_scheduler",
    "submit_argv",
    "submit_steps",
    "upload_package",
]
