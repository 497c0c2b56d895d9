"""Kerberos sign-in: SPNEGO (``Authorization: Negotiate``) checked against a service keytab.

A browser or ``curl --negotiate`` with a ticket sends ``Authorization: Negotiate <base64>``; the
:class:`NegotiateAcceptor` hands the token to GSSAPI (MIT Kerberos through python-gssapi) with
the keys of the service keytab, and gets back the client's principal and, for mutual
authentication, a token to return in ``WWW-Authenticate: Negotiate <base64>``.  One request, one
round trip: Kerberos inside SPNEGO completes in one step; a mechanism that needs more rounds
(NTLM) is refused, since HTTP keeps no per-connection state here.  Replays are refused by the
Kerberos replay cache (``KRB5RCACHEDIR``).

:class:`PrincipalRoles` maps principals to roles: ``alice@EXAMPLE.COM: [admin]``, and
``"@EXAMPLE.COM": [viewer]`` for every principal of a realm (an exact entry wins over its realm's)::

    >>> acceptor = NegotiateAcceptor("/etc/sparkwing/http.keytab")      # doctest: +SKIP
    >>> who = acceptor.accept(request.headers["authorization"])         # doctest: +SKIP
    >>> PrincipalRoles.from_mapping({"@EXAMPLE.COM": ["viewer"]}).roles(who.principal)  # doctest: +SKIP
    frozenset({'viewer'})
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sparkwing.auth._identity import ROLES, Credentials, Identity
from sparkwing.auth._ldap import LdapProvider
from sparkwing.config import KerberosSettings
from sparkwing.errors import AuthError, ConfigError

log = logging.getLogger("sparkwing.auth")
SCHEME = "Negotiate"
# A ticket with a large PAC (many groups) runs to ~12 KB, Windows allows 48 KB: 64 KiB of base64
# is plenty, and bounds what one header can make GSSAPI parse.
MAX_HEADER_CHARS = 64 * 1024
_INSTALL = "pip install 'sparkwing[kerberos]' (python-gssapi; needs MIT Kerberos, e.g. Debian libkrb5-dev)"


class NegotiateFailed(AuthError):
    """A request's ``Negotiate`` credentials were missing, malformed or refused: a 401 that offers
    ``Negotiate`` again.

    ``message`` is what the client is told; ``reason`` adds GSSAPI's own words (which key,
    which principal) for the server's log, not for the answer.
    """

    def __init__(self, message: str, *, hint: str | None = None, reason: str | None = None) -> None:
        super().__init__(message, status=401, hint=hint, challenges=[SCHEME])
        self.reason = reason or message


@dataclass(frozen=True)
class Negotiated:
    """Who signed in, and the token that proves the service to them (mutual authentication)."""

    principal: str
    response_token: str | None = None  # base64; None when the client asked for no mutual auth

    @property
    def realm(self) -> str:
        return split_principal(self.principal)[1]

    @property
    def challenge(self) -> str | None:
        """The ``WWW-Authenticate`` value for the successful answer, if there is a token to return."""
        return f"{SCHEME} {self.response_token}" if self.response_token else None


def split_principal(principal: str) -> tuple[str, str]:
    """``("alice", "EXAMPLE.COM")`` for ``alice@EXAMPLE.COM`` (the realm follows the last ``@``;
    ``""`` when there is none)."""
    name, at, realm = principal.rpartition("@")
    return (name, realm) if at else (principal, "")


def _gssapi() -> Any:
    try:
        import gssapi  # lazy: an optional extra with a C library behind it
    except ImportError:
        raise ConfigError("Kerberos sign-in needs python-gssapi, which is not installed",
                          hint=_INSTALL) from None
    return gssapi


class NegotiateAcceptor:
    """Accepts SPNEGO tokens with the keys of ``keytab``.

    ``service_principal`` (``HTTP/host.example.com@EXAMPLE.COM``, or ``HTTP/host`` in the default
    realm) restricts which key may be used; ``None`` accepts a ticket for any principal in the
    keytab, as MIT's ``ignore_acceptor_hostname`` does.  A missing or unusable keytab is a
    :class:`~sparkwing.errors.ConfigError` here, at start-up, not on the first request.

    Each thread gets its own credential handle: MIT Kerberos allows a handle's context in one
    thread at a time, and the services accept tickets in a thread pool.
    """

    def __init__(self, keytab: str | os.PathLike[str], service_principal: str | None = None) -> None:
        self._gss = _gssapi()
        self.keytab = Path(keytab)
        self.service_principal = service_principal
        if not self.keytab.is_file() or not os.access(self.keytab, os.R_OK):
            raise ConfigError(f"the Kerberos keytab {self.keytab} is missing or unreadable",
                              hint="export the service key with `kadmin ktadd -k FILE HTTP/host` "
                                   "and make it readable by this user only")
        if self.keytab.stat().st_mode & 0o077:
            # whoever reads the keytab can pose as the service (and forge tickets to it)
            log.warning("the Kerberos keytab %s is readable by other users than its owner: chmod 0600 it",
                        self.keytab)
        self._name = None
        if service_principal:
            self._name = self._gss.Name(service_principal, self._gss.NameType.kerberos_principal)
        self._local = threading.local()
        try:
            # Acquiring is lazy for a keytab; asking the name proves there is a usable key.
            self._credentials().inquire(name=True, lifetime=False, usage=False, mechs=False)
        except self._gss.exceptions.GSSError as exc:
            wanted = service_principal or "any principal"
            raise ConfigError(
                f"no usable key for {wanted} in {self.keytab}: {_gss_text(exc)}",
                hint="check the principal name (klist -k FILE) and KRB5_CONFIG",
            ) from None

    def _credentials(self) -> Any:
        creds = getattr(self._local, "creds", None)
        if creds is None:
            creds = self._gss.Credentials(name=self._name, usage="accept", store={"keytab": str(self.keytab)})
            self._local.creds = creds
        return creds

    def accept(self, header_value: str | None) -> Negotiated:
        """The principal behind ``Authorization: Negotiate <token>``; :class:`NegotiateFailed` if none."""
        token = parse_negotiate(header_value)
        gss = self._gss
        try:
            ctx = gss.SecurityContext(creds=self._credentials(), usage="accept")
            out = ctx.step(token)
            # When GSSAPI answers a bad token with an error token, python-gssapi keeps the error
            # and raises it on the next use of the context: these reads stay inside the try.
            complete, flags = ctx.complete, ctx.actual_flags
            principal = str(ctx.initiator_name) if complete else ""
        except gss.exceptions.GSSError as exc:
            raise NegotiateFailed("the Kerberos ticket was refused", reason=_gss_text(exc),
                                  hint="kinit again; the service principal must be in the keytab") from None
        if not complete:
            raise NegotiateFailed("the Negotiate exchange needs more than one round (NTLM is not supported)",
                                  hint="use a Kerberos ticket (kinit) for this host's HTTP/ principal")
        if gss.RequirementFlag.anonymity in flags:
            raise NegotiateFailed("anonymous Kerberos tickets are refused", hint="kinit as a user")
        return Negotiated(principal, base64.b64encode(out).decode("ascii") if out else None)


def parse_negotiate(header_value: str | None) -> bytes:
    """The token of an ``Authorization: Negotiate <base64>`` value, checked and decoded."""
    if not header_value:
        raise NegotiateFailed("no Kerberos ticket was sent", hint="kinit, then curl --negotiate -u : URL")
    if len(header_value) > MAX_HEADER_CHARS:
        raise NegotiateFailed(f"the Authorization header is over {MAX_HEADER_CHARS} characters")
    scheme, _, b64 = header_value.strip().partition(" ")
    if scheme.lower() != SCHEME.lower():
        raise NegotiateFailed(f"the Authorization scheme is {scheme[:20]!r}, not {SCHEME}")
    try:
        token = base64.b64decode(b64.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise NegotiateFailed("the Negotiate token is not base64") from None
    if not token:
        raise NegotiateFailed("the Negotiate token is empty")
    return token


def _gss_text(exc: Exception) -> str:
    """GSSAPI's major and minor messages on one short line (``gen_message`` can span lines)."""
    text = " ".join(str(exc).split())
    return text if len(text) <= 200 else text[:197] + "..."


