"""A registry of real MOJO fixtures in a temp workspace, and the service on top of it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sparkwing import mojo
from sparkwing.registry import Registry
from sparkwing.workspace import Workspace

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mojo"
PROSTATE_ROW = {"AGE": 65, "RACE": "1", "DPROS": "2", "DCAPS": "1", "PSA": 1.4, "VOL": 0.0, "GLEASON": 6}


def card_for(fixture: str, **extra: Any) -> dict[str, Any]:
    """A card shaped like the one training writes (task, target, classes, features, metrics)."""
    info = mojo.load(FIXTURES / f"{fixture}.zip").info
    task = {"Binomial": "binary", "Multinomial": "multiclass"}.get(info.category, "regression")
    return {
        "task": task,
        "target": info.response,
        "algorithm": info.algorithm,
        "classes": list(info.classes) if info.classes else None,
        "threshold": info.default_threshold,
        "features": [{"name": f.name, "type": "enum" if f.domain else "real",
                      "spark_type": "string" if f.domain else "double",
                      "domain": list(f.domain) if f.domain else None} for f in info.features],
        "metrics": {"auc": 0.8, "logloss": 0.5} if task == "binary" else {"rmse": 1.0},
        "h2o_version": info.h2o_version,
        **extra,
    }


def register(reg: Registry, name: str, fixture: str) -> int:
    return reg.register(name, mojo_path=FIXTURES / f"{fixture}.zip", card=card_for(fixture)).version


def build_workspace(root: Path) -> Registry:
    """prostate v1 (GLM, production) and v2 (GBM, staging); iris v1 (DRF, production);
    psa v1 (GBM regression, production); unpromoted v1 (no alias)."""
    reg = Registry(Workspace(root))
    register(reg, "prostate", "glm_binomial_prostate")
    register(reg, "prostate", "gbm_bernoulli_prostate")
    reg.set_alias("prostate", "production", 1, reason="test")
    reg.set_alias("prostate", "staging", 2, reason="test")
    register(reg, "iris", "drf_multinomial_iris")
    reg.set_alias("iris", "production", 1, reason="test")
    register(reg, "psa", "gbm_gaussian_prostate")
    reg.set_alias("psa", "production", 1, reason="test")
    register(reg, "unpromoted", "glm_binomial_prostate")
    return reg


@pytest.fixture()
def workspace(tmp_path: Path) -> Path:
    build_workspace(tmp_path / "ws")
    return tmp_path / "ws"


@pytest.fixture()
def make_client(workspace: Path) -> Iterator[Any]:
    """``make_client(**config)`` -> a started TestClient whose models are loaded."""
    from fastapi.testclient import TestClient

    from sparkwing.serve import ServeConfig, create_app

    clients: list[TestClient] = []

    def make(ready: bool = True, **kw: Any) -> TestClient:
        kw.setdefault("poll_interval", 0)
        app = create_app(ServeConfig(workspace=str(workspace), **kw))
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        svc = app.state.service
        if ready:
            assert svc.wait_ready(30), svc.store.refresh()
        else:
            svc.store.refresh()
        return client

    yield make
    for c in clients:
        c.__exit__(None, None, None)


@pytest.fixture()
def client(make_client: Any) -> Any:
    return make_client()
