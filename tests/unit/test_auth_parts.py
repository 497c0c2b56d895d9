"""The parts of sparkwing.auth that need no server: roles, throttling, the audit log, TLS files."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from sparkwing.auth import (
    AuditLog,
    Authenticator,
    Credentials,
    FailureThrottle,
    Identity,
    KeyProvider,
    KeyStore,
    check_tls,
    roles_of,
)
from sparkwing.errors import AuthError, ConfigError
from sparkwing.workspace import Workspace


def test_roles_imply_what_they_should_and_nothing_more() -> None:
    admin = Identity("a", frozenset({"admin"}), "ldap")
    operator = Identity("o", frozenset({"operator"}), "ldap")
    scorer = Identity("s", frozenset({"scorer"}), "key")
    assert all(admin.has(r) for r in ("viewer", "scorer", "operator", "admin"))
    assert operator.has("viewer") and not operator.has("scorer") and not operator.has("admin")
    assert not scorer.has("viewer") and scorer.key == "key:s"
    with pytest.raises(AuthError) as info:
        scorer.require("viewer")
    assert info.value.status == 403
    with pytest.raises(ValueError, match="unknown roles"):
        Identity("x", frozenset({"root"}))
    assert roles_of(["Analysts", "other"], {"analysts": ["viewer"], "ops": ["operator"]}) == {"viewer"}


def test_failures_are_throttled_per_address_for_a_window() -> None:
    now = [0.0]
    throttle = FailureThrottle(2, window=60, clock=lambda: now[0])
    throttle.failed("a")
    throttle.failed("a")
    assert throttle.blocked("a") and not throttle.blocked("b")
    now[0] = 61
    assert not throttle.blocked("a")


def test_api_keys_as_a_provider_and_key_changes_audited(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    store = KeyStore(ws, actor="ops-person")
    token, key = store.create("admin", name="ci")
    auth = Authenticator([KeyProvider(store)], audit=AuditLog(ws), service="serve")
    assert auth.configured
    who = auth.identify(Credentials.from_header(f"Bearer {token}", peer="10.0.0.1"), role="scorer")
    assert (who.name, who.roles, who.source) == (key.id, {"admin"}, "key")
    with pytest.raises(AuthError) as info:
        auth.identify(Credentials.from_header(f"bearer {token}x", peer="10.0.0.1"))
    assert info.value.status == 401 and info.value.challenges == ["Bearer"]
    store.revoke("ci")
    assert not auth.configured  # no active key: nobody could sign in
    events = AuditLog(ws).events()
    assert [(e["event"], e["who"]) for e in events] == [
        ("key_created", "ops-person"), ("sign_in", key.id), ("sign_in_failed", f"key {key.id}"),
        ("key_revoked", "ops-person"),
    ]  # fmt: skip
    text = "".join(p.read_text() for p in (tmp_path / "audit").glob("*.jsonl"))
    assert token.split("_", 2)[2] not in text


def test_the_console_line_of_an_audit_event_is_for_people(tmp_path: Path, caplog) -> None:
    log = AuditLog(Workspace(tmp_path))
    with caplog.at_level(logging.INFO, logger="sparkwing.audit"):
        log.record("promoted", who="alice", service="cli", model="loans", alias="production", version=3)
        log.record("sign_in_failed", who="x\nINFO sparkwing: forged", peer="1.2.3.4", service="ui")
    first, second = (r.getMessage() for r in caplog.records)
    assert first == 'promoted by alice via cli: alias="production" model="loans" version=3'
    assert "\n" not in second and second.startswith('sign_in_failed by "x\\nINFO sparkwing: forged"')


def test_a_name_cannot_forge_an_audit_line(tmp_path: Path) -> None:
    log = AuditLog(Workspace(tmp_path))
    log.record("sign_in_failed", who='x"}\n{"event": "sign_in", "who": "admin', peer="1.2.3.4")
    log.record("sign_in_failed", who="y" * 5000)
    lines = next((tmp_path / "audit").glob("*.jsonl")).read_text().splitlines()
    assert len(lines) == 2 and [json.loads(line)["event"] for line in lines] == ["sign_in_failed"] * 2
    assert len(json.loads(lines[1])["who"]) <= 201
    with pytest.raises(ValueError):
        log.record("made_up", who="x")


def test_tls_files_are_checked_before_binding(tmp_path: Path) -> None:
    from certs import make_tls_files

    one, two = make_tls_files(tmp_path / "one"), make_tls_files(tmp_path / "two")
    check_tls(str(one.cert), str(one.key))
    check_tls(None, None)
    bad = [(str(one.cert), None), (str(one.cert), str(two.key)), (str(tmp_path / "no"), str(one.key))]
    for cert, key in bad:
        with pytest.raises(ConfigError):
            check_tls(cert, key)


class CountingPasswords:
    """A password provider that knows one password and counts how often it is asked."""

    source = "ldap"

    def __init__(self) -> None:
        self.asked = 0

    def check_password(self, user: str, password: str) -> Identity:
        self.asked += 1
        if password != "right":
            raise AuthError("unknown user or wrong password")
        return Identity(user, frozenset({"scorer"}), self.source)


def test_a_right_basic_password_is_remembered_briefly_a_wrong_one_never() -> None:
    import base64

    def basic(password: str) -> Credentials:
        return Credentials.from_header("Basic " + base64.b64encode(f"bob:{password}".encode()).decode(),
                                       peer="127.0.0.1")  # fmt: skip

    now = [0.0]
    passwords = CountingPasswords()
    auth = Authenticator([passwords], remember_basic=60, clock=lambda: now[0])
    for _ in range(3):
        assert auth.identify(basic("right")).name == "bob"
    assert passwords.asked == 1
    for _ in range(2):
        with pytest.raises(AuthError):
            auth.identify(basic("wrong"))
    assert passwords.asked == 3  # every wrong password goes to the directory
    now[0] = 61
    auth.identify(basic("right"))
    assert passwords.asked == 4  # forgotten after a minute: asked again
    never = CountingPasswords()
    off = Authenticator([never], remember_basic=0)
    off.identify(basic("right"))
    off.identify(basic("right"))
    assert never.asked == 2


def test_ui_with_only_header_schemes_answers_401_with_their_challenges(tmp_path: Path) -> None:
    from starlette.requests import Request

    from sparkwing.auth import RateLimiter, Sessions
    from sparkwing.ui._sign_in import SignIn

    store = KeyStore(Workspace(tmp_path))
    token, _ = store.create("admin")
    sign_in = SignIn(Authenticator([KeyProvider(store)]), Sessions(None, 60), RateLimiter(0, 1))

    def request(*headers: tuple[bytes, bytes]) -> Request:
        return Request({"type": "http", "method": "GET", "path": "/", "headers": list(headers),
                        "query_string": b"", "client": ("127.0.0.1", 1), "scheme": "http",
                        "server": ("127.0.0.1", 80)})  # fmt: skip

    with pytest.raises(AuthError) as info:
        sign_in.viewer(request())
    assert info.value.status == 401 and info.value.challenges == ["Bearer"]  # no form to redirect to
    assert sign_in.viewer(request((b"authorization", f"Bearer {token}".encode()))).has("viewer")
