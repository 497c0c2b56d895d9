"""LDAP sign-in: bind as the user (ldap3), then map the user's groups to roles.

A sign-in costs two or three round trips on fresh connections: find the user's DN (from the
``user_dn`` template, or a search as the service account), bind as that DN with the password
(the directory checks it; sparkwing never sees a hash), then search the groups whose members
include the DN.  Every value put into a filter is escaped (``escape_filter_chars``), a DN built
from a template is RDN-escaped, and an empty name or password is refused before any bind
(LDAP treats a simple bind with an empty password as *anonymous*, which succeeds).  TLS
(``ldaps://`` or StartTLS) checks the server certificate against ``ca_file``; referrals are not
followed (they would send the password to another server).  A directory that cannot be reached
is a 503 :class:`~sparkwing.errors.AuthError`, never "wrong password".
"""

from __future__ import annotations

import contextlib
import math
import ssl
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sparkwing.auth._identity import Identity, roles_of
from sparkwing.config import LdapSettings
from sparkwing.errors import AuthError, ConfigError

if TYPE_CHECKING:
    from ldap3 import Connection

# ldap3 is imported by the provider, when LDAP is configured: importing it costs ~0.2 s of every
# service's and command's start-up otherwise.

_WRONG = "unknown user or wrong password"  # one message for both: no probing which names exist
_MAX_NAME = 256
_MAX_PASSWORD = 1024
_MAX_GROUPS = 1000


