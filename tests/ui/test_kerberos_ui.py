"""Kerberos sign-in to the real ``sparkwing ui`` process, with tickets from a real MIT KDC.

A page without a session answers 401 with ``WWW-Authenticate: Negotiate`` (a browser offers a
ticket only when challenged); a ticket whose principal may view gets the page and a session
cookie, so the next pages need no new ticket.
"""

from __future__ import annotations

import base64
import os
import re
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from kdc_server import client_context, negotiate_header
from servers import sparkwing_server

PRINCIPALS = {"alice@SPARKWING.TEST": ["viewer"], "sam@SPARKWING.TEST": ["scorer"]}


@pytest.fixture(scope="module")
def ui(kdc, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("krb-ui")
    (home / "ws").mkdir()
    (home / "sparkwing.yaml").write_text(yaml.safe_dump({
        "workspace": str(home / "ws"),
        # the tests fail on purpose more often than the default 10 a minute from 127.0.0.1
        "auth": {"kerberos": {"keytab": str(kdc.keytab), "principals": PRINCIPALS},
                 "failures_per_minute": 1000},
    }))  # fmt: skip
    with sparkwing_server(["ui"], ready="/healthz", stop=signal.SIGTERM, cwd=home, env=kdc.variables) as (
            _, port, _p):
        yield f"http://localhost:{port}"


def test_a_page_without_a_session_challenges_for_negotiate(ui: str) -> None:
    answer = httpx.get(f"{ui}/")
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Negotiate"
    assert answer.headers["content-type"].startswith("text/html")


def test_curl_with_a_ticket_gets_the_page_and_a_session(kdc, ui: str, tmp_path: Path) -> None:
    jar = tmp_path / "cookies.txt"
    done = subprocess.run(
        ["curl", "-sS", "--negotiate", "-u", ":", "-c", str(jar), "-o", "/dev/null", "-w", "%{http_code}",
         f"{ui}/"], env={**os.environ, "KRB5CCNAME": f"FILE:{kdc.user('alice')}"},
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert done.stdout == "200", done.stderr
    assert "sparkwing_session" in jar.read_text()
    # the cookie alone, no ticket: still signed in
    again = subprocess.run(["curl", "-sS", "-b", str(jar), "-o", "/dev/null", "-w", "%{http_code}", f"{ui}/"],
                           capture_output=True, text=True, timeout=60, check=True)
    assert again.stdout == "200"


def test_the_answer_proves_the_ui_to_the_client(kdc, ui: str) -> None:
    client = client_context(kdc.user("alice"))
    token = base64.b64encode(client.step()).decode()
    answer = httpx.get(f"{ui}/", headers={"Authorization": f"Negotiate {token}"})
    assert answer.status_code == 200
    client.step(base64.b64decode(answer.headers["www-authenticate"].split(" ", 1)[1]))
    assert client.complete
    assert "sparkwing_session" in answer.headers["set-cookie"]


@pytest.mark.parametrize("who", ["carol", "sam"])  # carol: not in the map; sam: a scorer, not a viewer
def test_a_principal_who_may_not_view_is_forbidden(kdc, ui: str, who: str) -> None:
    answer = httpx.get(f"{ui}/", headers={"Authorization": negotiate_header(kdc.user(who))})
    assert answer.status_code == 403, answer.text
    assert "set-cookie" not in answer.headers


def test_a_garbage_token_is_a_401_not_a_500(ui: str) -> None:
    garbage = base64.b64encode(b"x" * 50).decode()
    answer = httpx.get(f"{ui}/", headers={"Authorization": f"Negotiate {garbage}"})
    assert answer.status_code == 401
    assert "Negotiate" in answer.headers["www-authenticate"]



def test_with_ldap_too_the_challenge_carries_the_sign_in_form(kdc, slapd, tmp_path: Path) -> None:
    """A browser without a ticket shows the 401's body: the password form, which still signs in."""
    from fastapi.testclient import TestClient

    from ldap_server import PASSWORDS
    from sparkwing.auth import SESSION_COOKIE
    from sparkwing.config import AuthSettings
    from sparkwing.ui import UiConfig, create_app

    settings = AuthSettings(
        ldap={"url": slapd.url, "user_dn": f"uid={{user}},{slapd.people}", "group_base": slapd.groups,
              "roles": {"analysts": ["viewer"]}},
        kerberos={"keytab": str(kdc.keytab), "principals": PRINCIPALS},
    )  # fmt: skip
    app = create_app(UiConfig(workspace=str(tmp_path / "ws"), auth=settings))
    ui = TestClient(app, follow_redirects=False)
    page = ui.get("/models")
    assert page.status_code == 401
    assert page.headers["www-authenticate"] == "Negotiate"  # no Basic: the browser shows the form
    assert 'name="password" type="password"' in page.text and 'name="next" value="/models"' in page.text
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token is not None
    signed = ui.post("/login", data={"user": "alice", "password": PASSWORDS["alice"], "csrf": token.group(1),
                                     "next": "/models"})  # fmt: skip
    assert signed.status_code == 303 and SESSION_COOKIE in signed.headers["set-cookie"]
    assert ui.get("/models").status_code == 200
    fresh = TestClient(app, follow_redirects=False)  # another browser, with a ticket this time
    answer = fresh.get("/models", headers={"Authorization": negotiate_header(kdc.user("alice"))})
    assert answer.status_code == 200
    assert re.search(r'action="/logout".*name="csrf" value="[^"]+"', answer.text, re.S)  # sign-out works
