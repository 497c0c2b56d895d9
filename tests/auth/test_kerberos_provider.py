"""KerberosProvider against a real MIT KDC: tickets become identities with roles, or 401/403."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kdc_server import client_context, negotiate_header
from sparkwing.auth import AuditLog, KeyStore, providers_from
from sparkwing.auth._authenticator import Authenticator
from sparkwing.auth._identity import Credentials
from sparkwing.auth._kerberos import KerberosProvider, NegotiateFailed
from sparkwing.auth._ldap import LdapProvider
from sparkwing.config import AuthSettings, KerberosSettings, LdapSettings
from sparkwing.errors import AuthError, ConfigError
from sparkwing.workspace import Workspace

PRINCIPALS = {"alice@SPARKWING.TEST": ["admin"], "bob@SPARKWING.TEST": ["viewer"]}


@pytest.fixture(scope="module")
def provider(kdc) -> KerberosProvider:
    return KerberosProvider(KerberosSettings(keytab=str(kdc.keytab), principals=PRINCIPALS))


def offer(header: str) -> Credentials:
    return Credentials.from_header(header, peer="127.0.0.1")


def test_a_mapped_principal_gets_its_roles_and_the_mutual_token(kdc, provider) -> None:
    client = client_context(kdc.user("alice"))
    creds = offer("Negotiate " + base64.b64encode(client.step()).decode())
    who = provider.authenticate(creds)
    assert (who.name, who.roles, who.source) == ("alice@SPARKWING.TEST", {"admin"}, "kerberos")
    assert creds.claimed == "alice@SPARKWING.TEST"
    scheme, token = creds.reply["WWW-Authenticate"].split(" ")
    assert scheme == "Negotiate"
    client.step(base64.b64decode(token))
    assert client.complete


def test_a_principal_without_a_role_is_forbidden(kdc, provider) -> None:
    with pytest.raises(AuthError, match="carol@SPARKWING.TEST signed in .* no role") as no:
        provider.authenticate(offer(negotiate_header(kdc.user("carol"))))
    assert no.value.status == 403


def test_a_garbage_token_is_a_401_that_offers_negotiate_again(provider) -> None:
    with pytest.raises(NegotiateFailed) as bad:
        provider.authenticate(offer("Negotiate " + base64.b64encode(b"garbage").decode()))
    assert (bad.value.status, bad.value.challenges) == (401, ["Negotiate"])


def test_the_authenticator_asks_kerberos_for_negotiate_and_offers_it(kdc, provider) -> None:
    auth = Authenticator([provider])
    assert auth.identify(offer(negotiate_header(kdc.user("bob")))).roles == {"viewer"}
    with pytest.raises(AuthError) as none:
        auth.identify(None)
    assert none.value.status == 401 and "Negotiate" in none.value.challenges


def test_a_principals_file_adds_entries_and_the_settings_win(kdc, tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text('"@SPARKWING.TEST": [viewer]\nalice@SPARKWING.TEST: [viewer]\n')
    settings = KerberosSettings(keytab=str(kdc.keytab), principals_file=str(tmp_path / "p.yaml"),
                                principals={"alice@SPARKWING.TEST": ["operator"]})
    provider = KerberosProvider(settings)
    assert provider.principals.roles("alice@SPARKWING.TEST") == {"operator"}
    assert provider.principals.roles("zed@SPARKWING.TEST") == {"viewer"}


def test_bad_settings_fail_at_start_up(kdc, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ldap_realms needs auth.ldap"):
        KerberosProvider(KerberosSettings(keytab=str(kdc.keytab), ldap_realms=["SPARKWING.TEST"]))
    with pytest.raises(ConfigError, match="missing or unreadable"):
        KerberosProvider(KerberosSettings(keytab=str(tmp_path / "none.keytab")))
    with pytest.raises(ValueError, match="'alice' is not NAME@REALM"):
        KerberosSettings(keytab="k", principals={"alice": ["admin"]})
    with pytest.raises(ValueError, match="viewer"):
        KerberosSettings(keytab="k", principals={"alice@X": ["root"]})


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from ldap_server import running_slapd

    with running_slapd(tmp_path_factory.mktemp("slapd-krb")) as slapd:
        yield slapd


def test_principals_of_an_ldap_realm_get_their_groups_roles(kdc, directory) -> None:
    ldap = LdapProvider(LdapSettings(
        url=directory.url, user_base=directory.people, bind_dn=directory.service_dn,
        bind_password=directory.service_password, group_base=directory.groups,
        roles={"analysts": ["viewer"], "scorers": ["scorer"]},
    ))  # fmt: skip
    provider = KerberosProvider(
        KerberosSettings(keytab=str(kdc.keytab), ldap_realms=["SPARKWING.TEST"],
                         principals={"bob@SPARKWING.TEST": ["operator"]}),
        directory=ldap,
    )  # fmt: skip
    assert provider.authenticate(offer(negotiate_header(kdc.user("alice")))).roles == {"viewer"}
    assert provider.authenticate(offer(negotiate_header(kdc.user("bob")))).roles == {"operator", "scorer"}
    for nobody in ("carol", "erin"):  # carol: a group with no role; erin: not in the directory
        with pytest.raises(AuthError, match="no role") as no:
            provider.authenticate(offer(negotiate_header(kdc.user(nobody))))
        assert no.value.status == 403
    kdc.add_principal("alice/admin", "pw")  # alice/admin is not LDAP's alice
    ccache = kdc.root / "alice-admin.ccache"
    kdc.kinit("alice/admin", "pw", ccache)
    with pytest.raises(AuthError, match="no role"):
        provider.authenticate(offer(negotiate_header(ccache)))


def test_kerberos_settings_make_a_configured_provider_chain(kdc, tmp_path: Path) -> None:
    """With only auth.kerberos, serve and ui count as having a login (so they may bind beyond loopback)."""
    settings = AuthSettings(kerberos={"keytab": str(kdc.keytab), "principals": PRINCIPALS})
    chain = providers_from(settings, KeyStore(Workspace(str(tmp_path / "ws"))))
    assert [p.source for p in chain] == ["key", "kerberos"]
    assert Authenticator(chain).configured
    assert "Negotiate" in Authenticator(chain).challenges


def test_the_audit_log_has_gssapis_reason_and_the_principal(kdc, provider, tmp_path: Path) -> None:
    audit = AuditLog(Workspace(str(tmp_path / "ws")))
    auth = Authenticator([provider], audit=audit, service="serve")
    header = negotiate_header(kdc.user("alice"))
    assert auth.identify(offer(header)).name == "alice@SPARKWING.TEST"
    with pytest.raises(NegotiateFailed, match="^the Kerberos ticket was refused$"):
        auth.identify(offer(header))  # the same token again
    with pytest.raises(AuthError):
        auth.identify(offer(negotiate_header(kdc.user("carol"))))
    events = [(e["event"], e["who"], e["source"], e.get("reason", "")) for e in audit.events()]
    assert events[0][:3] == ("sign_in", "alice@SPARKWING.TEST", "kerberos")
    assert events[1][0] == "sign_in_failed" and "replay" in events[1][3]
    assert events[2][:3] == ("forbidden", "carol@SPARKWING.TEST", "kerberos")