class LdapProvider:
    """Checks a name and password against the directory of ``settings``.

    >>> LdapProvider(settings).check_password("alice", "...").roles   # doctest: +SKIP
    frozenset({'viewer'})
    """

    source = "ldap"

    def __init__(self, settings: LdapSettings) -> None:
        from ldap3 import NONE, Server, Tls

        self.settings = settings
        parts = urlsplit(settings.url)
        ldaps = parts.scheme == "ldaps"
        tls = None
        if settings.tls:
            if settings.ca_file is not None:
                try:
                    open(settings.ca_file, "rb").close()
                except OSError as exc:
                    raise ConfigError(
                    f"cannot read auth.ldap.ca_file {settings.ca_file}: {exc.strerror}",
                    hint="a PEM file of the CA that signed the LDAP server's certificate",
                ) from None
            tls = Tls(validate=ssl.CERT_REQUIRED, version=ssl.PROTOCOL_TLS_CLIENT,
                      ca_certs_file=settings.ca_file)  # fmt: skip
        self._server = Server(parts.hostname or "", port=parts.port, use_ssl=ldaps, tls=tls, get_info=NONE,
                              connect_timeout=settings.connect_timeout)  # fmt: skip
        self._where = f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")

    def check_password(self, user: str, password: str) -> Identity:
        """The identity of ``user`` if ``password`` is theirs, with the roles of their groups."""
        from ldap3.core.exceptions import LDAPException

        if not user or not password:
            raise AuthError("a user name and a password are required (empty passwords are refused)")
        if len(user) > _MAX_NAME or len(password) > _MAX_PASSWORD or any(ord(c) < 32 for c in user):
            raise AuthError(_WRONG)
        s = self.settings
        try:
            dn = self._find_dn(user)
            with self._connect(dn, password) as conn:
                groups = self._groups(conn, dn, user) if s.group_base else []
        except LDAPException as exc:
            raise AuthError(f"the LDAP server {self._where} cannot be asked: {type(exc).__name__}",
                            status=503, hint="check auth.ldap.url, ca_file and the network") from None
        roles = roles_of(groups, {g: list(r) for g, r in s.roles.items()}, s.default_roles)
        if not roles:
            raise AuthError(f"{user} signed in, but none of their groups has a role here", status=403,
                            hint="an administrator maps groups to roles in auth.ldap.roles")
        # The directory compares names ignoring case and extra spaces (caseIgnoreMatch): so does
        # the identity, else "Alice" and "alice " would be two buckets for the limits.
        return Identity(" ".join(user.split()).casefold(), roles, self.source)

    def roles_of(self, user: str) -> frozenset[str]:
        """The roles of ``user``'s groups, looked up as the service account, with no password: for
        a user who proved who they are another way (a Kerberos ticket).  Unknown user: none."""
        from ldap3.core.exceptions import LDAPException

        s = self.settings
        if not user or len(user) > _MAX_NAME or any(ord(c) < 32 for c in user):
            return frozenset()
        try:
            dn = self._find_dn(user)
            with self._connect(s.bind_dn, s.service_password(), service=True) as conn:
                groups = self._groups(conn, dn, user) if s.group_base else []
        except AuthError as exc:
            if exc.status == 401:  # no such user (or two): no roles from the directory
                return frozenset()
            raise
        except LDAPException as exc:
            raise AuthError(f"the LDAP server {self._where} cannot be asked: {type(exc).__name__}",
                            status=503, hint="check auth.ldap.url, ca_file and the network") from None
        return roles_of(groups, {g: list(r) for g, r in s.roles.items()}, s.default_roles)

    def _find_dn(self, user: str) -> str:
        from ldap3 import SUBTREE
        from ldap3.utils.conv import escape_filter_chars
        from ldap3.utils.dn import escape_rdn

        s = self.settings
        if s.user_dn is not None:
            return s.user_dn.replace("{user}", escape_rdn(user))
        search_filter = s.user_filter.replace("{user}", escape_filter_chars(user))
        with self._connect(s.bind_dn, s.service_password(), service=True) as conn:
            conn.search(s.user_base, search_filter, SUBTREE, attributes=[], size_limit=2)
            found = [e["dn"] for e in conn.response or [] if e.get("type") == "searchResEntry"]
        if len(found) != 1:  # none, or a filter that matches two people: refuse both
            raise AuthError(_WRONG)
        return str(found[0])

    def _groups(self, conn: Connection, dn: str, user: str) -> list[str]:
        from ldap3 import SUBTREE
        from ldap3.utils.conv import escape_filter_chars

        s = self.settings
        search_filter = s.group_filter.replace("{dn}", escape_filter_chars(dn)).replace(
            "{user}", escape_filter_chars(user))
        conn.search(s.group_base, search_filter, SUBTREE, attributes=[s.group_attribute],
                    size_limit=_MAX_GROUPS)  # fmt: skip
        names: list[str] = []
        for entry in conn.response or []:
            if entry.get("type") != "searchResEntry":
                continue
            value: Any = entry.get("attributes", {}).get(s.group_attribute)
            names.extend(str(v) for v in (value if isinstance(value, list) else [value]) if v)
        return names

    @contextlib.contextmanager
    def _connect(
        self, dn: str | None, password: str | None, *, service: bool = False
    ) -> Iterator[Connection]:
        conn = self._bound(dn, password, service=service)
        try:
            yield conn
        finally:
            conn.unbind()

    def _bound(self, dn: str | None, password: str | None, *, service: bool) -> Connection:
        """A bound connection: as ``dn`` (the user, or the service account), anonymous only for
        the service's search when no service account is configured."""
        from ldap3 import Connection

        conn = Connection(self._server, user=dn, password=password, auto_bind="NONE", read_only=True,
                          auto_referrals=False, receive_timeout=math.ceil(self.settings.timeout),
                          raise_exceptions=False)  # fmt: skip
        conn.open()
        if self.settings.start_tls and not conn.start_tls():
            conn.unbind()
            raise AuthError(f"StartTLS with {self._where} failed", status=503, hint="check auth.ldap.ca_file")
        if dn is None and service:
            return conn  # an anonymous search (no auth.ldap.bind_dn)
        if not conn.bind():
            conn.unbind()
            if service:
                raise AuthError(f"the LDAP service account cannot sign in at {self._where}", status=503,
                                hint="check auth.ldap.bind_dn and bind_password")
            raise AuthError(_WRONG)
        return conn