@dataclass(frozen=True)
class PrincipalRoles:
    """A static map from Kerberos principals to roles.

    Keys are full principals (``alice@EXAMPLE.COM``, case-sensitive as Kerberos is) or a realm
    (``@EXAMPLE.COM``) for everyone in it; an exact entry replaces its realm's roles, so
    ``bob@EXAMPLE.COM: []`` shuts one principal out of a realm that may read.
    """

    entries: Mapping[str, frozenset[str]]

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], *, source: str = "the principal map") -> PrincipalRoles:
        if not isinstance(raw, Mapping):
            raise ConfigError(f"{source} must map principals to lists of roles",
                              hint='e.g. {"alice@EXAMPLE.COM": ["admin"], "@EXAMPLE.COM": ["viewer"]}')
        entries: dict[str, frozenset[str]] = {}
        for key, roles in raw.items():
            if not isinstance(key, str) or not key.strip() or "@" not in key or key.endswith("@"):
                raise ConfigError(f"{source}: {key!r} is not NAME@REALM or @REALM")
            listed = [roles] if isinstance(roles, str) else roles
            if not isinstance(listed, list | tuple) or not all(isinstance(r, str) for r in listed):
                raise ConfigError(f"{source}: the roles of {key} must be a list of names",
                                  hint=", ".join(ROLES))
            unknown = sorted(set(listed) - set(ROLES))
            if unknown:
                raise ConfigError(f"{source}: unknown role {unknown[0]!r} for {key}", hint=", ".join(ROLES))
            entries[key] = frozenset(listed)
        return cls(entries)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> PrincipalRoles:
        """Read the map from a YAML or JSON file (``principal: [roles]`` per line)."""
        import yaml  # only with a principal map: not on every service's start

        file = Path(path)
        try:
            text = file.read_text(encoding="utf-8")
            raw = json.loads(text) if file.suffix == ".json" else yaml.safe_load(text)
        except OSError as exc:
            raise ConfigError(f"cannot read the principal map {file}: {exc.strerror}") from None
        except (ValueError, yaml.YAMLError) as exc:
            why = " ".join(str(exc).split())[:150]
            raise ConfigError(f"the principal map {file} is not valid: {why}") from None
        return cls.from_mapping(raw or {}, source=str(file))

    def roles(self, principal: str) -> frozenset[str]:
        """The roles of ``principal``: its own entry, else its realm's, else none."""
        if principal in self.entries:
            return self.entries[principal]
        _, at, realm = principal.rpartition("@")
        return self.entries.get(f"@{realm}", frozenset()) if at else frozenset()


