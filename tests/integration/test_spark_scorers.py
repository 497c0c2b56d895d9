"""Spark batch scoring: ``scorer: mojo`` (sparkwing.mojo in the Python workers) gives the same
columns, types, labels and NA pattern as ``scorer: h2o`` (Sparkling Water's ``H2OMOJOModel``).

Models: committed MOJO fixtures covering every algorithm the example pipelines train (loans:
AutoML over GBM/GLM/XGBoost/DRF/stacked ensembles; prostate: XGBoost and GLM) and every task a
card can have (binary, multiclass incl. ordinal, regression), scored on their parity inputs
(bad numbers, unseen levels, missing cells included) with Spark's inferred column types.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sparkwing import mojo
from sparkwing.registry import Feature, ModelCard, ModelVersion, Registry
from sparkwing.score import score_batch
from sparkwing.workspace import Workspace

pytestmark = [pytest.mark.spark, pytest.mark.slow]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mojo"
TASKS = {"Binomial": "binary", "Multinomial": "multiclass", "Ordinal": "multiclass",
         "Regression": "regression"}
# (Every other registrable fixture was compared the same way once; docs/mojo.md has the result.)
MODELS = {
    "gbm_bernoulli_loan": "loan", "glm_binomial_loan": "loan", "xgb_loan": "loan", "drf_creditg": "creditg",
    "gbm_multinomial_iris": "iris", "glm_ordinal_prostate": "prostate",
    "se_automl_best_prostate": "prostate", "gbm_gaussian_prostate": "prostate",
}
# numpy's exp/log and Java's Math.exp/log may differ in the last bit; the scorers' parity with
# genmodel is |Δ| <= 1e-9 (tests/unit/test_mojo_parity.py), so numbers are held to the same.
NUMBER_TOLERANCE = 1e-9


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    return Registry(Workspace(tmp_path_factory.mktemp("scorers_ws")))


def _register(registry: Registry, fixture: str, types: dict[str, str]) -> ModelVersion:
    info = mojo.load(FIXTURES / f"{fixture}.zip").info
    features = [Feature(name=f.name, spark_type=types.get(f.name),
                        domain=list(f.domain) if f.domain else None) for f in info.features]
    card = ModelCard(task=TASKS[info.category], classes=list(info.classes) if info.classes else None,
                     features=features)
    return registry.register(fixture, mojo_path=FIXTURES / f"{fixture}.zip", card=card)


def _both(spark: Any, df: Any, mv: ModelVersion) -> tuple[list[Any], list[Any]]:
    """The rows each scorer gives, in input order, after checking the schemas are equal."""
    out = {}
    for scorer in ("h2o", "mojo"):
        result = score_batch(spark, df, mv, allow_missing=True, scorer=scorer)
        assert result.scorer == scorer
        out[scorer] = result.df
    assert out["h2o"].dtypes == out["mojo"].dtypes
    return [d.orderBy("_rid").collect() for d in (out["h2o"], out["mojo"])]


def _assert_same(h2o: list[Any], mine: list[Any], label: str) -> None:
    assert len(h2o) == len(mine) > 0
    for a, b in zip(h2o, mine, strict=True):
        for key, x in a.asDict().items():
            y = b[key]
            if isinstance(x, float) and isinstance(y, float):
                assert math.isnan(x) == math.isnan(y), f"{label} {key}: {x} vs {y}"
                assert math.isnan(x) or abs(x - y) <= NUMBER_TOLERANCE, f"{label} {key}: {x} vs {y}"
            else:
                assert x == y, f"{label} row {a['_rid']} {key}: h2o {x!r}, mojo {y!r}"


@pytest.mark.parametrize("fixture", sorted(MODELS))
def test_mojo_scorer_matches_sparkling_water(spark: Any, registry: Registry, fixture: str) -> None:
    from pyspark.sql import functions as F

    df = spark.read.csv(str(FIXTURES / "inputs" / f"{MODELS[fixture]}.tsv"), sep="\t", header=True,
                        inferSchema=True).withColumn("_rid", F.monotonically_increasing_id())
    mv = _register(registry, fixture, dict(df.dtypes))
    h2o, mine = _both(spark, df, mv)
    _assert_same(h2o, mine, fixture)


def test_column_types_reach_the_model_as_sparkling_water_sends_them(spark: Any, registry: Registry) -> None:
    """float (Java text, not the widened double), decimal, boolean, and numbers in a categorical
    column (``3.0`` as text) score as they do through Sparkling Water."""
    from pyspark.sql import functions as F

    df = spark.read.csv(str(FIXTURES / "inputs" / "prostate.tsv"), sep="\t", header=True, inferSchema=True)
    df = (df.withColumn("_rid", F.monotonically_increasing_id())
          .withColumn("PSA", F.col("PSA").cast("float"))
          .withColumn("VOL", F.col("VOL").cast("decimal(10,3)"))
          .withColumn("DCAPS", F.col("DCAPS").cast("double") > 1)
          .withColumn("RACE", F.col("RACE").cast("double")))
    for fixture in ("gbm_bernoulli_prostate", "glm_binomial_prostate"):
        mv = _register(registry, fixture, dict(df.dtypes))
        h2o, mine = _both(spark, df, mv)
        _assert_same(h2o, mine, fixture)
        assert np.isfinite([r["p1"] for r in mine]).all()


def test_mojo_scorer_runs_no_h2o_code(spark: Any, registry: Registry) -> None:
    """The plan scores in Python workers (Arrow), with no Sparkling Water operator."""
    df = spark.read.csv(str(FIXTURES / "inputs" / "loan.tsv"), sep="\t", header=True, inferSchema=True)
    mv = _register(registry, "gbm_bernoulli_loan", dict(df.dtypes))
    plan = score_batch(spark, df, mv).df._jdf.queryExecution().executedPlan().toString()
    assert "PythonMapInArrow" in plan or "MapInArrow" in plan
    assert "h2o" not in plan.lower() and "sparkling" not in plan.lower()
