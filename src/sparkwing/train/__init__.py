"""H2O training on the run's SparkSession: AutoML, single algorithms, grids, GLRM features."""

from sparkwing.train._glrm import fit_glrm, project_glrm
from sparkwing.train._register import register_result
from sparkwing.train._result import GlrmResult, TrainResult
from sparkwing.train._train import train_model

__all__ = ["GlrmResult", "TrainResult", "fit_glrm", "project_glrm", "register_result", "train_model"]
