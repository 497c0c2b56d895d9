"""UI sessions: a signed, expiring cookie (itsdangerous) and CSRF tokens for forms.

The session cookie holds the identity (name, roles, source) and a random CSRF nonce, signed with
HMAC-SHA1 by itsdangerous and stamped with the time: a cookie older than ``max_age`` or altered by
one byte reads as no session.  Roles are those of the sign-in; a change in the directory takes
effect at the next sign-in.  A form carries a token that is the nonce signed for CSRF, checked
against the nonce of the session (or, before sign-in, of a separate CSRF cookie), so that a page
of another site cannot post a form here: it can neither read the nonce nor sign one.
"""

from __future__ import annotations

import hmac
import secrets

from itsdangerous import BadSignature, URLSafeTimedSerializer

from sparkwing.auth._identity import Identity

SESSION_COOKIE = "sparkwing_session"
CSRF_COOKIE = "sparkwing_csrf"
_CSRF_AGE = 3600  # seconds a form stays valid


class Sessions:
    """Issue and read session cookies and CSRF tokens with ``secret`` (random if ``None``)."""

    def __init__(self, secret: str | None, max_age: int) -> None:
        key = secret or secrets.token_urlsafe(32)
        self.max_age = max_age
        self._session = URLSafeTimedSerializer(key, salt="sparkwing.ui.session")
        self._csrf = URLSafeTimedSerializer(key, salt="sparkwing.ui.csrf")

    def issue(self, identity: Identity) -> tuple[str, str]:
        """A cookie value for ``identity`` and its CSRF nonce."""
        nonce = secrets.token_urlsafe(16)
        value = self._session.dumps({"n": identity.name, "r": sorted(identity.roles), "s": identity.source,
                                     "c": nonce})  # fmt: skip
        return value, nonce

    def read(self, cookie: str | None) -> tuple[Identity, str] | None:
        """The identity and CSRF nonce of a valid, unexpired cookie; ``None`` otherwise."""
        if not cookie:
            return None
        try:
            data = self._session.loads(cookie, max_age=self.max_age)
            return Identity(str(data["n"]), frozenset(data["r"]), str(data["s"])), str(data["c"])
        except (BadSignature, KeyError, TypeError, ValueError):
            return None

    @staticmethod
    def nonce() -> str:
        return secrets.token_urlsafe(16)

    def form_token(self, nonce: str) -> str:
        return self._csrf.dumps(nonce)

    def check_form(self, nonce: str | None, token: str | None) -> bool:
        """Whether a form's ``token`` was made here for ``nonce`` within the last hour."""
        if not nonce or not token:
            return False
        try:
            signed = self._csrf.loads(token, max_age=_CSRF_AGE)
        except BadSignature:
            return False
        return isinstance(signed, str) and hmac.compare_digest(signed, nonce)
