"""Models trained once per test run and shared by the train and score tests (small budgets)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pg_server import available, pg_server

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="session")
def loans(spark):
    return spark.read.csv(str(DATA / "loan.csv"), header=True, inferSchema=True)


@pytest.fixture(scope="session")
def prostate(spark):
    return spark.read.csv(str(DATA / "prostate.csv"), header=True, inferSchema=True)


@pytest.fixture(scope="session")
def loan_model(spark, settings, h2o, loans):
    """AutoML on loan.csv: two models (GBM, GLM), 3 folds, seeded."""
    from sparkwing.config import ModelSpec
    from sparkwing.train import train_model

    spec = ModelSpec.model_validate({
        "from": "loans", "target": "bad_loan", "split": {"ratio": 0.8},  # a holdout the tests look at
        "automl": {"max_models": 2, "seed": 1, "include": ["GBM", "GLM"], "nfolds": 3},
    })
    return train_model(spark, settings, "loan_default", spec, loans)


@pytest.fixture(scope="session")
def loan_registry(tmp_path_factory, loan_model):
    from sparkwing.registry import Lineage, Registry, SourceLineage
    from sparkwing.workspace import Workspace

    reg = Registry(Workspace(tmp_path_factory.mktemp("registry_ws")))
    lineage = Lineage(run_id="test-run", spec_hash="abc", sources=[SourceLineage(uri=str(DATA / "loan.csv"))])
    card = loan_model.card.model_copy(update={"lineage": lineage})
    version = reg.register(
        "loan_default", mojo_path=loan_model.mojo_path, genmodel_jar_path=loan_model.genmodel_jar_path,
        pojo_dir=loan_model.pojo_dir, card=card,
    )
    return reg, version


@pytest.fixture(scope="session")
def postgres():
    """One PostgreSQL server on 127.0.0.1 with a database ``metastore``, for every test that puts a
    Hive metastore on PostgreSQL (test_metastore_postgres, test_backfill_processes).

    The first JVM on it creates Hive's schema; later ones find it (one server start and one schema
    creation per run, not per file).  Each test keeps its own workspace and Hive databases.
    """
    why = available()
    if why:
        pytest.skip(why)
    with pg_server() as server:
        server.create_database("metastore")
        yield server
