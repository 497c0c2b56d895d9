"""API keys: created once (the secret is shown once), stored hashed in the workspace.

``<workspace>/serve/keys.json`` holds, per key, its id, name, scope, the sha256 of its secret
and whether it is revoked.  A key reads ``swk_<id>_<secret>``; the id finds the record, the
secret's hash is compared in constant time.  Every create and revoke goes to the audit log.
:class:`KeyProvider` makes keys an identity provider (``Authorization: Bearer swk_...``): scope
``predict`` is the role ``scorer``, ``admin`` the role ``admin``.

    >>> store = KeyStore(Workspace("/tmp/ws"))                 # doctest: +SKIP
    >>> token, key = store.create("predict", name="batch")     # doctest: +SKIP
    >>> store.verify(token).scope                              # doctest: +SKIP
    'predict'
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import json
import os
import random
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Literal

from sparkwing._types import utcnow_iso
from sparkwing.auth._audit import AuditLog
from sparkwing.auth._identity import ADMIN, SCORER, Credentials, Identity
from sparkwing.errors import AuthError, ConfigError
from sparkwing.workspace import Storage, Workspace

Scope = Literal["predict", "admin"]
SCOPES: tuple[str, ...] = ("predict", "admin")
SCOPE_ROLES: dict[str, frozenset[str]] = {"predict": frozenset({SCORER}), "admin": frozenset({ADMIN})}
PREFIX = "swk_"
_ATTEMPTS = 200


@dataclass(frozen=True)
class ApiKey:
    """A stored key (never the secret): ``admin`` also grants ``predict``."""

    id: str
    name: str
    scope: str
    sha256: str
    created: str
    revoked: str | None = None

    def allows(self, scope: str) -> bool:
        return self.revoked is None and (self.scope == scope or self.scope == "admin")

    def public(self) -> dict[str, str | None]:
        return {k: v for k, v in asdict(self).items() if k != "sha256"}


class KeyStore:
    """The workspace's API keys; :meth:`reload` picks up keys created or revoked elsewhere.

    ``actor`` is who makes changes, for the audit log (default: the OS user at this host).
    """

    def __init__(self, workspace: Workspace, *, actor: str | None = None) -> None:
        self.uri = workspace.join("serve", "keys.json")
        self._storage: Storage = workspace.storage
        self._audit = AuditLog(workspace)
        self._actor = actor or _os_user()
        self._keys: dict[str, ApiKey] = {}
        self.reload()

    def reload(self) -> None:
        got = self._storage.read_versioned(self.uri)
        self._keys = self._parse(got[0]) if got is not None else {}

    def _parse(self, data: bytes) -> dict[str, ApiKey]:
        try:
            raw = json.loads(data)
            return {k["id"]: ApiKey(**k) for k in raw.get("keys", [])}
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise ConfigError(
                f"the API key file {self.uri} is corrupt: {type(exc).__name__}: {str(exc)[:100]}",
                hint="restore it from a backup, or delete it and create the keys again",
            ) from None

    def _update(self, change: Callable[[dict[str, ApiKey]], ApiKey]) -> ApiKey:
        """Read-modify-write of the key file as one compare-and-swap, retried on a conflict.

        ``change`` edits the keys it is given and returns the key it made or changed; when another
        process wrote the file in between, the write is refused and ``change`` runs again on the
        fresh keys, so no concurrent create or revoke is lost.
        """
        for attempt in range(_ATTEMPTS):
            got = self._storage.read_versioned(self.uri)
            keys = self._parse(got[0]) if got is not None else {}
            key = change(keys)
            body = {"keys": [asdict(k) for k in sorted(keys.values(), key=lambda k: k.created)]}
            if self._storage.replace_if(self.uri, json.dumps(body, indent=2).encode(),
                                        got[1] if got is not None else None):
                self._keys = keys
                return key
            time.sleep(random.uniform(0, 0.002 * min(attempt + 1, 50)))  # back off, out of step
        raise ConfigError(f"could not update {self.uri}: {_ATTEMPTS} concurrent writers in a row",
                          hint="retry the command")

    def keys(self) -> list[ApiKey]:
        return sorted(self._keys.values(), key=lambda k: k.created)

    def active(self) -> bool:
        """Whether any key could authenticate."""
        return any(k.revoked is None for k in self._keys.values())

    def create(self, scope: str, *, name: str = "") -> tuple[str, ApiKey]:
        """A new key; returns the token (shown once) and its stored record."""
        if scope not in SCOPES:
            raise ConfigError(f"unknown scope {scope!r}", hint="predict or admin")
        secret = secrets.token_urlsafe(24)

        def add(keys: dict[str, ApiKey]) -> ApiKey:
            key_id = secrets.token_hex(4)
            while key_id in keys:
                key_id = secrets.token_hex(4)
            keys[key_id] = ApiKey(key_id, name or f"key-{key_id}", scope, _hash(secret), utcnow_iso())
            return keys[key_id]

        key = self._update(add)
        self._audit.record("key_created", who=self._actor, peer=socket.gethostname(), service="keys",
                           key_id=key.id, key_name=key.name, scope=key.scope)  # fmt: skip
        return f"{PREFIX}{key.id}_{secret}", key

    def revoke(self, key_id_or_name: str) -> ApiKey:
        def mark(keys: dict[str, ApiKey]) -> ApiKey:
            matches = [k for k in keys.values() if key_id_or_name in (k.id, k.name)]
            if len(matches) != 1:
                raise ConfigError(
                    f"{'no' if not matches else 'more than one'} key matches {key_id_or_name!r}",
                    hint="`sparkwing keys list` shows ids",
                )
            key = ApiKey(**{**asdict(matches[0]), "revoked": matches[0].revoked or utcnow_iso()})
            keys[key.id] = key
            return key

        key = self._update(mark)
        self._audit.record("key_revoked", who=self._actor, peer=socket.gethostname(), service="keys",
                           key_id=key.id, key_name=key.name, scope=key.scope)  # fmt: skip
        return key

    def verify(self, token: str) -> ApiKey | None:
        """The key a token belongs to, or ``None`` (unknown, malformed or revoked)."""
        if not token.startswith(PREFIX):
            return None
        key_id, sep, secret = token[len(PREFIX):].partition("_")
        key = self._keys.get(key_id)
        if not sep or key is None or key.revoked is not None:
            return None
        return key if hmac.compare_digest(key.sha256, _hash(secret)) else None


class KeyProvider:
    """API keys as an identity provider: ``Bearer swk_...`` (or ``X-API-Key``) -> ``key:<id>``."""

    source = "key"
    scheme = "bearer"
    challenge = "Bearer"

    def __init__(self, store: KeyStore) -> None:
        self.store = store

    def authenticate(self, credentials: Credentials) -> Identity:
        if credentials.value.startswith(PREFIX):  # the id only: never the secret
            credentials.claimed = "key " + credentials.value[len(PREFIX):].partition("_")[0][:16]
        key = self.store.verify(credentials.value)
        if key is None:
            raise AuthError("a valid API key is required",
                            hint="send 'Authorization: Bearer <key>'; `sparkwing keys create` makes one")
        return Identity(key.id, SCOPE_ROLES[key.scope], self.source)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (a container's arbitrary uid)
        return f"uid {os.getuid()}"


def _hash(secret: str) -> str:
    # Secrets are 192 random bits, so a plain sha256 cannot be brute-forced; no salt is needed.
    return hashlib.sha256(secret.encode()).hexdigest()
