"""The REST service with LDAP sign-in (HTTP Basic) and API keys: roles, TLS, limits, audit."""

from __future__ import annotations

import base64
import json
import ssl
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import PROSTATE_ROW
from fastapi.testclient import TestClient

from ldap_server import PASSWORDS, Slapd
from servers import sparkwing_server
from sparkwing.auth import AuditLog, KeyStore
from sparkwing.config import AuthSettings
from sparkwing.serve import ServeConfig, create_app
from sparkwing.workspace import Workspace

ROLES = {"analysts": ["viewer"], "scorers": ["scorer"], "sparkwing-admins": ["admin"]}


def ldap_auth(slapd: Slapd, **kw: Any) -> AuthSettings:
    ldap = dict(url=slapd.url, start_tls=True, ca_file=str(slapd.tls.ca), user_base=slapd.people,
                bind_dn=slapd.service_dn, bind_password=slapd.service_password, group_base=slapd.groups,
                roles=ROLES)  # fmt: skip
    return AuthSettings(ldap=ldap, **kw)


def basic(user: str, password: str | None = None) -> dict[str, str]:
    raw = f"{user}:{PASSWORDS.get(user, '') if password is None else password}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def predict(client: Any, headers: dict[str, str]) -> Any:
    return client.post("/v1/models/prostate:predict", json={"rows": [PROSTATE_ROW]}, headers=headers)


@pytest.fixture()
def signed(workspace: Path, slapd: Slapd) -> Any:
    """``signed(peer=..., **config)``: a started in-process app that asks LDAP (and keys)."""
    clients: list[TestClient] = []

    def make(peer: str = "127.0.0.1", **kw: Any) -> TestClient:
        kw.setdefault("auth", ldap_auth(slapd))
        app = create_app(ServeConfig(workspace=str(workspace), require_keys=True, poll_interval=0, **kw))
        client = TestClient(app, raise_server_exceptions=False, client=(peer, 50000))
        client.__enter__()
        clients.append(client)
        assert app.state.service.wait_ready(30)
        return client

    yield make
    for c in clients:
        c.__exit__(None, None, None)


def test_basic_sign_in_maps_groups_to_roles(signed: Any, workspace: Path) -> None:
    client = signed()
    assert predict(client, basic("bob")).status_code == 200  # scorer
    assert predict(client, basic("dave")).status_code == 200  # admin includes scorer
    assert client.post("/v1/admin/reload", headers=basic("dave")).status_code == 200
    for who, expected in [("alice", 403), ("carol", 403)]:  # viewer only; no mapped group
        r = predict(client, basic(who))
        assert (r.status_code, r.json()["code"]) == (expected, "forbidden"), who
    assert client.post("/v1/admin/reload", headers=basic("bob")).status_code == 403
    for headers in [basic("bob", "wrong"), basic("bob", ""), basic("*)(uid=*", "x"), basic("*", "bob-pw"),
                    {"Authorization": "Basic !!!"}, {"Authorization": "Digest x"}, {}]:  # fmt: skip
        r = predict(client, headers)
        assert (r.status_code, r.json()["code"]) == (401, "unauthorized"), headers
        assert r.headers["www-authenticate"] == 'Bearer, Basic realm="sparkwing", charset="UTF-8"'
    token, _ = KeyStore(Workspace(workspace)).create("predict")  # keys still work beside LDAP
    client.post("/v1/admin/reload", headers=basic("dave"))
    assert predict(client, {"Authorization": f"Bearer {token}"}).status_code == 200


def test_basic_needs_tls_beyond_loopback(signed: Any) -> None:
    remote = signed(peer="10.1.2.3")
    r = predict(remote, basic("bob"))
    assert r.status_code == 401 and "TLS" in r.json()["message"]


def test_sign_ins_and_failures_are_audited_without_secrets(signed: Any, workspace: Path) -> None:
    client = signed()
    predict(client, basic("bob"))
    predict(client, basic("bob"))  # a REST client signs in on every request: audited once
    predict(client, basic("alice", "not-alices-password"))
    predict(client, basic("carol"))
    events = AuditLog(Workspace(workspace)).events()
    seen = [(e["event"], e["who"], e["from"], e["source"], e["service"]) for e in events]
    assert seen == [
        ("sign_in", "bob", "127.0.0.1", "ldap", "serve"),
        ("sign_in_failed", "alice", "127.0.0.1", "ldap", "serve"),
        ("forbidden", "carol", "127.0.0.1", "ldap", "serve"),
    ]
    assert all(e["time"].endswith("+00:00") for e in events)
    text = "".join(p.read_text() for p in (workspace / "audit").glob("*.jsonl"))
    assert not [pw for pw in PASSWORDS.values() if pw in text] and "not-alices-password" not in text


