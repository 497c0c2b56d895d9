"""LDAP sign-in against a real slapd (tests/ldap_server.py): passwords, groups, TLS, injection."""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest
from pydantic import ValidationError

from ldap_server import PASSWORDS, Slapd
from sparkwing.auth import LdapProvider
from sparkwing.config import LdapSettings, load_settings
from sparkwing.errors import AuthError, ConfigError

ROLES = {"analysts": ["viewer"], "scorers": ["scorer"], "sparkwing-admins": ["admin"]}


def settings(slapd: Slapd, **kw: Any) -> LdapSettings:
    fields: dict[str, Any] = dict(
        url=slapd.url, user_base=slapd.people, bind_dn=slapd.service_dn,
        bind_password=slapd.service_password, group_base=slapd.groups, roles=ROLES,
    )  # fmt: skip
    fields.update(kw)
    if "user_dn" in kw:
        fields.pop("user_base")
    return LdapSettings(**fields)


def status_of(provider: LdapProvider, user: str, password: str) -> int:
    with pytest.raises(AuthError) as info:
        provider.check_password(user, password)
    return info.value.status


@pytest.fixture(scope="module")
def ldap(slapd: Slapd) -> LdapProvider:
    return LdapProvider(settings(slapd))


def test_right_password_signs_in_with_the_roles_of_the_groups(ldap: LdapProvider) -> None:
    alice = ldap.check_password("alice", PASSWORDS["alice"])
    assert (alice.name, alice.roles, alice.source) == ("alice", frozenset({"viewer"}), "ldap")
    assert ldap.check_password("bob", PASSWORDS["bob"]).roles == {"scorer"}
    assert ldap.check_password(" ALICE ", PASSWORDS["alice"]).name == "alice"  # one identity, one bucket
    dave = ldap.check_password("dave", PASSWORDS["dave"])
    assert dave.roles == {"admin"} and dave.has("viewer") and dave.has("scorer") and dave.has("operator")


def test_wrong_empty_or_unknown_is_401_and_says_the_same(ldap: LdapProvider) -> None:
    for user, password in [("alice", "wrong"), ("alice", PASSWORDS["bob"]), ("nobody", "x"),
                           ("alice", ""), ("", "x"), ("", "")]:  # fmt: skip
        assert status_of(ldap, user, password) == 401, (user, password)
    with pytest.raises(AuthError) as wrong:
        ldap.check_password("alice", "wrong")
    with pytest.raises(AuthError) as unknown:
        ldap.check_password("nobody", "wrong")
    assert wrong.value.message == unknown.value.message  # which names exist is not told


def test_a_user_in_no_mapped_group_is_403(ldap: LdapProvider, slapd: Slapd) -> None:
    assert status_of(ldap, "carol", PASSWORDS["carol"]) == 403
    everyone = LdapProvider(settings(slapd, default_roles=["viewer"]))
    assert everyone.check_password("carol", PASSWORDS["carol"]).roles == {"viewer"}


def test_filter_injection_is_escaped(ldap: LdapProvider, slapd: Slapd) -> None:
    # Unescaped, "(uid=*)(uid=*)" or "(uid=*)" would match every entry (or the first of them).
    for name in ["*", "*)(uid=*", "alice)(|(uid=*", "*)(|(objectClass=*", "al*", "alice\\", "a\x00b"]:
        for password in ["x", PASSWORDS["alice"]]:
            assert status_of(ldap, name, password) == 401, name
    # A real name full of filter characters still signs in: escaped, not refused.
    star = LdapProvider(settings(slapd, default_roles=["viewer"]))
    assert star.check_password("star*)(uid", PASSWORDS["star*)(uid"]).name == "star*)(uid"
    templated = LdapProvider(settings(slapd, user_dn=f"uid={{user}},{slapd.people}", roles=ROLES))
    assert templated.check_password("alice", PASSWORDS["alice"]).roles == {"viewer"}
    assert status_of(templated, "alice,ou=people", PASSWORDS["alice"]) == 401  # RDN-escaped


def test_starttls_and_ldaps_check_the_certificate(slapd: Slapd, tmp_path: Any) -> None:
    for tls in [dict(start_tls=True), dict(url=slapd.ldaps_url)]:
        good = LdapProvider(settings(slapd, ca_file=str(slapd.tls.ca), **tls))
        assert good.check_password("alice", PASSWORDS["alice"]).roles == {"viewer"}
        # A CA that did not sign the server's certificate: refused, as "cannot be asked" (503).
        from certs import make_tls_files

        other = make_tls_files(tmp_path / "other")
        stranger = LdapProvider(settings(slapd, ca_file=str(other.ca), **tls))
        assert status_of(stranger, "alice", PASSWORDS["alice"]) == 503


def test_an_unreachable_directory_is_503_not_a_wrong_password(slapd: Slapd) -> None:
    from servers import free_port

    gone = LdapProvider(settings(slapd, url=f"ldap://127.0.0.1:{free_port()}", connect_timeout=2))
    with pytest.raises(AuthError) as info:
        gone.check_password("alice", PASSWORDS["alice"])
    assert info.value.status == 503 and info.value.transient and PASSWORDS["alice"] not in str(info.value)
    wrong_service = LdapProvider(settings(slapd, bind_password="not-it"))
    assert status_of(wrong_service, "alice", PASSWORDS["alice"]) == 503


def test_a_directory_that_never_answers_times_out(slapd: Slapd) -> None:
    with socket.socket() as silent:  # accepts connections (the kernel does), never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        mute = LdapProvider(settings(slapd, url=f"ldap://127.0.0.1:{port}", connect_timeout=1, timeout=1))
        started = time.monotonic()
        assert status_of(mute, "alice", PASSWORDS["alice"]) == 503
        assert time.monotonic() - started < 30  # bounded by the timeouts, not hanging


def test_settings_refuse_clear_text_beyond_loopback_and_read_secrets(tmp_path: Any, monkeypatch: Any) -> None:
    with pytest.raises(ValidationError, match="clear"):
        LdapSettings(url="ldap://ldap.example.org", user_base="ou=people,dc=x")
    LdapSettings(url="ldap://ldap.example.org", start_tls=True, user_base="ou=people,dc=x")
    LdapSettings(url="ldaps://ldap.example.org", user_base="ou=people,dc=x")
    with pytest.raises(ValidationError, match="exactly one"):
        LdapSettings(url="ldaps://h", user_base="ou=p", user_dn="uid={user},ou=p")
    with pytest.raises(ValidationError, match="needs \\{user\\}"):
        LdapSettings(url="ldaps://h", user_dn="uid=alice,ou=p")
    secret = tmp_path / "bind"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("SPARKWING__AUTH__LDAP__URL", "ldaps://ldap.example.org")
    monkeypatch.setenv("SPARKWING__AUTH__LDAP__USER_BASE", "ou=people,dc=example,dc=org")
    monkeypatch.setenv("SPARKWING__AUTH__LDAP__BIND_PASSWORD", "from-the-env")
    ldap = load_settings().auth.ldap
    assert ldap is not None and ldap.service_password() == "from-the-env"
    assert "from-the-env" not in repr(ldap) and "from-the-env" not in ldap.model_dump_json()
    monkeypatch.setenv("SPARKWING__AUTH__LDAP__BIND_PASSWORD_FILE", str(secret))
    assert load_settings().auth.ldap.service_password() == "from-a-file"  # type: ignore[union-attr]
    monkeypatch.setenv("SPARKWING__AUTH__LDAP__BIND_PASSWORD_FILE", str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings().auth.ldap.service_password()  # type: ignore[union-attr]
