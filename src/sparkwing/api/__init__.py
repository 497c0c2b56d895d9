"""The Python API: every pipeline-spec section as a call (``import sparkwing as sw``).

>>> ws = sw.Workspace("./sparkwing-home")                                   # doctest: +SKIP
>>> raw = sw.read("data/loan.csv", workspace=ws)                            # doctest: +SKIP
>>> clean = sw.prepare(raw.df, [sw.steps.cast(int_rate="double")])          # doctest: +SKIP
>>> sw.publish(clean, "credit.loans_clean", workspace=ws).rows              # doctest: +SKIP

See docs/python.md.  ``prepare``, ``fit`` and ``predict`` are named apart from the packages
``sparkwing.prep``, ``sparkwing.train`` and ``sparkwing.score`` they call.
Importing this package starts no JVM and imports no pyspark.
"""

from sparkwing.api._data import check, predict, prepare, publish, read, table, tables
from sparkwing.api._kinds import Kinds, checks, steps
from sparkwing.api._models import LearnedFeatures, Models, TrainedModel, fit, learn_features, models
from sparkwing.api._pipeline import Pipeline
from sparkwing.api._session import Workspace, h2o, spark

__all__ = [
    "Kinds",
    "LearnedFeatures",
    "Models",
    "Pipeline",
    "TrainedModel",
    "Workspace",
    "check",
    "checks",
    "fit",
    "h2o",
    "learn_features",
    "models",
    "predict",
    "prepare",
    "publish",
    "read",
    "spark",
    "steps",
    "table",
    "tables",
]