def test_failed_sign_ins_are_throttled_per_address(signed: Any, slapd: Slapd, workspace: Path) -> None:
    here = signed(peer="127.0.0.1", auth=ldap_auth(slapd, failures_per_minute=3))
    codes = [predict(here, basic("bob", "guess")).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    assert predict(here, basic("bob")).status_code == 429  # even the right password, for a minute
    elsewhere = TestClient(here.app, client=("127.0.0.2", 50000))  # the same service, another address
    assert predict(elsewhere, basic("bob")).status_code == 200
    events = [e["event"] for e in AuditLog(Workspace(workspace)).events()]
    assert events == ["sign_in_failed"] * 3 + ["throttled", "sign_in"]  # throttled: once a minute


def test_rate_limits_count_per_identity(signed: Any) -> None:
    client = signed(rate_limit=0.001, rate_burst=2)
    assert [predict(client, basic("bob")).status_code for _ in range(3)] == [200, 200, 429]
    assert predict(client, basic("dave")).status_code == 200  # another identity, another bucket


def test_rest_over_tls_with_a_real_handshake(workspace: Path, slapd: Slapd, tmp_path: Path) -> None:
    from certs import make_tls_files

    tls = make_tls_files(tmp_path / "tls")
    env = {
        "SPARKWING__AUTH__LDAP__URL": slapd.ldaps_url,
        "SPARKWING__AUTH__LDAP__CA_FILE": str(slapd.tls.ca),
        "SPARKWING__AUTH__LDAP__USER_BASE": slapd.people,
        "SPARKWING__AUTH__LDAP__BIND_DN": slapd.service_dn,
        "SPARKWING__AUTH__LDAP__BIND_PASSWORD": slapd.service_password,
        "SPARKWING__AUTH__LDAP__GROUP_BASE": slapd.groups,
        "SPARKWING__AUTH__LDAP__ROLES": '{"scorers": ["scorer"]}',
    }
    args = ["serve", "-w", str(workspace), "--poll", "0", "--require-keys", "--score-workers", "1",
            "--tls-cert", str(tls.cert), "--tls-key", str(tls.key)]  # fmt: skip
    with sparkwing_server(args, ready="/readyz", env=env, ca=tls.ca) as (base, port, _):
        trust = ssl.create_default_context(cafile=str(tls.ca))
        with httpx.Client(base_url=base, verify=trust) as https:
            assert predict(https, basic("bob")).status_code == 200
            assert predict(https, basic("bob", "wrong")).status_code == 401
        with pytest.raises(httpx.ConnectError):  # the system's CAs do not know this certificate
            httpx.get(base + "/healthz")
        with pytest.raises(httpx.TransportError):  # plain http to the TLS port: no answer
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
    events = AuditLog(Workspace(workspace)).events()
    assert [(e["event"], e["who"]) for e in events] == [("sign_in", "bob"), ("sign_in_failed", "bob")]



def test_promotions_and_key_changes_from_the_cli_are_audited(workspace: Path) -> None:
    from typer.testing import CliRunner

    from sparkwing.cli import app as cli_app

    runner = CliRunner()
    for args in (["models", "promote", "prostate", "2", "production", "--reason", "better auc"],
                 ["keys", "create", "--name", "batch"], ["keys", "revoke", "batch"]):  # fmt: skip
        made = runner.invoke(cli_app, ["-w", str(workspace), *args])
        assert made.exit_code == 0, made.output
    events = AuditLog(Workspace(workspace)).events()
    assert [e["event"] for e in events] == ["promoted", "key_created", "key_revoked"]
    promoted = events[0]
    assert (promoted["model"], promoted["alias"], promoted["version"], promoted["service"]) == (
        "prostate", "production", 2, "cli")
    assert promoted["who"] and promoted["from"] and promoted["reason"] == "better auc"
    shown = runner.invoke(cli_app, ["-w", str(workspace), "audit", "--json", "-e", "promoted"])
    assert shown.exit_code == 0 and [json.loads(line)["event"] for line in shown.stdout.splitlines()] == [
        "promoted"]
    table = runner.invoke(cli_app, ["-w", str(workspace), "audit"])
    assert table.exit_code == 0 and "key_revoked" in table.stdout and "model=prostate" in table.stdout
    assert runner.invoke(cli_app, ["-w", str(workspace), "audit", "--day", "yesterday"]).exit_code == 2


def test_worker_processes_get_the_ldap_password_in_their_private_file(workspace: Path, slapd: Slapd) -> None:
    from sparkwing.serve._server import _clear_text

    config = ServeConfig(workspace=str(workspace), auth=ldap_auth(slapd))
    assert slapd.service_password not in config.model_dump_json()  # stars, in any ordinary dump
    back = ServeConfig.model_validate_json(json.dumps(config.model_dump(), default=_clear_text))
    assert back.auth.ldap is not None and back.auth.ldap.service_password() == slapd.service_password


def test_beyond_loopback_needs_an_identity_provider(workspace: Path, slapd: Slapd) -> None:
    from sparkwing.auth import Authenticator, providers_from
    from sparkwing.errors import ConfigError
    from sparkwing.serve import run

    keys = KeyStore(Workspace(workspace))
    assert not Authenticator(providers_from(AuthSettings(), keys)).configured  # no key, no LDAP
    with pytest.raises(ConfigError, match="needs an identity provider"):
        run(ServeConfig(workspace=str(workspace), host="0.0.0.0", port=0))  # refused before binding
    assert Authenticator(providers_from(ldap_auth(slapd), keys)).configured  # LDAP is one
    keys.create("predict")
    assert Authenticator(providers_from(AuthSettings(), keys)).configured  # an active key is one
