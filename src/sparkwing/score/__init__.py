"""Batch scoring with registered MOJO models on Spark (no H2OContext)."""

from sparkwing.score._batch import ScoreResult, output_columns, prob_column, score_batch
from sparkwing.score._files import predict_file

__all__ = ["ScoreResult", "output_columns", "predict_file", "prob_column", "score_batch"]
