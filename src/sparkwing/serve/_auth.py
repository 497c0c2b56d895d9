"""API keys: created once (the secret is shown once), stored hashed in the workspace.

``<workspace>/serve/keys.json`` holds, per key, its id, name, scope, the sha256 of its secret
and whether it is revoked.  A key reads ``swk_<id>_<secret>``; the id finds the record, the
secret's hash is compared in constant time.

    >>> store = KeyStore(Workspace("/tmp/ws"))                 # doctest: +SKIP
    >>> token, key = store.create("predict", name="batch")     # doctest: +SKIP
    >>> store.verify(token).scope                              # doctest: +SKIP
    'predict'
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import asdict, dataclass
from typing import Literal

from sparkwing._types import utcnow_iso
from sparkwing.errors import ConfigError, SourceError
from sparkwing.workspace import Storage, Workspace

Scope = Literal["predict", "admin"]
SCOPES: tuple[str, ...] = ("predict", "admin")
PREFIX = "swk_"


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
    """The workspace's API keys; :meth:`reload` picks up keys created or revoked elsewhere."""

    def __init__(self, workspace: Workspace) -> None:
        self.uri = workspace.join("serve", "keys.json")
        self._storage: Storage = workspace.storage
        self._keys: dict[str, ApiKey] = {}
        self.reload()

    def reload(self) -> None:
        try:
            raw = json.loads(self._storage.read_bytes(self.uri))
        except SourceError:
            raw = {"keys": []}
        self._keys = {k["id"]: ApiKey(**k) for k in raw.get("keys", [])}

    def keys(self) -> list[ApiKey]:
        return sorted(self._keys.values(), key=lambda k: k.created)

    def active(self) -> bool:
        """Whether any key could authenticate."""
        return any(k.revoked is None for k in self._keys.values())

    def create(self, scope: str, *, name: str = "") -> tuple[str, ApiKey]:
        """A new key; returns the token (shown once) and its stored record."""
        if scope not in SCOPES:
            raise ConfigError(f"unknown scope {scope!r}", hint="predict or admin")
        self.reload()
        key_id = secrets.token_hex(4)
        while key_id in self._keys:
            key_id = secrets.token_hex(4)
        secret = secrets.token_urlsafe(24)
        key = ApiKey(key_id, name or f"key-{key_id}", scope, _hash(secret), utcnow_iso())
        self._keys[key_id] = key
        self._save()
        return f"{PREFIX}{key_id}_{secret}", key

    def revoke(self, key_id_or_name: str) -> ApiKey:
        self.reload()
        matches = [k for k in self._keys.values() if key_id_or_name in (k.id, k.name)]
        if len(matches) != 1:
            raise ConfigError(
                f"{'no' if not matches else 'more than one'} key matches {key_id_or_name!r}",
                hint="`sparkwing keys list` shows ids",
            )
        key = ApiKey(**{**asdict(matches[0]), "revoked": matches[0].revoked or utcnow_iso()})
        self._keys[key.id] = key
        self._save()
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

    def _save(self) -> None:
        body = {"keys": [asdict(k) for k in self.keys()]}
        self._storage.write_atomic(self.uri, json.dumps(body, indent=2).encode())


def _hash(secret: str) -> str:
    # Secrets are 192 random bits, so a plain sha256 cannot be brute-forced; no salt is needed.
    return hashlib.sha256(secret.encode()).hexdigest()
