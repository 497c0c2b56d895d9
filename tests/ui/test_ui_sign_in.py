"""The UI's sign-in against a real slapd: the form, its CSRF token, the signed cookie, sign-out."""

from __future__ import annotations

import re
import ssl
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from ldap_server import PASSWORDS, Slapd
from servers import sparkwing_server
from sparkwing.auth import CSRF_COOKIE, SESSION_COOKIE, AuditLog
from sparkwing.config import AuthSettings
from sparkwing.errors import ConfigError
from sparkwing.ui import UiConfig, create_app
from sparkwing.ui._app import sign_in_for
from sparkwing.workspace import Workspace

SECRET = "test-session-key"
ROLES = {"analysts": ["viewer"], "scorers": ["scorer"], "sparkwing-admins": ["admin"]}


def auth(slapd: Slapd) -> AuthSettings:
    return AuthSettings(
        ldap=dict(url=slapd.url, user_dn=f"uid={{user}},{slapd.people}", group_base=slapd.groups,
                  roles=ROLES),
        session={"secret": SECRET, "max_age": 600},
    )  # fmt: skip


@pytest.fixture()
def ui(tmp_path: Path, slapd: Slapd) -> TestClient:
    config = UiConfig(workspace=str(tmp_path / "ws"), auth=auth(slapd))
    return TestClient(create_app(config), follow_redirects=False)


