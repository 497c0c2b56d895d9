"""Before H2O sees the data: check it, infer the task, shape the label, split off a holdout."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sparkwing.config import ModelSpec
from sparkwing.errors import TrainingError

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

MAX_CLASSES = 1000


@dataclass
class Prepared:
    task: str
    train: DataFrame
    holdout: DataFrame
    features: list[str]
    warnings: list[str] = field(default_factory=list)


def prepare(
    spec: ModelSpec, train_df: DataFrame, holdout_df: DataFrame | None, *, name: str
) -> Prepared:
    """Check columns, choose the task, make a classification label a string, split.

    ``name`` is the model's name in the spec, for hints that point at its settings.
    """
    from pyspark.sql import functions as F

    warnings: list[str] = []
    _require(train_df, spec, "training data", name)
    if holdout_df is not None:
        _require(holdout_df, spec, "holdout data", name)
    label = spec.target
    candidates = _candidates(spec, train_df, name)
    # One pass: all rows, labelled rows, and per candidate feature its non-null labelled cells.
    has_label = F.col(label).isNotNull()
    counts = train_df.agg(
        F.count(F.lit(1)).alias("__all"), F.count(F.col(label)).alias("__labelled"),
        *[F.count(F.when(has_label, F.col(f"`{c}`"))).alias(f"c{i}") for i, c in enumerate(candidates)],
    ).collect()[0]  # a global aggregate: exactly one row
    dropped = counts["__all"] - counts["__labelled"]
    if dropped:
        warnings.append(f"dropped {dropped} training rows with a null target {label!r}")
    labelled = train_df.where(has_label)
    task = _task(spec, labelled)
    empty = [c for i, c in enumerate(candidates) if counts[f"c{i}"] == 0]
    if empty:
        warnings.append(f"dropped all-null feature(s): {', '.join(empty)}")
    features = [c for c in candidates if c not in empty]
    if not features:
        raise TrainingError("every feature column is entirely null", hint="check the prep steps upstream")
    keep = [*features, label, *([spec.weight_column] if spec.weight_column else [])]
    if holdout_df is not None:
        train, holdout = labelled, holdout_df.where(F.col(label).isNotNull())
    elif spec.split.time_column:
        t = F.col(spec.split.time_column)
        train, holdout = (
            labelled.where(t < F.lit(spec.split.cutoff)),
            labelled.where(t >= F.lit(spec.split.cutoff)),
        )
    else:
        # A hash of the row and the seed: the same rows land on the same side whatever the
        # partitioning, which randomSplit does not promise.
        h = F.abs(F.xxhash64(*[F.col(c) for c in labelled.columns], F.lit(spec.split.seed))) % 1_000_000
        cut = int(spec.split.ratio * 1_000_000)
        train, holdout = labelled.where(h < cut), labelled.where(h >= cut)
    if task != "regression":
        train, holdout = (d.withColumn(label, _as_class(d, label)) for d in (train, holdout))
    return Prepared(task, train.select(*keep), holdout.select(*keep), features, warnings)


def _require(df: DataFrame, spec: ModelSpec, what: str, name: str) -> None:
    """Columns the spec names must exist; if not, the fix is in the spec (``in_spec``)."""
    cols = set(df.columns)
    if spec.target not in cols:
        raise TrainingError(
            f"target column {spec.target!r} is not in the {what} (columns: {', '.join(df.columns)})",
            hint=f"check models.{name}.target in the spec", in_spec=True,
        )
    for kind, key, names in (
        ("ignored", "ignore", spec.ignore),
        ("weight", "weight_column", [spec.weight_column] if spec.weight_column else []),
    ):
        missing = [n for n in names if n not in cols]
        if missing:
            raise TrainingError(f"{kind} column(s) {missing} not in the {what}",
                                hint=f"check models.{name}.{key} in the spec", in_spec=True)
    if spec.split.time_column and spec.split.time_column not in cols:
        raise TrainingError(
            f"split time_column {spec.split.time_column!r} not in the {what}",
            hint=f"check models.{name}.split.time_column in the spec", in_spec=True,
        )


def _task(spec: ModelSpec, df: DataFrame) -> str:
    from pyspark.sql.types import BooleanType, NumericType, StringType

    label = spec.target
    dtype = df.schema[label].dataType
    distinct = df.select(label).distinct().limit(MAX_CLASSES + 1).count()
    if distinct == 0:
        raise TrainingError(f"target {label!r} has no non-null values", hint="is the training data empty?")
    if distinct == 1:
        first = df.select(label).first()  # distinct == 1: there is a row
        value = first[0] if first is not None else None
        raise TrainingError(
            f"target {label!r} is constant ({value!r}): nothing to learn",
            hint="check the target column and any filters upstream",
        )
    if spec.task == "regression":
        if not isinstance(dtype, NumericType):
            raise TrainingError(
                f"task regression needs a numeric target; {label!r} is {dtype.simpleString()}",
                hint="cast it, or use task: binary/multiclass",
            )
        return "regression"
    if spec.task in ("binary", "multiclass"):
        want = 2 if spec.task == "binary" else None
        if want and distinct != want:
            raise TrainingError(f"task binary needs 2 target values; {label!r} has {distinct}",
                                hint="use task: multiclass")
        return spec.task
    if isinstance(dtype, (StringType, BooleanType)):
        if distinct > MAX_CLASSES:
            raise TrainingError(f"target {label!r} has more than {MAX_CLASSES} classes",
                                hint="is it an identifier? set task: regression for numbers")
        return "binary" if distinct == 2 else "multiclass"
    if isinstance(dtype, NumericType):
        return "binary" if distinct == 2 else "regression"
    raise TrainingError(f"target {label!r} has unsupported type {dtype.simpleString()}",
                        hint="cast it to string (classes) or double (regression)")


def _candidates(spec: ModelSpec, df: DataFrame, name: str) -> list[str]:
    skip = {spec.target, *spec.ignore, spec.weight_column, spec.split.time_column}
    candidates = [c for c in df.columns if c not in skip]
    if not candidates:
        raise TrainingError(
            "no feature columns left after ignore/weight/target",
            hint=f"check models.{name}.ignore in the spec", in_spec=True,
        )
    return candidates


def _as_class(df: DataFrame, label: str) -> Column:
    """Labels as strings, so H2O trains a classifier; 1.0 becomes "1", not "1.0"."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import FractionalType

    col = F.col(label)
    if isinstance(df.schema[label].dataType, FractionalType):
        return F.when(col == F.floor(col), col.cast("long").cast("string")).otherwise(col.cast("string"))
    return col.cast("string")
