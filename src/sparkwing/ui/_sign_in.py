"""Sign-in for the UI: a form (name, password, CSRF token), a signed session cookie, sign-out.

:meth:`SignIn.viewer` is the ``authenticate`` dependency of every page when a login is
configured: a valid session cookie, or an ``Authorization`` header (Basic over TLS, or a scheme
such as Negotiate that a provider reads), else a redirect to ``/login`` (a ``GET``) or a 401;
with no password provider (no form), a 401 whose ``WWW-Authenticate`` offers the schemes.
The form's body is read up to 8 KiB and parsed as ``application/x-www-form-urlencoded`` (no
multipart); its CSRF token must match the nonce of a cookie set with the form.  Cookies are
``HttpOnly``, ``SameSite=Lax`` (the CSRF cookie ``Strict``) and ``Secure`` over https.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl, quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sparkwing.auth import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    VIEWER,
    Authenticator,
    Credentials,
    Identity,
    RateLimiter,
    Sessions,
)
from sparkwing.errors import AuthError

_FORM_BYTES = 8 * 1024
NEGOTIATE = "negotiate"  # the Authorization scheme of Kerberos (SPNEGO)
Render = Callable[..., HTMLResponse]


class SignInRequired(Exception):
    """No session and no credentials: a browser is sent to the sign-in form."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


