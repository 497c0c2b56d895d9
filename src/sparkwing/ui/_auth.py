"""Who is looking: the hook a login plugs into (:mod:`sparkwing.auth` provides them).

Every page depends on the app's ``authenticate`` callable (a FastAPI dependency) that returns
the caller's :class:`Viewer` (an :class:`~sparkwing.auth.Identity`) or raises a 401/403.  With no
login configured it is :func:`local_viewer`, which lets everyone who can reach the loopback port
read; with ``auth.ldap`` it is the sign-in of ``_sign_in`` (form, session cookie).
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from sparkwing.auth import VIEWER, Identity

Viewer = Identity  # the caller of a page: name, roles, source
Authenticate = Callable[[Request], Viewer]


def local_viewer(request: Request) -> Viewer:
    """No login: the UI listens on loopback only, and whoever reaches it reads."""
    return Identity("local", frozenset({VIEWER}), "local")
