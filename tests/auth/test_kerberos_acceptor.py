"""NegotiateAcceptor against a real MIT KDC: real tickets, a real keytab, real GSSAPI."""

from __future__ import annotations

import base64
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from kdc_server import client_context, negotiate_header
from sparkwing.auth import NegotiateAcceptor, NegotiateFailed, parse_negotiate
from sparkwing.errors import ConfigError


@pytest.fixture(scope="module")
def acceptor(kdc) -> NegotiateAcceptor:
    return NegotiateAcceptor(kdc.keytab)


def test_a_ticket_gives_the_principal_and_a_mutual_token_the_client_accepts(kdc, acceptor) -> None:
    client = client_context(kdc.user("alice"))
    who = acceptor.accept("Negotiate " + base64.b64encode(client.step()).decode())
    assert who.principal == "alice@SPARKWING.TEST"
    assert who.realm == "SPARKWING.TEST"
    assert who.response_token is not None and who.challenge == f"Negotiate {who.response_token}"
    client.step(base64.b64decode(who.response_token))  # the service proved itself to the client
    assert client.complete


def test_the_scheme_is_case_insensitive(kdc, acceptor) -> None:
    header = negotiate_header(kdc.user("alice"))
    assert acceptor.accept("negotiate" + header[len("Negotiate"):]).principal == "alice@SPARKWING.TEST"


def test_a_replayed_token_is_refused(kdc, acceptor) -> None:
    header = negotiate_header(kdc.user("alice"))
    acceptor.accept(header)
    with pytest.raises(NegotiateFailed, match="refused") as refused:
        acceptor.accept(header)
    assert "replay" in refused.value.reason


def test_a_ticket_for_another_service_is_refused(kdc, acceptor) -> None:
    kdc.add_principal("HTTP/elsewhere")  # a real service, whose key this keytab does not hold
    with pytest.raises(NegotiateFailed, match="^the Kerberos ticket was refused$") as refused:
        acceptor.accept(negotiate_header(kdc.user("alice"), service="HTTP@elsewhere"))
    # GSSAPI's words are for the server's log, not for the client
    assert "HTTP/elsewhere@SPARKWING.TEST not found in keytab" in refused.value.reason


def test_a_named_service_principal_accepts_only_its_own_tickets(kdc, tmp_path: Path) -> None:
    keytab = tmp_path / "two.keytab"
    kdc.add_principal("HTTP/other.test")
    kdc.export_keytab("HTTP/localhost", keytab)
    kdc.export_keytab("HTTP/other.test", keytab)
    only_other = NegotiateAcceptor(keytab, service_principal="HTTP/other.test@SPARKWING.TEST")
    assert only_other.accept(negotiate_header(kdc.user("alice"), service="HTTP@other.test")).principal
    with pytest.raises(NegotiateFailed):
        only_other.accept(negotiate_header(kdc.user("alice")))
    assert NegotiateAcceptor(keytab).accept(negotiate_header(kdc.user("alice"))).principal


@pytest.mark.parametrize("header, message", [
    (None, "no Kerberos ticket"),
    ("", "no Kerberos ticket"),
    ("Bearer swk_abc_def", "scheme is 'Bearer'"),
    ("Negotiate", "empty"),
    ("Negotiate !!!not-base64!!!", "not base64"),
    ("Negotiate " + "A" * 70_000, "over 65536 characters"),
])
def test_malformed_headers_are_refused_before_gssapi(header: str | None, message: str) -> None:
    with pytest.raises(NegotiateFailed, match=message):
        parse_negotiate(header)


@pytest.mark.parametrize("token", [b"garbage", b"\x60\x82\xff\xff" + b"\x00" * 40, b"\x00"])
def test_garbage_tokens_are_refused_not_crashed(acceptor, token: bytes) -> None:
    with pytest.raises(NegotiateFailed, match="refused|more than one round"):
        acceptor.accept("Negotiate " + base64.b64encode(token).decode())


def test_a_missing_keytab_fails_at_start_up(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="missing or unreadable"):
        NegotiateAcceptor(tmp_path / "nope.keytab")


def test_a_principal_absent_from_the_keytab_fails_at_start_up(kdc) -> None:
    with pytest.raises(ConfigError, match="no usable key for HTTP/absent"):
        NegotiateAcceptor(kdc.keytab, service_principal="HTTP/absent@SPARKWING.TEST")


def test_an_empty_keytab_file_fails_at_start_up(tmp_path: Path) -> None:
    (tmp_path / "empty.keytab").write_bytes(b"")
    with pytest.raises(ConfigError, match="no usable key"):
        NegotiateAcceptor(tmp_path / "empty.keytab")


def test_threads_accept_at_the_same_time(kdc, acceptor) -> None:
    headers = [negotiate_header(kdc.user(name)) for name in ("alice", "bob", "carol", "dave") * 4]
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda h: acceptor.accept(h).principal, headers))
    assert got == [f"{n}@SPARKWING.TEST" for n in ("alice", "bob", "carol", "dave") * 4]


def test_without_python_gssapi_the_error_says_what_to_install(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "gssapi", None)  # as if the `kerberos` extra were not installed
    with pytest.raises(ConfigError, match="needs python-gssapi") as missing:
        NegotiateAcceptor(tmp_path / "any.keytab")
    assert "pip install 'sparkwing[kerberos]'" in (missing.value.hint or "")


def test_a_keytab_others_can_read_is_warned_about(kdc, tmp_path: Path, caplog) -> None:
    shared = tmp_path / "shared.keytab"
    shared.write_bytes(kdc.keytab.read_bytes())
    shared.chmod(0o644)
    with caplog.at_level("WARNING", logger="sparkwing.auth"):
        NegotiateAcceptor(shared)
    assert "readable by other users" in caplog.text
    caplog.clear()
    shared.chmod(0o600)
    with caplog.at_level("WARNING", logger="sparkwing.auth"):
        NegotiateAcceptor(shared)
    assert caplog.text == ""