class KerberosProvider:
    """Kerberos as an identity provider: ``Authorization: Negotiate`` -> the ticket's principal,
    with the roles of :class:`PrincipalRoles` (``auth.kerberos.principals``) and, for principals
    of ``auth.kerberos.ldap_realms``, of their user's LDAP groups.

    A valid ticket whose principal has no role is a 403; the mutual-authentication token goes
    back in ``credentials.reply`` (``WWW-Authenticate: Negotiate <token>`` on the answer).
    """

    source = "kerberos"
    scheme = "negotiate"
    challenge = SCHEME

    def __init__(self, settings: KerberosSettings, directory: LdapProvider | None = None) -> None:
        self.acceptor = NegotiateAcceptor(settings.keytab, settings.service_principal)
        listed = PrincipalRoles.load(settings.principals_file).entries if settings.principals_file else {}
        given = PrincipalRoles.from_mapping(dict(settings.principals), source="auth.kerberos.principals")
        self.principals = PrincipalRoles({**listed, **given.entries})
        self.ldap_realms = frozenset(settings.ldap_realms)
        if self.ldap_realms and directory is None:
            raise ConfigError("auth.kerberos.ldap_realms needs auth.ldap to look the groups up",
                              hint="configure auth.ldap (url, user_base, group_base, roles)")
        self.directory = directory

    def authenticate(self, credentials: Credentials) -> Identity:
        try:
            who = self.acceptor.accept(f"{SCHEME} {credentials.value}")
        except NegotiateFailed as exc:
            log.info("Negotiate refused from %s: %s", credentials.peer or "?", exc.reason)
            raise
        credentials.claimed = who.principal
        roles = set(self.principals.roles(who.principal))
        user, realm = split_principal(who.principal)
        if realm in self.ldap_realms and self.directory is not None and "/" not in user:
            roles |= self.directory.roles_of(user)  # alice@REALM is LDAP's alice; alice/admin is not
        if not roles:
            raise AuthError(f"{who.principal} signed in with Kerberos, but has no role here", status=403,
                            hint="an administrator maps principals to roles in auth.kerberos.principals")
        if who.challenge:
            credentials.reply["WWW-Authenticate"] = who.challenge
        return Identity(who.principal, frozenset(roles), self.source)
