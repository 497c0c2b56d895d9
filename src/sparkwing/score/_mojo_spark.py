"""Spark batch scoring with ``sparkwing.mojo`` on the executors: no Sparkling Water jar, no H2O classes.

The MOJO's bytes are broadcast once; each Python worker loads the model once (a small cache
keyed by the bytes' SHA-256) and scores Arrow batches with ``mapInArrow``.  The numbers are the
ones Sparkling Water's ``H2OMOJOModel`` gives, because the input reaches the scorer as
Sparkling Water sends it to genmodel: its ``RowConverter`` turns every cell into text
(``toString``), so here

- integers and doubles go as numbers (their Java text parses back to the same double);
- floats and decimals go as their Java text (``Float.toString`` is not the float's double);
- booleans go as ``"True"``/``"False"``; timestamps and dates as epoch milliseconds;
- any non-string column the model reads as categorical goes as its Java text (``3.0``, not ``3``).

Spark's own ``cast(... as string)`` is Java's ``toString``, so the text is made on the JVM side.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from sparkwing.errors import MojoError, ScoringError
from sparkwing.mojo import MojoModel, class_column, load
from sparkwing.registry import ModelCard, ModelVersion

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

_TEMP = "__sparkwing_mojo_in_"
_NUMBERS = {"double", "int", "bigint", "smallint", "tinyint"}
# Loaded models of this Python worker process, newest last (a worker scores task after task).
_LOADED: dict[str, MojoModel] = {}
_KEEP_LOADED = 4


def score_with_mojo(
    spark: SparkSession, df: DataFrame, version: ModelVersion, out_names: list[str]
) -> DataFrame:
    """``df`` (features aligned to their training types) plus ``out_names``: ``predict`` and one
    probability column per class of the card, scored by ``sparkwing.mojo`` on the executors."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import DoubleType, StringType, StructField, StructType

    path = version.local_mojo()
    data = path.read_bytes()
    try:
        model = load(data)
    except MojoError as exc:
        raise ScoringError(f"cannot load the MOJO of {version.ref}: {exc.message}",
                           hint=f"is {path} a valid H2O MOJO? (scorer: h2o reads it with Sparkling Water)",
                           ) from exc
    card = version.card
    sources = _output_sources(card, model, version.ref)
    types = dict(df.dtypes)
    inputs: dict[str, str] = {}  # feature name -> the column holding what the scorer reads
    extra: list[Column] = []
    for i, feature in enumerate(model.info.features):
        if feature.name not in types:
            continue  # scored as NA, as H2O does for a column it does not get
        converted = _as_sent(F.col(f"`{feature.name}`"), types[feature.name], feature.type == "categorical")
        if converted is None:
            inputs[feature.name] = feature.name
            continue
        if isinstance(converted, str):
            raise ScoringError(
                f"scorer mojo cannot read feature {feature.name!r} of type {types[feature.name]}",
                hint="cast it to a number or a string, or set scorer: h2o")
        temp = f"{_TEMP}{i}"
        extra.append(converted.alias(temp))
        inputs[feature.name] = temp
    wide = df.select("*", *extra) if extra else df
    predict_type = DoubleType() if card.task == "regression" else StringType()
    schema = StructType([
        *df.schema.fields,
        StructField(out_names[0], predict_type, True),
        *[StructField(n, DoubleType(), True) for n in out_names[1:]],
    ])
    kept = list(df.columns)
    key = hashlib.sha256(data).hexdigest()
    shipped = spark.sparkContext.broadcast(data)
    regression = card.task == "regression"

    def score(batches: Iterable[Any]) -> Iterable[Any]:
        return _score_batches(batches, key, shipped, inputs, kept, sources, out_names, regression)

    return wide.mapInArrow(score, schema)


def _as_sent(col: Column, spark_type: str, categorical: bool) -> Column | str | None:
    """The column as Sparkling Water's text would score it: ``None`` when the value can go as it
    is; the type's name when this scorer cannot read it."""
    from pyspark.sql import functions as F

    if spark_type == "string":
        return None
    if spark_type == "boolean":
        return F.when(col, F.lit("True")).when(~col, F.lit("False"))
    if spark_type == "timestamp":
        return F.unix_millis(col)
    if spark_type == "date":
        return F.unix_millis(col.cast("timestamp"))
    if categorical:
        return col.cast("string") if _castable(spark_type) else spark_type
    if spark_type in _NUMBERS:
        return None
    if spark_type == "float" or spark_type.startswith("decimal"):
        return col.cast("string")
    return spark_type


def _castable(spark_type: str) -> bool:
    return spark_type in _NUMBERS or spark_type == "float" or spark_type.startswith("decimal")


def _output_sources(card: ModelCard, model: MojoModel, ref: str) -> list[int]:
    """For ``predict`` and each class of the card (and each calibrated one), its column in the
    scorer's raw output."""
    names = list(model.info.output_names)
    if card.task == "regression":
        if model.info.category != "Regression":
            raise ScoringError(f"{ref}'s card says regression, its MOJO is {model.info.category}",
                               hint="re-register the model with the right task")
        return [0]
    classes = [str(c) for c in card.classes or []]
    known = list(model.info.classes or [])
    if classes != known:
        raise ScoringError(f"{ref}'s card lists classes {classes}, its MOJO {known}",
                           hint="re-register the model, or set scorer: h2o")
    sources = [0, *[names.index(class_column(c)) for c in classes]]
    if card.selection.calibration != "none":  # the MOJO's calibrated probabilities, cal_<class>
        calibrated = [f"cal_{class_column(c)}" for c in classes]
        if not set(calibrated) <= set(names):
            raise ScoringError(f"{ref}'s card says calibrated ({card.selection.calibration}), "
                               "its MOJO has no calibrated outputs", hint="set scorer: h2o")
        sources += [names.index(c) for c in calibrated]
    return sources


def _model(key: str, shipped: Any) -> MojoModel:
    model = _LOADED.pop(key, None)
    if model is None:
        model = load(shipped.value)
        while len(_LOADED) >= _KEEP_LOADED:
            _LOADED.pop(next(iter(_LOADED)))
    _LOADED[key] = model
    return model


def _score_batches(
    batches: Iterable[Any], key: str, shipped: Any, inputs: dict[str, str], kept: list[str],
    sources: list[int], out_names: list[str], regression: bool,
) -> Iterator[Any]:
    """Runs on the executors: Arrow batches in, the kept columns plus the predictions out."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    model = _model(key, shipped)
    classes = pa.array(list(model.info.classes or []), pa.string())
    for batch in batches:
        n = batch.num_rows
        if n == 0 or not inputs:
            frame = pd.DataFrame(index=range(n))
        else:
            frame = pd.DataFrame({name: batch.column(col).to_pandas() for name, col in inputs.items()})
        raw = model.predict_numpy(frame) if n else np.empty((0, max(sources) + 1))
        columns = [batch.column(c) for c in kept]
        if regression:
            columns.append(pa.array(raw[:, 0], pa.float64()))
        else:
            idx = raw[:, 0]
            missing = np.isnan(idx)
            codes = np.where(missing, 0, idx).astype(np.int64)
            np.clip(codes, 0, max(0, len(classes) - 1), out=codes)
            columns.append(classes.take(pa.array(codes, mask=missing)))
            columns.extend(pa.array(raw[:, j], pa.float64()) for j in sources[1:])
        yield pa.RecordBatch.from_arrays(columns, names=[*kept, *out_names])
