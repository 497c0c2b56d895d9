"""The chain of identity providers an edge (serve, ui) asks, with throttling and the audit log."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence

from sparkwing.auth._audit import AuditLog
from sparkwing.auth._identity import Credentials, Identity, PasswordProvider, Provider
from sparkwing.auth._kerberos import KerberosProvider
from sparkwing.auth._keys import KeyProvider, KeyStore
from sparkwing.auth._ldap import LdapProvider
from sparkwing.config import AuthSettings
from sparkwing.config._auth import is_loopback
from sparkwing.errors import AuthError

_PEERS = 10_000  # addresses (and identities) remembered at most: memory stays bounded


class BasicProvider:
    """``Authorization: Basic`` for a :class:`PasswordProvider`, accepted over TLS only (or from
    loopback), since the password travels with every request.

    A REST client sends its password with every request, and each check is a round trip to
    the directory (three TLS connections with StartTLS), so a success is remembered for
    ``remember`` seconds (0: never): in memory, under an HMAC of name and password with a
    random per-process key, never the password itself; a wrong password is never remembered.
    """

    scheme = "basic"

    def __init__(self, passwords: PasswordProvider, realm: str = "sparkwing", *, remember: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self.passwords = passwords
        self.source = passwords.source
        self.challenge = f'Basic realm="{realm}", charset="UTF-8"'
        self.remember, self._clock = remember, clock
        self._key = secrets.token_bytes(32)
        self._known: OrderedDict[bytes, tuple[Identity, float]] = OrderedDict()
        self._lock = threading.Lock()

    def _check(self, user: str, password: str) -> Identity:
        if self.remember <= 0:
            return self.passwords.check_password(user, password)
        digest = hmac.new(self._key, f"{user}\0{password}".encode(), hashlib.sha256).digest()
        now = self._clock()
        with self._lock:
            known = self._known.get(digest)
            if known is not None and known[1] > now:
                return known[0]
        identity = self.passwords.check_password(user, password)
        with self._lock:
            self._known[digest] = (identity, now + self.remember)
            self._known.move_to_end(digest)
            while len(self._known) > _PEERS:
                self._known.popitem(last=False)
        return identity

    def authenticate(self, credentials: Credentials) -> Identity:
        try:
            decoded = base64.b64decode(credentials.value, validate=True).decode()
            user, sep, password = decoded.partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise AuthError("malformed Basic credentials") from None
        credentials.claimed = user
        if not sep:
            raise AuthError("malformed Basic credentials")
        if not credentials.tls and not _loopback(credentials.peer):
            raise AuthError("HTTP Basic is accepted over TLS only",
                            hint="use https:// (--tls-cert/--tls-key)")
        return self._check(user, password)


class FailureThrottle:
    """At most ``limit`` failed sign-ins per address in any ``window`` seconds."""

    def __init__(self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self._clock = limit, window, clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, peer: str) -> deque[float]:
        times = self._failures.get(peer)
        if times is None:
            return deque()
        while times and times[0] <= self._clock() - self.window:
            times.popleft()
        return times

    def blocked(self, peer: str) -> bool:
        with self._lock:
            return len(self._recent(peer)) >= self.limit

    def failed(self, peer: str) -> None:
        with self._lock:
            times = self._recent(peer)
            times.append(self._clock())
            self._failures[peer] = deque(list(times)[-self.limit:])
            self._failures.move_to_end(peer)
            while len(self._failures) > _PEERS:
                self._failures.popitem(last=False)


class Authenticator:
    """Asks the provider of a request's ``Authorization`` scheme who is calling.

    Failed attempts (401, 403) are audited; wrong credentials (401) are throttled per address
    (429 beyond ``failures_per_minute``: a 403 had the right password).  A success is audited
    once per identity and address every 10 minutes (a REST client authenticates on every
    request).  ``service`` names the edge in the
    audit log.
    """

    def __init__(self, providers: Sequence[Provider | PasswordProvider], *, audit: AuditLog | None = None,
                 service: str = "", failures_per_minute: int = 10, remember_basic: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self.providers = list(providers)
        self.schemes: dict[str, Provider] = {}
        self.passwords: list[PasswordProvider] = []
        for p in providers:
            if isinstance(p, Provider):
                self.schemes.setdefault(p.scheme, p)
            if isinstance(p, PasswordProvider):
                self.passwords.append(p)
                self.schemes.setdefault("basic", BasicProvider(p, remember=remember_basic, clock=clock))
        self.audit, self.service, self._clock = audit, service, clock
        self.throttle = FailureThrottle(failures_per_minute, clock=clock)
        self._seen: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def configured(self) -> bool:
        """Whether any provider could vouch for someone (else only loopback is safe): API keys
        count once one is active."""
        return any(not isinstance(p, KeyProvider) or p.store.active() for p in self.providers)

    @property
    def challenges(self) -> list[str]:
        return [p.challenge for p in self.schemes.values()]

    def identify(self, credentials: Credentials | None, *, role: str | None = None) -> Identity:
        """The caller, if it has ``role`` (when given), or an :class:`AuthError` (401 with
        ``challenges``, 403, 429, 503)."""
        peer = credentials.peer if credentials is not None else ""
        self._check_throttle(peer, credentials.claimed if credentials else "")
        provider = self.schemes.get(credentials.scheme) if credentials is not None else None
        if credentials is None or provider is None:
            offered = (f"{credentials.scheme!r} credentials are not accepted" if credentials
                       else "sign-in required")
            raise AuthError(offered, challenges=self.challenges,
                            hint=f"send Authorization: {' or '.join(self.challenges) or 'nothing works'}")
        try:
            identity = provider.authenticate(credentials)
            if role is not None:
                identity.require(role)
        except AuthError as exc:
            self._failed(exc, credentials.claimed, peer, provider.source)
            raise
        self._succeeded(identity, peer)
        return identity

    def sign_in(self, user: str, password: str, *, peer: str, tls: bool = False,
                role: str | None = None) -> Identity:  # fmt: skip
        """A name and password from a form (``tls``: it came over https), checked by the first
        password provider; the identity must have ``role`` when it is given (403 otherwise)."""
        self._check_throttle(peer, user)
        if not self.passwords:
            raise AuthError("no password sign-in is configured", hint="configure auth.ldap")
        provider = self.passwords[0]
        try:
            if not tls and not _loopback(peer):
                raise AuthError("passwords are accepted over TLS only",
                                hint="use https:// (--tls-cert/--tls-key)")
            identity = provider.check_password(user, password)
            if role is not None:
                identity.require(role)
        except AuthError as exc:
            self._failed(exc, user, peer, provider.source)
            raise
        self._record("sign_in", identity.name, peer, identity.source, roles=sorted(identity.roles))
        return identity

    def signed_out(self, identity: Identity, *, peer: str) -> None:
        self._record("sign_out", identity.name, peer, identity.source)

    def _check_throttle(self, peer: str, who: str) -> None:
        if self.throttle.blocked(peer):
            if self._first(("throttled", peer), self.throttle.window):  # one line per address a minute
                self._record("throttled", who, peer, "")
            raise AuthError(f"too many failed sign-ins from {peer or 'this address'}; wait a minute",
                            status=429, challenges=self.challenges)

    def _failed(self, exc: AuthError, who: str, peer: str, source: str) -> None:
        if exc.status == 401:  # a guess; a 403 had the right password (or key) and is not throttled
            self.throttle.failed(peer)
        event = "forbidden" if exc.status == 403 else "sign_in_failed"
        # A provider may keep a fuller reason for the server's side than it tells the client
        # (Negotiate: GSSAPI's words, e.g. "Request is a replay").
        reason = getattr(exc, "reason", None) or exc.message
        self._record(event, who, peer, source, status=exc.status, reason=reason)
        if exc.status == 401 and not exc.challenges:
            exc.challenges = self.challenges

    def _succeeded(self, identity: Identity, peer: str) -> None:
        if self._first((identity.key, peer), 600):
            self._record("sign_in", identity.name, peer, identity.source, roles=sorted(identity.roles))

    def _first(self, seen: tuple[str, str], window: float) -> bool:
        """Whether ``seen`` happens for the first time in ``window`` seconds (then remembered)."""
        now = self._clock()
        with self._lock:
            last = self._seen.get(seen)
            if last is not None and now - last <= window:
                return False
            self._seen[seen] = now
            self._seen.move_to_end(seen)
            while len(self._seen) > _PEERS:
                self._seen.popitem(last=False)
            return True

    def _record(self, event: str, who: str, peer: str, source: str, **detail: object) -> None:
        if self.audit is not None:
            self.audit.record(event, who=who, peer=peer, source=source, service=self.service, **detail)


def providers_from(settings: AuthSettings, keys: KeyStore | None = None) -> list[Provider | PasswordProvider]:
    """The providers ``settings`` configure: API keys (when ``keys`` is given), LDAP when
    ``auth.ldap`` is set."""
    providers: list[Provider | PasswordProvider] = [KeyProvider(keys)] if keys is not None else []
    ldap = LdapProvider(settings.ldap) if settings.ldap is not None else None
    if ldap is not None:
        providers.append(ldap)
    if settings.kerberos is not None:
        providers.append(KerberosProvider(settings.kerberos, directory=ldap))
    return providers


def _loopback(peer: str) -> bool:
    return is_loopback(peer) or peer == "testclient"  # Starlette's TestClient: in process
