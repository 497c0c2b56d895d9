"""Batch scoring with registered MOJO models on Spark (no H2OContext)."""

from sparkwing.score._batch import ScoreResult, output_columns, prob_column, score_batch
from sparkwing.score._files import predict_file
from sparkwing.score._predict import Prediction, predict

__all__ = [
    "Prediction",
    "ScoreResult",
    "output_columns",
    "predict",
    "predict_file",
    "prob_column",
    "score_batch",
]
