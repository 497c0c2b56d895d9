"""Score one file with a model, choosing the scorer: pure-Python MOJO or Spark.

This is the policy behind ``sparkwing predict`` and ``sparkwing mojo predict``; the CLI only
reports what happened.  Both scorers write the same columns with the same names (``--keep``
columns, ``predict``, ``p0``/``p1``/... per class, then ``model_name``/``model_version`` for a
registered model) and report the same :class:`InputReport`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sparkwing.config import SparkScorer
from sparkwing.errors import ScoringError
from sparkwing.registry import Registry
from sparkwing.score._local import score_file_local
from sparkwing.score._report import InputReport

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

Engine = Literal["python", "spark"]
EngineChoice = Literal["auto", "python", "spark"]

#: ``engine="auto"`` scores a local file up to this size in pure Python (no JVM start-up, which
#: costs more than scoring such a file); anything larger, a folder, or a remote URI goes to Spark.
PYTHON_MAX_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Prediction:
    """What scoring a file did: with which scorer and model, to where, and what the input lacked."""

    engine: Engine
    model: str
    output: Path
    report: InputReport
    scorer: SparkScorer | None = None  # what scored on Spark (None: pure Python)

    @property
    def rows(self) -> int:
        return self.report.rows


def choose_engine(input_path: str | Path, engine: EngineChoice = "auto") -> Engine:
    """``python`` for a local file of at most :data:`PYTHON_MAX_BYTES`, else ``spark``."""
    if engine != "auto":
        return engine
    text = str(input_path)
    if "://" in text:
        return "spark"
    path = Path(text)
    if path.is_file() and path.stat().st_size <= PYTHON_MAX_BYTES:
        return "python"
    return "spark" if path.exists() else "python"  # a missing file: the quick path says so


def predict(
    model: str,
    input_path: str | Path,
    output_path: str | Path,
    *,
    registry: Registry | None = None,
    spark: Callable[[], SparkSession] | None = None,
    engine: EngineChoice = "auto",
    keep: Sequence[str] = (),
    strict: bool = False,
    scorer: SparkScorer = "mojo",
) -> Prediction:
    """Score ``input_path`` into ``output_path`` with ``model``: a registry reference
    (``NAME@ALIAS|VERSION``) or a MOJO file.

    A MOJO file is always scored in pure Python; a registry reference as :func:`choose_engine`
    says (``spark()`` is called only when Spark scores, so no JVM starts otherwise).  Values the
    model cannot use (missing features, unseen levels, unparseable numbers) are scored as NA and
    reported; with ``strict`` they are a ``ScoringError`` and nothing is written.  ``scorer``
    says what scores on Spark (see :func:`score_batch`).
    """
    from sparkwing import mojo

    src, dst = Path(input_path), Path(output_path)
    if Path(model).is_file():
        if engine == "spark":
            raise ScoringError("a MOJO file is scored in pure Python", hint="register it to score with Spark")
        label = model
        report = score_file_local(mojo.load(model), src, dst, keep=keep,
                                  strict_label=label if strict else None)
        return Prediction("python", label, dst, report)
    if registry is None:
        raise ScoringError(f"no MOJO file {model!r}, and no registry to look it up in",
                           hint="give a .mojo/.zip file, or a NAME@ALIAS reference with a workspace")
    version = registry.get(model)
    if choose_engine(src, engine) == "python":
        report = score_file_local(
            mojo.load(version.local_mojo()), src, dst, keep=keep,
            tags={"model_name": version.name, "model_version": version.version},
            strict_label=version.ref if strict else None, card=version.card, drift_label=version.ref,
        )
        return Prediction("python", version.ref, dst, report)
    from sparkwing.score._files import score_file_spark

    if spark is None:
        raise ScoringError(f"scoring {src} needs Spark", hint="give a SparkSession factory")
    report = score_file_spark(spark(), version, src, dst, keep=list(keep), allow_missing=True, strict=strict,
                              scorer=scorer)
    return Prediction("spark", version.ref, dst, report, scorer)
