"""Score one file with a model, choosing the scorer: pure-Python MOJO or Spark.

This is the policy behind ``sparkwing predict``; the CLI only reports what happened.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sparkwing.registry import Registry

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

Engine = Literal["python", "spark"]


@dataclass(frozen=True)
class Prediction:
    """What scoring a file did: rows written, with which scorer, with which model, to where."""

    rows: int
    engine: Engine
    model: str
    output: Path


def predict(
    model: str,
    input_path: str | Path,
    output_path: str | Path,
    *,
    registry: Registry,
    spark: Callable[[], SparkSession],
) -> Prediction:
    """Score ``input_path`` into ``output_path`` with ``model`` (a registry reference or a MOJO file).

    A MOJO file is scored in pure Python (:mod:`sparkwing.mojo`); a registry reference with
    Spark (``spark()`` is called only then, so no JVM starts otherwise).
    """
    src, dst = Path(input_path), Path(output_path)
    if Path(model).is_file():
        from sparkwing import mojo

        rows = mojo.predict_csv(mojo.load(model), src, dst)
        return Prediction(rows, "python", model, dst)
    from sparkwing.score._files import predict_file

    version = registry.get(model)
    rows = predict_file(spark(), version, src, dst)
    return Prediction(rows, "spark", f"{version.name}@{version.version}", dst)
