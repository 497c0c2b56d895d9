"""Before H2O sees the data: check it, infer the task, shape the label, split off a holdout."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sparkwing.config import ModelSpec
from sparkwing.config._spec import AUTO_HOLDOUT_MIN_CLASS_ROWS, AUTO_HOLDOUT_MIN_ROWS
from sparkwing.errors import TrainingError

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

MAX_CLASSES = 1000


@dataclass
class Prepared:
    """``holdout`` is None when training uses every row (``split: none``, or ``auto`` on small data);
    ``split`` is what the card records: the policy used, what was asked, and why."""

    task: str
    train: DataFrame
    holdout: DataFrame | None
    features: list[str]
    warnings: list[str] = field(default_factory=list)
    split: dict[str, Any] = field(default_factory=dict)


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
    split = _split_policy(spec, task, labelled, counts["__labelled"], holdout_df is not None, name)
    holdout: DataFrame | None
    if holdout_df is not None:
        train, holdout = labelled, holdout_df.where(F.col(label).isNotNull())
    elif split["policy"] == "none":
        train, holdout = labelled, None
    elif split["policy"] == "time":
        t = F.col(str(split["time_column"]))
        train, holdout = (
            labelled.where(t < F.lit(spec.split.cutoff)),
            labelled.where(t >= F.lit(spec.split.cutoff)),
        )
    else:
        # A hash of the row and the seed: the same rows land on the same side whatever the
        # partitioning, which randomSplit does not promise.
        h = F.abs(F.xxhash64(*[F.col(c) for c in labelled.columns], F.lit(split["seed"]))) % 1_000_000
        if split["stratify"]:
            # Per class, the first ratio share of its rows in hash order: each class keeps its share.
            from pyspark.sql import Window

            by_class = Window.partitionBy(F.col(label))
            ranked = labelled.withColumn("__h", h).withColumn(
                "__i", F.row_number().over(by_class.orderBy("__h"))
            ).withColumn("__n", F.count(F.lit(1)).over(by_class))
            inside = F.col("__i") <= F.round(F.col("__n") * F.lit(split["ratio"]))
            train, holdout = ranked.where(inside), ranked.where(~inside)
        else:
            cut = int(split["ratio"] * 1_000_000)
            train, holdout = labelled.where(h < cut), labelled.where(h >= cut)
    if task != "regression":
        train = train.withColumn(label, _as_class(train, label))
        if holdout is not None:
            holdout = holdout.withColumn(label, _as_class(holdout, label))
    return Prepared(task, train.select(*keep), holdout.select(*keep) if holdout is not None else None,
                    features, warnings, split)


def _split_policy(spec: ModelSpec, task: str, labelled: DataFrame, rows: int, given: bool,
                  name: str) -> dict[str, Any]:
    """Which split to use, and why; ``auto`` decides here from the row and class counts.

    ``auto`` keeps a (stratified, 80/20, seed 42) holdout only when there are at least
    ``AUTO_HOLDOUT_MIN_ROWS`` labelled rows and, for classification, the rarest class has at least
    ``AUTO_HOLDOUT_MIN_CLASS_ROWS`` rows (about 100 in the holdout: a holdout AUC or log loss then
    varies less than the differences between models).  Otherwise every row trains and the
    cross-validation metrics rank and promote.  Without folds (``automl.nfolds: 0``) it keeps a
    holdout whatever the size: something has to rank the models.
    """
    from pyspark.sql import functions as F

    s = spec.split
    classify = task != "regression"
    if s.stratify and not classify:
        raise TrainingError("split.stratify needs a classification target; this is regression",
                            hint=f"remove models.{name}.split.stratify", in_spec=True)
    out: dict[str, Any] = {"requested": s.policy}
    if given:
        return {**out, "policy": "holdout_from", "reason": "holdout_from gives the holdout"}
    if s.policy == "time":
        return {**out, "policy": "time", "time_column": s.time_column, "cutoff": s.cutoff}
    stratify = classify if s.stratify is None else s.stratify
    ratio = {**out, "policy": "ratio", "ratio": s.ratio, "seed": s.seed, "stratify": stratify}
    if s.policy == "ratio":
        return ratio
    if s.policy == "none":
        return {**out, "policy": "none", "reason": "every row trains; metrics are cross-validation"}
    # auto
    if spec.automl is not None and spec.automl.nfolds == 0:
        return {**ratio, "reason": "auto with automl.nfolds: 0: a holdout ranks the models"}
    rarest = None
    if classify:
        rarest = labelled.groupBy(spec.target).count().agg(F.min("count")).collect()[0][0]
    big = rows >= AUTO_HOLDOUT_MIN_ROWS and (rarest is None or rarest >= AUTO_HOLDOUT_MIN_CLASS_ROWS)
    facts = f"{rows:,} rows" + (f", rarest class {rarest:,} rows" if rarest is not None else "")
    rule = (f"auto: holdout when >= {AUTO_HOLDOUT_MIN_ROWS:,} rows"
            + (f" and the rarest class has >= {AUTO_HOLDOUT_MIN_CLASS_ROWS:,}" if classify else ""))
    if big:
        return {**ratio, "reason": f"{rule}; {facts}"}
    return {**out, "policy": "none",
            "reason": f"{rule}; {facts}: every row trains, metrics are cross-validation"}


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
