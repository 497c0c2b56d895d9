"""Batch scoring with a registered MOJO in plain Spark (no H2OContext, no H2O cluster)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sparkwing.errors import ScoringError
from sparkwing.registry import ModelVersion

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

RAW = ("prediction", "detailed_prediction")


@dataclass
class ScoreResult:
    """Scored rows plus what the run record reports about the input."""

    df: DataFrame
    rows: int
    unseen_levels: dict[str, int] = field(default_factory=dict)
    missing_features: list[str] = field(default_factory=list)


def output_columns(card: dict[str, Any]) -> list[str]:
    """The prediction columns a model adds: ``predict`` and ``p_<class>``, or ``predict`` alone."""
    classes = card.get("classes") or []
    return (
        ["predict", *[prob_column(c) for c in classes]] if card.get("task") != "regression" else ["predict"]
    )


def prob_column(cls: str) -> str:
    return "p_" + re.sub(r"[^0-9A-Za-z_]", "_", str(cls))


def score_batch(
    spark: SparkSession, df: DataFrame, version: ModelVersion, *, allow_missing: bool = False
) -> ScoreResult:
    """Add ``predict`` (label or value), ``p_<class>`` per class, ``model_name``, ``model_version``.

    Extra columns pass through; a missing feature is an error (or all-NA with ``allow_missing``);
    unseen categorical levels score as NA, as H2O does, and are counted per column.

    >>> result = score_batch(spark, df, Registry(ws).get("loan_default@production"))  # doctest: +SKIP
    >>> result.df.select("predict", "p_1").show()                                     # doctest: +SKIP
    """
    from pyspark.sql import functions as F

    card = version.card
    features = card.get("features") or []
    if not features:
        raise ScoringError(
            f"{version.ref} has no feature list in its card", hint="register it with sparkwing"
        )
    outputs = [*output_columns(card), "model_name", "model_version"]
    clash = [c for c in outputs if c in df.columns]
    if clash:
        raise ScoringError(f"input already has column(s) {clash} that scoring adds",
                           hint="drop or rename them before scoring")
    missing = [f["name"] for f in features if f["name"] not in df.columns]
    if missing and not allow_missing:
        raise ScoringError(
            f"input lacks feature(s) of {version.ref}: {', '.join(missing)}",
            hint="add them, or set allow_missing: true to score them as NA",
        )
    original = df.columns
    df = _align(df, features, missing)
    rows, unseen = _input_stats(df, features)
    model = _load(version)
    try:
        scored = model.transform(df)
    except Exception as exc:
        raise ScoringError(f"scoring with {version.ref} failed: {str(exc).splitlines()[0][:300]}",
                           hint="check the input's column types against the card") from exc
    out = scored.select(
        *[F.col(f"`{c}`") for c in original],
        *_prediction_columns(card),
        F.lit(version.name).alias("model_name"),
        F.lit(version.version).alias("model_version"),
    )
    return ScoreResult(out, rows, unseen, missing)


def _align(df: DataFrame, features: list[dict[str, Any]], missing: list[str]) -> DataFrame:
    """Missing features as typed nulls; others cast to the training type (bad casts become NA)."""
    from pyspark.sql import functions as F

    types = dict(df.dtypes)
    for f in features:
        name, want = f["name"], f.get("spark_type") or ("string" if f.get("domain") else "double")
        if name in missing:
            df = df.withColumn(name, F.lit(None).cast(want))
        elif types.get(name) != want and _simple(want):
            df = df.withColumn(name, F.col(f"`{name}`").cast(want))
    return df


def _simple(spark_type: str) -> bool:
    return spark_type in {"string", "double", "float", "int", "bigint", "smallint", "tinyint", "boolean",
                          "date", "timestamp"} or spark_type.startswith("decimal")


def _input_stats(df: DataFrame, features: list[dict[str, Any]]) -> tuple[int, dict[str, int]]:
    """Row count and, per categorical feature, rows whose level the model never saw: one pass."""
    from pyspark.sql import functions as F

    cats = [f for f in features if f.get("domain")]
    aggs: list[Column] = [F.count(F.lit(1)).alias("__rows")]
    for i, f in enumerate(cats):
        col = F.col(f"`{f['name']}`").cast("string")
        aggs.append(
            F.sum(F.when(col.isNotNull() & ~col.isin(list(f["domain"])), 1).otherwise(0)).alias(f"u{i}")
        )
    row = df.agg(*aggs).first()
    unseen = {f["name"]: int(row[f"u{i}"] or 0) for i, f in enumerate(cats)}
    return int(row["__rows"]), {k: v for k, v in unseen.items() if v}


def _load(version: ModelVersion) -> Any:
    from pysparkling.ml import H2OMOJOModel, H2OMOJOSettings

    settings = H2OMOJOSettings(convertUnknownCategoricalLevelsToNa=True, convertInvalidNumbersToNa=True)
    path = version.local_mojo()
    try:
        return H2OMOJOModel.createFromMojo("file://" + str(path.resolve()), settings)
    except Exception as exc:
        raise ScoringError(f"cannot load the MOJO of {version.ref}: {str(exc).splitlines()[0][:300]}",
                           hint=f"is {path} a valid H2O MOJO?") from exc


def _prediction_columns(card: dict[str, Any]) -> list[Column]:
    from pyspark.sql import functions as F

    if card.get("task") == "regression":
        return [F.col("prediction").cast("double").alias("predict")]
    cols = [F.col("prediction").cast("string").alias("predict")]
    for cls in card.get("classes") or []:
        cols.append(F.col("detailed_prediction.probabilities").getField(str(cls)).alias(prob_column(cls)))
    return cols