class SignIn:
    """Sessions over ``authenticator``'s password provider (LDAP) and header schemes."""

    def __init__(self, authenticator: Authenticator, sessions: Sessions, limiter: RateLimiter) -> None:
        self.auth, self.sessions, self.limiter = authenticator, sessions, limiter

    def viewer(self, request: Request) -> Identity:
        session = self.sessions.read(request.cookies.get(SESSION_COOKIE))
        if session is not None:
            identity, nonce = session
            request.state.csrf_nonce = nonce  # what the forms' tokens are checked against
            request.state.csrf = self.sessions.form_token(nonce)
        else:
            header = request.headers.get("authorization")
            if not header and self.auth.passwords:
                raise SignInRequired(request.url.path)  # a browser: to the form
            if not header:  # only header schemes (e.g. Negotiate): a 401 with their challenges
                raise AuthError("sign-in required", challenges=self.auth.challenges)
            creds = Credentials.from_header(header, peer=_peer(request), tls=request.url.scheme == "https")
            identity = self.auth.identify(creds, role=VIEWER)  # a refusal is audited there
            request.state.reply = creds.reply
            if creds.scheme == NEGOTIATE and identity.has(VIEWER):
                # a browser sends a ticket only when challenged: a session spares the next pages that
                request.state.new_session, nonce = self.sessions.issue(identity)
                request.state.csrf_nonce = nonce
                request.state.csrf = self.sessions.form_token(nonce)  # this page's forms
        request.state.viewer = identity
        identity.require(VIEWER)
        if not self.limiter.allow(identity.key):
            raise AuthError(f"{identity.name} is over {self.limiter.rate:g} requests/s; slow down",
                            status=429)
        return identity

    def install(self, app: FastAPI, render: Render) -> None:
        """``GET``/``POST /login`` and ``POST /logout``, and the answers to a missing sign-in."""

        @app.exception_handler(SignInRequired)
        async def to_form(request: Request, exc: SignInRequired) -> Response:
            if NEGOTIATE in self.auth.schemes:
                # Challenge first: a browser with a Kerberos ticket answers it by itself; one
                # without shows the body, the sign-in form.  Negotiate only: a Basic challenge
                # would make a browser pop up its own password box instead of showing the form.
                answer = self._form(request, render, 401, next=_safe_next(exc.path))
                answer.headers["WWW-Authenticate"] = "Negotiate"
                return answer
            if request.method in ("GET", "HEAD"):
                return RedirectResponse(f"/login?next={quote(exc.path)}", status_code=303)
            return render("error.html", request, 401, title="sign in", message="sign in first")

        @app.middleware("http")
        async def keep_signed_in(request: Request, call_next: Callable[[Request], Awaitable[Response]],
                                 ) -> Response:
            answer = await call_next(request)
            cookie = getattr(request.state, "new_session", None)
            if cookie is not None and answer.status_code < 400:
                answer.set_cookie(SESSION_COOKIE, cookie, max_age=self.sessions.max_age, httponly=True,
                                  samesite="lax", secure=request.url.scheme == "https")  # fmt: skip
            return answer

        @app.get("/login", response_class=HTMLResponse)
        def login_form(request: Request, next: str = "/") -> Response:  # noqa: A002 - the form's name
            if self.sessions.read(request.cookies.get(SESSION_COOKIE)) is not None:
                return RedirectResponse(_safe_next(next), status_code=303)
            return self._form(request, render, 200, next=_safe_next(next))

        @app.post("/login", response_class=HTMLResponse)
        async def login(request: Request) -> Response:
            form = await _form_fields(request)
            target = _safe_next(form.get("next", "/"))
            if not self.sessions.check_form(request.cookies.get(CSRF_COOKIE), form.get("csrf")):
                return self._form(request, render, 403, next=target,
                                  error="the form expired or did not come from this page; try again")
            try:
                identity = self.auth.sign_in(form.get("user", ""), form.get("password", ""),
                                             peer=_peer(request), tls=request.url.scheme == "https",
                                             role=VIEWER)  # fmt: skip
            except AuthError as exc:
                return self._form(request, render, exc.status, next=target, error=exc.message,
                                  user=form.get("user", ""))  # fmt: skip
            cookie, _ = self.sessions.issue(identity)
            answer = RedirectResponse(target, status_code=303)
            answer.set_cookie(SESSION_COOKIE, cookie, max_age=self.sessions.max_age, httponly=True,
                              samesite="lax", secure=request.url.scheme == "https")  # fmt: skip
            answer.delete_cookie(CSRF_COOKIE, path="/login")
            return answer

        @app.post("/logout")
        async def logout(request: Request) -> Response:
            form = await _form_fields(request)
            session = self.sessions.read(request.cookies.get(SESSION_COOKIE))
            if session is not None:
                identity, nonce = session
                if not self.sessions.check_form(nonce, form.get("csrf")):
                    return render("error.html", request, 403, title="sign out",
                                  message="the form did not come from this page")
                self.auth.signed_out(identity, peer=_peer(request))
            answer = RedirectResponse("/login", status_code=303)
            answer.delete_cookie(SESSION_COOKIE)
            return answer

    def _form(self, request: Request, render: Render, status: int, **context: Any) -> HTMLResponse:
        nonce = self.sessions.nonce()
        answer = render("login.html", request, status, title="sign in", csrf=self.sessions.form_token(nonce),
                        **context)  # fmt: skip
        answer.set_cookie(CSRF_COOKIE, nonce, max_age=3600, path="/login", httponly=True, samesite="strict",
                          secure=request.url.scheme == "https")  # fmt: skip
        return answer


async def _form_fields(request: Request) -> dict[str, str]:
    """The fields of a small urlencoded form; anything larger than 8 KiB is refused (413)."""
    from starlette.exceptions import HTTPException

    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > _FORM_BYTES):
        raise HTTPException(413, "the form is too large")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > _FORM_BYTES:
            raise HTTPException(413, "the form is too large")
    try:
        pairs = parse_qsl(body.decode(), keep_blank_values=True, max_num_fields=10)
    except (UnicodeDecodeError, ValueError):
        raise HTTPException(400, "the form is not readable") from None
    return dict(pairs)


def _safe_next(path: str) -> str:
    """A local path to go to after sign-in; anything else (another site, ``//host``) is ``/``."""
    if (not path.startswith("/") or path.startswith("//") or "\\" in path or len(path) > 2000
            or any(ord(c) < 32 for c in path)):
        return "/"
    return path


def _peer(request: Request) -> str:
    return request.client.host if request.client is not None else ""
