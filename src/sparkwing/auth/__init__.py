"""Who is calling the REST service and the UI: Kerberos (SPNEGO) sign-in and its roles.

>>> from sparkwing.auth import NegotiateAcceptor, PrincipalRoles
>>> acceptor = NegotiateAcceptor("/etc/sparkwing/http.keytab")      # doctest: +SKIP
>>> who = acceptor.accept("Negotiate YIIC...")                      # doctest: +SKIP
>>> PrincipalRoles.load("principals.yaml").roles(who.principal)    # doctest: +SKIP
frozenset({'viewer'})
"""

from sparkwing.auth._kerberos import (
    ROLES,
    NegotiateAcceptor,
    Negotiated,
    NegotiateFailed,
    PrincipalRoles,
    parse_negotiate,
)

__all__ = [
    "ROLES",
    "NegotiateAcceptor",
    "NegotiateFailed",
    "Negotiated",
    "PrincipalRoles",
    "parse_negotiate",
]
