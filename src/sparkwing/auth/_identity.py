"""Who is asking (:class:`Identity`), with which roles, and the two kinds of identity provider."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from sparkwing.errors import AuthError

VIEWER, SCORER, OPERATOR, ADMIN = "viewer", "scorer", "operator", "admin"
ROLES: tuple[str, ...] = (VIEWER, SCORER, OPERATOR, ADMIN)
#: What each role also grants: an operator reads the UI, an admin may do everything.
IMPLIES: dict[str, frozenset[str]] = {
    VIEWER: frozenset({VIEWER}),
    SCORER: frozenset({SCORER}),
    OPERATOR: frozenset({OPERATOR, VIEWER}),
    ADMIN: frozenset(ROLES),
}


@dataclass(frozen=True)
class Identity:
    """A signed-in caller: ``name`` as the provider knows it, ``roles``, and ``source`` (the provider:
    ``key``, ``ldap``, ``kerberos``, ``local``)."""

    name: str
    roles: frozenset[str] = field(default_factory=lambda: frozenset({VIEWER}))
    source: str = "local"

    def __post_init__(self) -> None:
        unknown = set(self.roles) - set(ROLES)
        if unknown:
            raise ValueError(f"unknown roles {sorted(unknown)}; roles are {', '.join(ROLES)}")
        object.__setattr__(self, "roles", frozenset(self.roles))

    @property
    def key(self) -> str:
        """What limits are counted by: one bucket per identity, whichever provider vouched."""
        return f"{self.source}:{self.name}"

    def has(self, role: str) -> bool:
        return any(role in IMPLIES[r] for r in self.roles)

    def require(self, role: str) -> Identity:
        """``self`` if it has ``role`` (or a role implying it), else a 403 :class:`AuthError`."""
        if not self.has(role):
            held = ", ".join(sorted(self.roles)) or "none"
            raise AuthError(f"{self.name} ({self.source}) has roles {held}; this needs {role}", status=403)
        return self


def roles_of(
    groups: Iterable[str], mapping: dict[str, list[str]], default: Iterable[str] = ()
) -> frozenset[str]:
    """The roles that ``groups`` map to (names compared case-insensitively, as LDAP does)."""
    folded = {g.casefold() for g in groups}
    out = set(default)
    for group, roles in mapping.items():
        if group.casefold() in folded:
            out.update(roles)
    return frozenset(out)


@dataclass
class Credentials:
    """What a request offers: its ``Authorization`` header split into ``scheme`` (lower case) and
    ``value``, and the peer's address.  A provider may add headers to the answer in ``reply``
    (e.g. Negotiate's mutual-authentication token) and sets ``claimed`` to the name the
    credentials claim (for the audit log of a failure; never a secret)."""

    scheme: str
    value: str
    peer: str = ""
    tls: bool = False
    reply: dict[str, str] = field(default_factory=dict)
    claimed: str = ""

    @classmethod
    def from_header(cls, header: str, *, peer: str = "", tls: bool = False) -> Credentials:
        scheme, _, value = header.strip().partition(" ")
        return cls(scheme.lower(), value.strip(), peer, tls)


@runtime_checkable
class Provider(Protocol):
    """Turns one ``Authorization`` scheme into an :class:`Identity`.

    ``scheme`` is the scheme it reads (``bearer``, ``basic``, ``negotiate``); ``challenge`` the
    ``WWW-Authenticate`` value a 401 offers for it.  :meth:`authenticate` returns the identity
    or raises :class:`~sparkwing.errors.AuthError` (401 wrong credentials, 403 no role, 503 the
    provider's server is unreachable); it must never log or echo a secret.
    """

    source: str
    scheme: str
    challenge: str

    def authenticate(self, credentials: Credentials) -> Identity: ...


@runtime_checkable
class PasswordProvider(Protocol):
    """Checks a user name and password (the UI's sign-in form, HTTP Basic)."""

    source: str

    def check_password(self, user: str, password: str) -> Identity: ...
