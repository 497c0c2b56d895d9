"""GLRM learned features: k archetype columns learned by H2O, appended as plain columns.

``fit_glrm`` trains (the pipeline's ``features:`` step registers the result like a model);
``project_glrm`` adds the same columns with a registered version, no H2O cloud needed (a resumed
run reuses the version it registered instead of training again).
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from sparkwing import __version__
from sparkwing.config import GlrmParams, Settings
from sparkwing.engine import H2OCloud, start_h2o
from sparkwing.errors import ScoringError, TrainingError, java_cause
from sparkwing.train import _artifacts
from sparkwing.train._result import GlrmResult

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from sparkwing.registry import ModelVersion

_RAW = "__sparkwing_glrm"  # the vector column H2O adds, unpacked into <prefix>1..k


def fit_glrm(
    spark: SparkSession, settings: Settings, df: DataFrame, params: GlrmParams, *,
    cloud: H2OCloud | None = None,
) -> tuple[DataFrame, GlrmResult]:
    """Fit a GLRM on ``params.columns`` and add ``<prefix>1..k`` columns to every row.

    The caller registers ``result.mojo_path`` like any model (no POJO exists for GLRM).
    ``cloud`` is the H2O cloud to use (default: started, or attached, on ``spark``).

    >>> out, res = fit_glrm(spark, settings, df, GlrmParams(k=2))   # doctest: +SKIP
    >>> res.columns
    ['glrm_1', 'glrm_2']
    """
    import h2o
    from pyspark.sql.types import NumericType, StringType
    from pysparkling.ml import H2OGLRM

    usable = [f.name for f in df.schema.fields if isinstance(f.dataType, (NumericType, StringType))]
    columns = params.columns or usable
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise TrainingError(
            f"glrm: column(s) {missing} not in the data", hint="check glrm.columns of the features entry"
        )
    if params.k > len(columns):
        raise TrainingError(f"glrm: k={params.k} exceeds the {len(columns)} input columns", hint="lower k")
    out_cols = [f"{params.prefix}{i + 1}" for i in range(params.k)]
    clash = [c for c in out_cols if c in df.columns]
    if clash:
        raise TrainingError(f"glrm: output column(s) {clash} already exist",
                            hint="set a different glrm.prefix")
    cloud = cloud or start_h2o(spark, settings)
    est = H2OGLRM(inputCols=columns, k=params.k, seed=params.seed, maxIterations=params.max_iterations,
                  outputCol=_RAW, withReconstructedCol=False)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            model = est.fit(df.select(*columns))
    except Exception as exc:
        raise TrainingError(f"glrm: H2O training failed: {java_cause(exc)}",
                            hint="check the input columns (numeric or categorical)") from exc
    out = _unpack(model.transform(df), out_cols)
    work = Path(tempfile.mkdtemp(prefix="sparkwing-glrm-"))
    mojo = _artifacts.save_mojo(model, work / "model.mojo")
    jar = _artifacts.genmodel_jar(cloud, work)
    version = str(h2o.cluster().version)
    return out, GlrmResult(
        mojo_path=mojo, genmodel_jar_path=jar, columns=out_cols, input_columns=list(columns), k=params.k,
        h2o_version=version,
        versions={"sparkwing_version": __version__, "h2o_version": version, "spark_version": spark.version},
    )


def project_glrm(df: DataFrame, version: ModelVersion) -> DataFrame:
    """``df`` with the columns a registered GLRM version adds (its card's ``glrm.output_columns``).

    Scored with the version's MOJO in plain Spark (no H2O cloud); the input columns it learned
    from (the card's features) must be present.
    """
    from pysparkling.ml import H2OGLRMMOJOModel, H2OMOJOSettings

    card = version.card
    if card.glrm is None:
        raise ScoringError(f"{version.ref} is not a GLRM feature model", hint="check the registry name")
    missing = [f.name for f in card.features if f.name not in df.columns]
    if missing:
        raise ScoringError(f"input lacks column(s) {missing} that {version.ref} learned from",
                           hint="project the same data the features were learned from")
    clash = [c for c in card.glrm.output_columns if c in df.columns]
    if clash:
        raise ScoringError(f"glrm: output column(s) {clash} already exist",
                           hint="set a different glrm.prefix")
    path = version.local_mojo()
    try:
        model = H2OGLRMMOJOModel.createFromMojo("file://" + str(path.resolve()), H2OMOJOSettings())
        model.setOutputCol(_RAW)
        model.setWithReconstructedCol(False)
        return _unpack(model.transform(df), card.glrm.output_columns)
    except Exception as exc:
        raise ScoringError(f"projecting with {version.ref} failed: {java_cause(exc)}",
                           hint=f"is {path} the MOJO of a GLRM?") from exc


def _unpack(scored: DataFrame, out_cols: list[str]) -> DataFrame:
    """H2O's projection vector (``_RAW``) as one double column per archetype."""
    from pyspark.ml.functions import vector_to_array
    from pyspark.sql import functions as F

    arr = vector_to_array(F.col(_RAW)) if _is_vector(scored, _RAW) else F.col(_RAW)
    return scored.select("*", *[arr[i].alias(c) for i, c in enumerate(out_cols)]).drop(_RAW)


def _is_vector(df: DataFrame, col: str) -> bool:
    from pyspark.ml.linalg import VectorUDT

    return isinstance(df.schema[col].dataType, VectorUDT)
