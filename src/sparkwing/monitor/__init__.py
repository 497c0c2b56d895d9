"""Watching models and pipelines run: drift against the training profile, pipeline metrics.

- Drift: :func:`profile_dataframe` summarises the training data when a model is trained (it
  goes into the card's ``profile``); every batch score and the REST service bucket what they
  score the same way (:func:`count_dataframe`, :func:`count_columns`) and :func:`compare` turns
  the counts into a :class:`DriftReport` (PSI per feature, null-share change, unseen levels,
  prediction shift).  :class:`DriftLog` keeps the reports for ``sparkwing models drift``.
- Metrics: :func:`record_run` folds a finished run into ``<workspace>/metrics/sparkwing.prom``
  (Prometheus text format; :data:`METRICS` lists the names).

Nothing here imports pyspark at import time: the REST service uses the pure-Python half.
"""

from sparkwing.monitor._count import count_columns, count_values, domains_of, profile_columns
from sparkwing.monitor._drift import (
    EPS,
    ColumnCounts,
    DriftReport,
    FeatureDrift,
    ProfileCounts,
    column_drift,
    compare,
    psi,
)
from sparkwing.monitor._log import DriftLog
from sparkwing.monitor._metrics import FILE, METRICS, RunSample, StepSample, metrics_uri, record_run
from sparkwing.monitor._spark import count_dataframe, kind_of, profile_dataframe

__all__ = [
    "EPS",
    "FILE",
    "METRICS",
    "ColumnCounts",
    "DriftLog",
    "DriftReport",
    "FeatureDrift",
    "ProfileCounts",
    "RunSample",
    "StepSample",
    "column_drift",
    "compare",
    "count_columns",
    "count_dataframe",
    "count_values",
    "domains_of",
    "kind_of",
    "metrics_uri",
    "profile_columns",
    "profile_dataframe",
    "psi",
    "record_run",
]
