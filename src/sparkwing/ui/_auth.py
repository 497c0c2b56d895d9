"""Who is looking: the hook a login (LDAP/Kerberos, issue 13) plugs into.

Every route depends on the app's ``authenticate`` callable (a FastAPI dependency).  Today the
only one is :func:`local_viewer`, which lets everyone who can reach the loopback port read; a
login replaces it with one that returns the caller's identity or raises a 401/403.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import Request

VIEWER = "viewer"


@dataclass(frozen=True)
class Viewer:
    """The caller of a page, with their roles (``viewer`` reads; ``operator`` comes later)."""

    name: str
    roles: frozenset[str] = field(default_factory=lambda: frozenset({VIEWER}))


Authenticate = Callable[[Request], Viewer]


def local_viewer(request: Request) -> Viewer:
    """No login: the UI listens on loopback only, and whoever reaches it reads."""
    return Viewer("local")
