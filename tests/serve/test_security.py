"""API keys, scopes, rate and size limits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import PROSTATE_ROW
from typer.testing import CliRunner

from sparkwing.auth import KeyStore
from sparkwing.cli import app as cli_app
from sparkwing.errors import ConfigError
from sparkwing.serve import ServeConfig, run
from sparkwing.workspace import Workspace


def _predict(client: Any, token: str | None = None, **kw: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post("/v1/models/prostate:predict", json=kw.pop("body", {"rows": [PROSTATE_ROW]}),
                       headers=headers, **kw)


def test_keys_are_stored_hashed_and_verified(workspace: Path) -> None:
    store = KeyStore(Workspace(workspace))
    token, key = store.create("predict", name="batch")
    raw = (workspace / "serve" / "keys.json").read_text()
    assert token.split("_", 2)[2] not in raw and key.sha256 in raw
    assert store.verify(token) == key and store.verify(token + "x") is None
    assert store.verify("swk_nothing") is None and store.verify("Bearer x") is None
    other = KeyStore(Workspace(workspace))  # a second process sees it
    assert [k.name for k in other.keys()] == ["batch"]
    store.revoke("batch")
    assert store.verify(token) is None and not store.active()
    with pytest.raises(ConfigError):
        store.create("root")
    with pytest.raises(ConfigError):
        store.revoke("nobody")


def test_cli_keys_create_list_revoke(workspace: Path) -> None:
    runner = CliRunner()
    made = runner.invoke(
        cli_app, ["-w", str(workspace), "keys", "create", "--scope", "admin", "--name", "ops"]
    )
    assert made.exit_code == 0, made.output
    token = made.stdout.strip().splitlines()[-1]
    key = KeyStore(Workspace(workspace)).verify(token)
    assert key is not None and key.scope == "admin" and key.name == "ops"
    listed = runner.invoke(cli_app, ["-w", str(workspace), "keys", "list"])
    assert key.id in listed.stdout and token not in listed.stdout
    assert runner.invoke(cli_app, ["-w", str(workspace), "keys", "revoke", key.id]).exit_code == 0
    assert KeyStore(Workspace(workspace)).verify(token) is None


def test_keys_required_beyond_loopback(workspace: Path) -> None:
    assert ServeConfig(workspace=str(workspace), host="0.0.0.0").auth_required
    assert not ServeConfig(workspace=str(workspace), host="127.0.0.1").auth_required
    assert ServeConfig(workspace=str(workspace), host="::1", require_keys=True).auth_required
    with pytest.raises(ConfigError, match="needs an identity provider"):
        run(ServeConfig(workspace=str(workspace), host="0.0.0.0", port=0))  # refused before binding


def test_401_403_and_scopes(workspace: Path, make_client: Any) -> None:
    store = KeyStore(Workspace(workspace))
    predict_key, _ = store.create("predict")
    admin_key, _ = store.create("admin")
    client = make_client(host="0.0.0.0")  # not bound: TestClient is in process
    assert client.get("/healthz").status_code == 200 and client.get("/readyz").status_code == 200
    for token in (None, "wrong", predict_key + "x"):
        r = _predict(client, token)
        assert (r.status_code, r.json()["code"]) == (401, "unauthorized")
        assert r.headers["www-authenticate"] == "Bearer"
    assert client.get("/v1/models").status_code == 401 and client.get("/metrics").status_code == 401
    assert _predict(client, predict_key).status_code == 200
    r = client.post("/v1/models/prostate:predict", json={"rows": []}, headers={"X-API-Key": predict_key})
    assert r.status_code == 200
    r = client.post("/v1/admin/reload", headers={"Authorization": f"Bearer {predict_key}"})
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")
    assert _predict(client, admin_key).status_code == 200
    store.revoke(store.verify(predict_key).id)  # type: ignore[union-attr]
    assert (
        client.post("/v1/admin/reload", headers={"Authorization": f"Bearer {admin_key}"}).status_code == 200
    )
    assert _predict(client, predict_key).status_code == 401  # revocation seen at the reload


def test_rate_limit_per_key(workspace: Path, make_client: Any) -> None:
    store = KeyStore(Workspace(workspace))
    a, _ = store.create("predict")
    b, _ = store.create("predict")
    client = make_client(require_keys=True, rate_limit=0.01, rate_burst=2)
    assert [_predict(client, a).status_code for _ in range(3)] == [200, 200, 429]
    r = _predict(client, a)
    assert r.json()["code"] == "rate_limited" and int(r.headers["retry-after"]) >= 1
    assert _predict(client, b).status_code == 200  # another key has its own bucket


def test_body_and_row_limits(make_client: Any) -> None:
    client = make_client(max_body_bytes=2000, max_rows=3)
    big = {"rows": [{"AGE": 1, "pad": "x" * 3000}]}
    r = client.post("/v1/models/prostate:predict", json=big)
    assert (r.status_code, r.json()["code"]) == (413, "body_too_large")

    def chunks() -> Any:  # no Content-Length: counted while read
        yield b'{"rows": ['
        for _ in range(100):
            yield json.dumps(PROSTATE_ROW).encode() + b","
        yield b"{}]}"

    r = client.post(
        "/v1/models/prostate:predict", content=chunks(), headers={"content-type": "application/json"}
    )
    assert (r.status_code, r.json()["code"]) == (413, "body_too_large")
    r = _predict(client, body={"rows": [PROSTATE_ROW] * 4})
    assert (r.status_code, r.json()["code"]) == (413, "too_many_rows")
    assert _predict(client, body={"rows": [PROSTATE_ROW] * 3}).status_code == 200
    text = client.get("/metrics").text
    assert 'sparkwing_http_errors_total{code="too_many_rows"' in text