def form_token(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def sign_in(ui: TestClient, user: str, password: str | None = None, **extra: str) -> httpx.Response:
    form = ui.get("/login")
    fields = {"user": user, "password": PASSWORDS.get(user, "") if password is None else password,
              "csrf": form_token(form.text), **extra}  # fmt: skip
    return ui.post("/login", data=fields)


def test_pages_send_a_browser_to_the_form_which_has_a_csrf_token(ui: TestClient) -> None:
    r = ui.get("/models")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/models"
    form = ui.get("/login?next=/models")
    assert form.status_code == 200 and 'name="password" type="password"' in form.text
    assert 'name="next" value="/models"' in form.text and form_token(form.text)
    cookie = form.headers["set-cookie"]
    assert cookie.startswith(f"{CSRF_COOKIE}=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "form-action 'self'" in form.headers["content-security-policy"]
    assert ui.get("/healthz").status_code == 200 and ui.get("/static/ui.css").status_code == 200


def test_right_password_gets_a_signed_expiring_session(ui: TestClient) -> None:
    r = sign_in(ui, "alice", next="/models")
    assert r.status_code == 303 and r.headers["location"] == "/models"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Max-Age=600" in cookie and PASSWORDS["alice"] not in cookie
    page = ui.get("/models")
    assert page.status_code == 200 and "alice" in page.text and 'action="/logout"' in page.text
    assert ui.get("/login").status_code == 303  # signed in already


def test_wrong_empty_injected_or_roleless_sign_ins_are_refused(ui: TestClient) -> None:
    for user, password, status in [("alice", "wrong", 401), ("alice", "", 401), ("*)(uid=*", "x", 401),
                                   ("*", PASSWORDS["alice"], 401), ("carol", None, 403), ("bob", None, 403)]:
        r = sign_in(ui, user, password)
        assert r.status_code == status, user
        assert SESSION_COOKIE not in r.headers.get("set-cookie", ""), user
        assert 'action="/login"' in r.text  # the form again, with the reason
    assert ui.get("/").status_code == 303


def test_a_form_without_its_csrf_token_is_refused(ui: TestClient, tmp_path: Path, slapd: Slapd) -> None:
    ui.get("/login")
    for token in [None, "forged", _other_token(tmp_path, slapd)]:
        fields = {"user": "alice", "password": PASSWORDS["alice"], **({"csrf": token} if token else {})}
        r = ui.post("/login", data=fields)
        assert r.status_code == 403 and SESSION_COOKIE not in r.headers.get("set-cookie", "")
    ui.cookies.clear()  # a page of another site can post, but it has no CSRF cookie of ours
    assert ui.post("/login", data={"user": "alice", "password": PASSWORDS["alice"],
                                   "csrf": _other_token(tmp_path, slapd)}).status_code == 403  # fmt: skip
    big = ui.post("/login", content=b"user=" + b"a" * 20_000,
                  headers={"content-type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert big.status_code == 413


def _other_token(tmp_path: Path, slapd: Slapd) -> str:
    """A valid form token of another browser's page (its own CSRF nonce)."""
    other = TestClient(create_app(UiConfig(workspace=str(tmp_path / "ws"), auth=auth(slapd))))
    return form_token(other.get("/login").text)


def test_tampered_or_expired_cookies_are_no_session(ui: TestClient) -> None:
    sign_in(ui, "alice")
    good = ui.cookies[SESSION_COOKIE]
    _only_cookie(ui, good[:-2] + ("AA" if not good.endswith("AA") else "BB"))
    assert ui.get("/").status_code == 303
    forged = URLSafeTimedSerializer("not-the-key", salt="sparkwing.ui.session").dumps(
        {"n": "mallory", "r": ["admin"], "s": "ldap", "c": "x"})
    _only_cookie(ui, forged)
    assert ui.get("/").status_code == 303

    class Old(TimestampSigner):  # signs as if 601 s ago; the session lasts 600 s
        def get_timestamp(self) -> int:
            return int(time.time()) - 601

    expired = URLSafeTimedSerializer(SECRET, salt="sparkwing.ui.session", signer=Old).dumps(
        {"n": "alice", "r": ["viewer"], "s": "ldap", "c": "x"})
    _only_cookie(ui, expired)
    assert ui.get("/").status_code == 303
    fresh = URLSafeTimedSerializer(SECRET, salt="sparkwing.ui.session").dumps(
        {"n": "alice", "r": ["viewer"], "s": "ldap", "c": "x"})
    _only_cookie(ui, fresh)
    assert ui.get("/").status_code == 200  # the same cookie, in time: in


def _only_cookie(ui: TestClient, value: str) -> None:
    ui.cookies.clear()
    ui.cookies.set(SESSION_COOKIE, value)


def test_sign_out_needs_the_session_csrf_token(ui: TestClient) -> None:
    sign_in(ui, "alice")
    page = ui.get("/")
    assert ui.post("/logout", data={"csrf": "forged"}).status_code == 403
    r = ui.post("/logout", data={"csrf": form_token(page.text)})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert f'{SESSION_COOKIE}=""' in r.headers["set-cookie"] and ui.get("/").status_code == 303


def test_next_never_leaves_the_site(ui: TestClient) -> None:
    for target in ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"]:
        r = sign_in(ui, "alice", next=target)
        assert r.status_code == 303 and r.headers["location"] == "/", target
        ui.cookies.clear()


def test_ui_sign_ins_are_audited(ui: TestClient, tmp_path: Path) -> None:
    sign_in(ui, "alice", "wrong")
    sign_in(ui, "carol")
    sign_in(ui, "alice")
    ui.post("/logout", data={"csrf": form_token(ui.get("/").text)})
    events = AuditLog(Workspace(tmp_path / "ws")).events()
    assert [(e["event"], e["who"], e["from"], e["service"]) for e in events] == [
        ("sign_in_failed", "alice", "testclient", "ui"), ("forbidden", "carol", "testclient", "ui"),
        ("sign_in", "alice", "testclient", "ui"), ("sign_out", "alice", "testclient", "ui"),
    ]  # fmt: skip
    assert events[2]["roles"] == ["viewer"] and events[0]["reason"] == "unknown user or wrong password"


def test_basic_to_the_ui_needs_the_viewer_role(ui: TestClient, tmp_path: Path) -> None:
    import base64

    def basic(user: str) -> dict[str, str]:
        return {"Authorization": "Basic " + base64.b64encode(f"{user}:{PASSWORDS[user]}".encode()).decode()}

    assert ui.get("/", headers=basic("alice")).status_code == 200  # a script, not a browser
    assert ui.get("/", headers=basic("bob")).status_code == 403  # a scorer, not a viewer
    events = AuditLog(Workspace(tmp_path / "ws")).events()
    assert [(e["event"], e["who"]) for e in events] == [("sign_in", "alice"), ("forbidden", "bob")]


def test_the_form_takes_passwords_over_tls_only_beyond_loopback(ui: TestClient) -> None:
    remote = TestClient(ui.app, follow_redirects=False, client=("10.0.0.9", 50000))
    r = sign_in(remote, "alice")
    assert r.status_code == 401 and "TLS" in r.text and SESSION_COOKIE not in r.headers.get("set-cookie", "")


def test_pages_are_rate_limited_per_identity(tmp_path: Path, slapd: Slapd) -> None:
    config = UiConfig(workspace=str(tmp_path / "ws"), auth=auth(slapd), rate_limit=0.001, rate_burst=2)
    alice = TestClient(create_app(config), follow_redirects=False)
    dave = TestClient(alice.app, follow_redirects=False)  # the same UI, another browser
    sign_in(alice, "alice")
    sign_in(dave, "dave")
    assert [alice.get("/").status_code for _ in range(3)] == [200, 200, 429]
    assert dave.get("/").status_code == 200  # another identity, another bucket


def test_beyond_loopback_only_with_a_login(tmp_path: Path, slapd: Slapd) -> None:
    ws = Workspace(tmp_path / "ws")
    open_ui = UiConfig(workspace=ws.root, host="0.0.0.0")
    assert sign_in_for(open_ui, ws) is None
    with pytest.raises(ConfigError, match="no login"):
        open_ui.check(auth=False)
    guarded = UiConfig(workspace=ws.root, host="0.0.0.0", auth=auth(slapd))
    assert sign_in_for(guarded, ws) is not None
    guarded.check(auth=True)


def test_ui_over_tls_with_a_real_handshake(tmp_path: Path, slapd: Slapd) -> None:
    from certs import make_tls_files

    tls = make_tls_files(tmp_path / "tls")
    env = {"SPARKWING__AUTH__LDAP__URL": slapd.url,
           "SPARKWING__AUTH__LDAP__USER_DN": f"uid={{user}},{slapd.people}",
           "SPARKWING__AUTH__LDAP__GROUP_BASE": slapd.groups,
           "SPARKWING__AUTH__LDAP__ROLES": '{"analysts": ["viewer"]}'}  # fmt: skip
    args = ["ui", "-w", str(tmp_path / "ws"), "--tls-cert", str(tls.cert), "--tls-key", str(tls.key)]
    with sparkwing_server(args, ready="/healthz", env=env, ca=tls.ca) as (base, _, _):
        trust = ssl.create_default_context(cafile=str(tls.ca))
        with httpx.Client(base_url=base, verify=trust, follow_redirects=False) as https:
            form = https.get("/login")
            assert "Secure" in form.headers["set-cookie"]
            r = https.post("/login", data={"user": "alice", "password": PASSWORDS["alice"],
                                           "csrf": form_token(form.text)})  # fmt: skip
            assert r.status_code == 303 and "Secure" in r.headers["set-cookie"]
            assert https.get("/").status_code == 200
        with pytest.raises(httpx.ConnectError):
            httpx.get(base + "/healthz")  # an unknown CA: the handshake fails
