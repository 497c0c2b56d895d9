"""Who is calling ``sparkwing serve`` and ``sparkwing ui``: identities, roles, providers, audit.

An :class:`Identity` is ``(name, roles, source)``; roles are ``viewer`` (reads the UI),
``scorer`` (calls the scoring API), ``operator`` (promotes, rolls back; reads the UI) and
``admin`` (everything).  An edge builds one :class:`Authenticator` from providers and asks it
who sent a request; it audits sign-ins and failures (:class:`AuditLog`) and throttles failures
per address.

Providers are small.  A :class:`Provider` reads one ``Authorization`` scheme::

    class NegotiateProvider:                      # e.g. Kerberos / SPNEGO
        source = "kerberos"                       # the Identity's source, the audit log's
        scheme = "negotiate"                      # lower-case Authorization scheme it reads
        challenge = "Negotiate"                   # its WWW-Authenticate value on a 401

        def authenticate(self, credentials: Credentials) -> Identity:
            credentials.claimed = ...             # the claimed name, for a failure's audit line
            credentials.reply["WWW-Authenticate"] = "Negotiate <token>"   # optional answer header
            return Identity("alice@EXAMPLE.ORG", frozenset({"viewer"}), self.source)
            # or raise AuthError(msg) (401), AuthError(msg, status=403) for a known caller
            # without a role, AuthError(msg, status=503) when its server cannot be asked

A :class:`PasswordProvider` (``source``, ``check_password(user, password) -> Identity``) checks a
name and password; the authenticator offers it as HTTP Basic (over TLS only) and the UI's sign-in
form uses it.  Shipped: :class:`KeyProvider` (API keys, ``Bearer``), :class:`LdapProvider`
(bind as the user, groups mapped to roles) and :class:`KerberosProvider` (``Negotiate``: SPNEGO
checked by :class:`NegotiateAcceptor` with a service keytab, principals mapped to roles by
:class:`PrincipalRoles` and, optionally, LDAP groups)::

    >>> from sparkwing.auth import Authenticator, Credentials, KeyProvider, KeyStore
    >>> auth = Authenticator([KeyProvider(KeyStore(workspace))], service="serve")  # doctest: +SKIP
    >>> auth.identify(Credentials.from_header("Bearer swk_...", peer="10.0.0.7")) # doctest: +SKIP
    Identity(name='1f2e3d4c', roles=frozenset({'scorer'}), source='key')
"""

from sparkwing.auth._audit import EVENTS, AuditLog
from sparkwing.auth._authenticator import Authenticator, BasicProvider, FailureThrottle, providers_from
from sparkwing.auth._identity import (
    ADMIN,
    OPERATOR,
    ROLES,
    SCORER,
    VIEWER,
    Credentials,
    Identity,
    PasswordProvider,
    Provider,
    roles_of,
)
from sparkwing.auth._kerberos import (
    KerberosProvider,
    NegotiateAcceptor,
    Negotiated,
    NegotiateFailed,
    PrincipalRoles,
    parse_negotiate,
)
from sparkwing.auth._keys import SCOPE_ROLES, SCOPES, ApiKey, KeyProvider, KeyStore
from sparkwing.auth._ldap import LdapProvider
from sparkwing.auth._limits import RateLimiter
from sparkwing.auth._sessions import CSRF_COOKIE, SESSION_COOKIE, Sessions
from sparkwing.auth._tls import check_tls

__all__ = [
    "ADMIN",
    "CSRF_COOKIE",
    "EVENTS",
    "OPERATOR",
    "ROLES",
    "SCOPES",
    "SCOPE_ROLES",
    "SCORER",
    "SESSION_COOKIE",
    "VIEWER",
    "ApiKey",
    "AuditLog",
    "Authenticator",
    "BasicProvider",
    "Credentials",
    "FailureThrottle",
    "Identity",
    "KerberosProvider",
    "KeyProvider",
    "KeyStore",
    "LdapProvider",
    "NegotiateAcceptor",
    "NegotiateFailed",
    "Negotiated",
    "PasswordProvider",
    "PrincipalRoles",
    "Provider",
    "RateLimiter",
    "Sessions",
    "check_tls",
    "parse_negotiate",
    "providers_from",
    "roles_of",
]
