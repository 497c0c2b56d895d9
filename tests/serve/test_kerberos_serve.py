"""Kerberos sign-in to the real ``sparkwing serve`` process, with tickets from a real MIT KDC.

One service for the module (``--require-keys``: sign-in on loopback too), its ``auth.kerberos``
in ``sparkwing.yaml``; clients are ``curl --negotiate`` (as users run it) and httpx with a SPNEGO
token made by python-gssapi from a ``kinit`` ticket.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from conftest import PROSTATE_ROW, build_workspace

from kdc_server import client_context, negotiate_header
from servers import sparkwing_server

PRINCIPALS = {
    "alice@SPARKWING.TEST": ["scorer"],
    "dave@SPARKWING.TEST": ["admin"],
    "bob@SPARKWING.TEST": ["viewer"],  # signs in, but may not score
}


@pytest.fixture(scope="module")
def service(kdc, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``http://localhost:PORT`` of a running service that accepts tickets for HTTP/localhost."""
    home = tmp_path_factory.mktemp("krb-serve")
    build_workspace(home / "ws")
    (home / "sparkwing.yaml").write_text(yaml.safe_dump({
        "workspace": str(home / "ws"),
        # the tests fail on purpose more often than the default 10 a minute from 127.0.0.1
        "auth": {"kerberos": {"keytab": str(kdc.keytab), "principals": PRINCIPALS},
                 "failures_per_minute": 1000},
    }))
    args = ["serve", "--poll", "0", "--require-keys"]
    with sparkwing_server(args, ready="/readyz", timeout=120, cwd=home, env=kdc.variables) as (_, port, _p):
        yield f"http://localhost:{port}"  # the name the ticket is for: HTTP/localhost


def curl(url: str, ccache: Path, *extra: str) -> tuple[int, str]:
    """``curl --negotiate -u :`` with the ticket in ``ccache``: the status and the body."""
    done = subprocess.run(
        ["curl", "-sS", "--negotiate", "-u", ":", "-o", "-", "-w", "\n%{http_code}", *extra, url],
        env={**os.environ, "KRB5CCNAME": f"FILE:{ccache}"}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    body, _, status = done.stdout.rpartition("\n")
    return int(status), body


def test_curl_with_a_ticket_lists_and_scores(kdc, service: str) -> None:
    status, body = curl(f"{service}/v1/models", kdc.user("alice"))
    assert status == 200, body
    assert {m["name"] for m in json.loads(body)["models"]} >= {"prostate", "iris"}
    rows = json.dumps({"rows": [PROSTATE_ROW]})
    status, body = curl(f"{service}/v1/models/prostate:predict", kdc.user("alice"),
                        "-H", "Content-Type: application/json", "--data", rows)
    assert status == 200, body
    assert len(json.loads(body)["predictions"]) == 1


def test_the_answer_proves_the_service_to_the_client(kdc, service: str) -> None:
    client = client_context(kdc.user("alice"))
    answer = httpx.get(f"{service}/v1/models",
                       headers={"Authorization": "Negotiate " + base64.b64encode(client.step()).decode()})
    assert answer.status_code == 200, answer.text
    scheme, _, token = answer.headers["www-authenticate"].partition(" ")
    assert scheme == "Negotiate"
    client.step(base64.b64decode(token))  # mutual authentication: the service had the key
    assert client.complete


def test_no_ticket_is_a_401_that_offers_negotiate(kdc, service: str) -> None:
    answer = httpx.get(f"{service}/v1/models")
    assert answer.status_code == 401
    challenges = answer.headers.get_list("www-authenticate", split_commas=True)
    offered = [c.strip().split(" ")[0] for c in challenges]
    assert "Negotiate" in offered, answer.headers
    # curl with no ticket at all: it cannot answer the challenge, and stays outside
    empty = kdc.root / "nobody.ccache"
    assert curl(f"{service}/v1/models", empty)[0] == 401


def test_a_principal_with_no_role_is_forbidden(kdc, service: str) -> None:
    answer = httpx.get(f"{service}/v1/models", headers={"Authorization": negotiate_header(kdc.user("carol"))})
    assert answer.status_code == 403, answer.text
    assert "carol@SPARKWING.TEST" in answer.json()["message"]


def test_a_principal_without_the_routes_role_is_forbidden(kdc, service: str) -> None:
    status, body = curl(f"{service}/v1/models", kdc.user("bob"))  # viewer: may not score
    assert status == 403, body
    status, _ = curl(f"{service}/v1/admin/reload", kdc.user("alice"), "-X", "POST")  # scorer: not admin
    assert status == 403
    status, body = curl(f"{service}/v1/admin/reload", kdc.user("dave"), "-X", "POST")
    assert status == 200, body


@pytest.mark.parametrize("header", [
    "Negotiate " + base64.b64encode(b"garbage").decode(),
    "Negotiate " + base64.b64encode(b"\x60\x82\xff\xff" + b"\x00" * 64).decode(),
    "Negotiate %%%not-base64%%%",
    "Negotiate",
])
def test_a_garbage_token_is_a_401_not_a_500(service: str, header: str) -> None:
    answer = httpx.get(f"{service}/v1/models", headers={"Authorization": header})
    assert answer.status_code == 401, answer.text
    assert "Negotiate" in answer.headers["www-authenticate"]
    assert answer.json()["code"] == "unauthorized"


def test_a_ticket_for_another_service_is_refused(kdc, service: str) -> None:
    kdc.add_principal("HTTP/other.example")
    header = negotiate_header(kdc.user("alice"), service="HTTP@other.example")
    answer = httpx.get(f"{service}/v1/models", headers={"Authorization": header})
    assert answer.status_code == 401
    assert "other.example" not in answer.text  # GSSAPI's reason is for the server's log only
