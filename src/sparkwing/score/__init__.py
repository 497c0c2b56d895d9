"""Scoring with registered MOJO models: Spark batches (no H2OContext), or one file in pure Python.

``predict`` is what ``sparkwing predict`` runs: it picks the scorer (``choose_engine``) and
returns a ``Prediction`` with an ``InputReport`` of the values the model could not use.
"""

from sparkwing.score._batch import ScoreResult, output_columns, prob_column, score_batch
from sparkwing.score._drift import batch_drift, prediction_column
from sparkwing.score._files import predict_file
from sparkwing.score._predict import PYTHON_MAX_BYTES, Prediction, choose_engine, predict
from sparkwing.score._report import InputReport

__all__ = [
    "PYTHON_MAX_BYTES",
    "InputReport",
    "Prediction",
    "ScoreResult",
    "batch_drift",
    "choose_engine",
    "output_columns",
    "predict",
    "predict_file",
    "prediction_column",
    "prob_column",
    "score_batch",
]
