"""Batch scoring with a registered MOJO in plain Spark (no H2OContext, no H2O cluster)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sparkwing.config import SparkScorer
from sparkwing.errors import ScoringError, java_cause
from sparkwing.mojo import class_column
from sparkwing.registry import Feature, ModelCard, ModelVersion
from sparkwing.score._mojo_spark import score_with_mojo
from sparkwing.score._report import EXAMPLES

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

RAW = ("prediction", "detailed_prediction")
# Characters Parquet (and so a Spark table) cannot hold in a column name.
_NOT_IN_PARQUET = re.compile(r"[ ,;{}()\n\t=]")


@dataclass
class ScoreResult:
    """Scored rows plus what the run record reports about the input."""

    df: DataFrame
    rows: int
    unseen_levels: dict[str, int] = field(default_factory=dict)
    missing_features: list[str] = field(default_factory=list)
    unparseable: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)
    scorer: SparkScorer = "mojo"


def output_columns(card: ModelCard) -> list[str]:
    """The prediction columns a model adds: ``predict`` and one per class (and a calibrated model's
    ``cal_`` one per class), or ``predict`` alone."""
    classes = card.classes or []
    if card.task == "regression":
        return ["predict"]
    calibrated = [f"cal_{prob_column(c)}" for c in classes] if card.selection.calibration != "none" else []
    return ["predict", *[prob_column(c) for c in classes], *calibrated]


def prob_column(cls: str) -> str:
    """A class's probability column: H2O's name (``"1"`` -> ``p1``, as MOJO, Java and REST name
    it), with characters a Parquet column name cannot hold replaced by ``_``."""
    return _NOT_IN_PARQUET.sub("_", class_column(str(cls)))


def score_batch(
    spark: SparkSession,
    df: DataFrame,
    version: ModelVersion,
    *,
    allow_missing: bool = False,
    scorer: SparkScorer = "mojo",
) -> ScoreResult:
    """Add ``predict`` (label or value), one probability per class (:func:`prob_column`: ``p0``,
    ``p1``, ...), ``model_name``, ``model_version``.

    Extra columns pass through; a missing feature is an error (or all-NA with ``allow_missing``);
    unseen categorical levels and values that do not parse as the feature's type score as NA,
    as H2O does, and are counted per column (with the first few values as examples).

    ``scorer``: ``mojo`` scores with ``sparkwing.mojo`` in the executors' Python workers (no
    Sparkling Water jar, no H2O classes); ``h2o`` with Sparkling Water's ``H2OMOJOModel`` on the
    JVM.  Both give the same columns and the same numbers.

    >>> result = score_batch(spark, df, Registry(ws).get("loan_default@production"))  # doctest: +SKIP
    >>> result.df.select("predict", "p1").show()                                      # doctest: +SKIP
    """
    from pyspark.sql import functions as F

    card = version.card
    features = card.features
    if not features:
        raise ScoringError(
            f"{version.ref} has no feature list in its card", hint="register it with sparkwing"
        )
    if card.task == "glrm":
        raise ScoringError(f"{version.ref} is a GLRM model: it has no predictions to score",
                           hint="a glrm prep step adds its archetype columns to a dataset")
    outputs = [*output_columns(card), "model_name", "model_version"]
    clash = [c for c in outputs if c in df.columns]
    if clash:
        raise ScoringError(f"input already has column(s) {clash} that scoring adds",
                           hint="drop or rename them before scoring")
    missing = [f.name for f in features if f.name not in df.columns]
    if missing and not allow_missing:
        raise ScoringError(
            f"input lacks feature(s) of {version.ref}: {', '.join(missing)}",
            hint="add them, or set allow_missing: true to score them as NA",
        )
    original = df.columns
    rows, unseen, unparseable, examples = _input_stats(df, features, missing)
    df = _align(df, features, missing)
    if scorer == "mojo":
        predicted = output_columns(card)
        scored = score_with_mojo(spark, df, version, predicted)
        prediction = [F.col(f"`{c}`") for c in predicted]
    elif scorer == "h2o":
        model = _load(version)
        try:
            scored = model.transform(df)
        except Exception as exc:
            raise ScoringError(f"scoring with {version.ref} failed: {java_cause(exc)}",
                               hint="check the input's column types against the card") from exc
        prediction = _prediction_columns(card)
    else:
        raise ScoringError(f"unknown scorer {scorer!r}", hint="use mojo or h2o")
    out = scored.select(
        *[F.col(f"`{c}`") for c in original],
        *prediction,
        F.lit(version.name).alias("model_name"),
        F.lit(version.version).alias("model_version"),
    )
    return ScoreResult(out, rows, unseen, missing, unparseable, examples, scorer)


def _align(df: DataFrame, features: list[Feature], missing: list[str]) -> DataFrame:
    """Missing features as typed nulls; others cast to the training type (bad casts become NA)."""
    from pyspark.sql import functions as F

    types = dict(df.dtypes)
    for f in features:
        name, want = f.name, f.spark_type or ("string" if f.domain else "double")
        if name in missing:
            df = df.withColumn(name, F.lit(None).cast(want))
        elif types.get(name) != want and _simple(want):
            df = df.withColumn(name, F.col(f"`{name}`").cast(want))
    return df


def _simple(spark_type: str) -> bool:
    return spark_type in {"string", "double", "float", "int", "bigint", "smallint", "tinyint", "boolean",
                          "date", "timestamp"} or spark_type.startswith("decimal")


def _input_stats(
    df: DataFrame, features: list[Feature], missing: list[str]
) -> tuple[int, dict[str, int], dict[str, int], dict[str, list[str]]]:
    """Rows; per feature, rows with a level the model never saw, or a value that does not parse
    as the feature's type (both score as NA): one pass, then a few examples per bad column."""
    from pyspark.sql import functions as F

    types = dict(df.dtypes)
    present = [f for f in features if f.name not in missing]
    conds: dict[str, tuple[str, Column]] = {}
    for f in present:
        col = F.col(f"`{f.name}`")
        want = f.spark_type or ("string" if f.domain else "double")
        if f.domain:
            text = col.cast("string")
            conds[f.name] = ("unseen", text.isNotNull() & ~text.isin(list(f.domain)))
        elif types.get(f.name) != want and _simple(want):
            conds[f.name] = ("unparseable", col.isNotNull() & col.cast(want).isNull())
    aggs: list[Column] = [F.count(F.lit(1)).alias("__rows")]
    names = list(conds)
    for i, name in enumerate(names):
        aggs.append(F.sum(F.when(conds[name][1], 1).otherwise(0)).alias(f"c{i}"))
    row = df.agg(*aggs).first()
    unseen: dict[str, int] = {}
    unparseable: dict[str, int] = {}
    examples: dict[str, list[str]] = {}
    for i, name in enumerate(names):
        count = int(row[f"c{i}"] or 0)
        if not count:
            continue
        kind, cond = conds[name]
        (unseen if kind == "unseen" else unparseable)[name] = count
        found = df.where(cond).select(F.col(f"`{name}`").cast("string")).distinct().limit(EXAMPLES).collect()
        examples[name] = [str(r[0]) for r in found]
    return int(row["__rows"]), unseen, unparseable, examples


def _load(version: ModelVersion) -> Any:
    from pysparkling.ml import H2OMOJOModel, H2OMOJOSettings

    settings = H2OMOJOSettings(convertUnknownCategoricalLevelsToNa=True, convertInvalidNumbersToNa=True)
    path = version.local_mojo()
    try:
        return H2OMOJOModel.createFromMojo("file://" + str(path.resolve()), settings)
    except Exception as exc:
        raise ScoringError(f"cannot load the MOJO of {version.ref}: {java_cause(exc)}",
                           hint=f"is {path} a valid H2O MOJO?") from exc


def _prediction_columns(card: ModelCard) -> list[Column]:
    from pyspark.sql import functions as F

    if card.task == "regression":
        return [F.col("prediction").cast("double").alias("predict")]
    cols = [F.col("prediction").cast("string").alias("predict")]
    for cls in card.classes or []:
        cols.append(F.col("detailed_prediction.probabilities").getField(str(cls)).alias(prob_column(cls)))
    if card.selection.calibration != "none":  # H2O's calibrated probabilities, as the MOJO carries them
        for cls in card.classes or []:
            cols.append(F.col("detailed_prediction.calibratedProbabilities").getField(str(cls))
                        .alias("cal_" + prob_column(cls)))
    return cols
