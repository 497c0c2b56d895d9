"""The audit log: who did what, when, from where (sign-ins, failures, key changes, promotions).

One JSON object per event, in the workspace under ``audit/``: on a local workspace appended to
``audit/<YYYY-MM-DD>.jsonl`` (one ``write`` of one line per event, with ``O_APPEND``, so that
concurrent processes never interleave), on S3 (which cannot append) one object per event under
``audit/<YYYY-MM-DD>/``.  Each event also goes to the ``sparkwing.audit`` logger.  Values are
JSON-encoded (a name with a newline cannot forge a line) and cut at 200 characters; secrets are
never passed in.

    >>> AuditLog(Workspace("/tmp/ws")).record("sign_in", who="alice", peer="10.0.0.7",
    ...                                       source="ldap", service="ui")   # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from pathlib import Path
from typing import Any

from sparkwing._types import utcnow_iso
from sparkwing.workspace import Workspace

log = logging.getLogger("sparkwing.audit")
_MAX = 200
#: The events written, for readers and tests (one vocabulary).
EVENTS = ("sign_in", "sign_in_failed", "sign_out", "forbidden", "throttled", "key_created",
          "key_revoked", "promoted", "rolled_back")  # fmt: skip


class AuditLog:
    """Append-only events under ``<workspace>/audit``."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.root = workspace.join("audit")

    def record(self, event: str, *, who: str, peer: str = "", source: str = "", service: str = "",
               **detail: Any) -> dict[str, Any]:
        """Write one event; ``who`` is the identity's (or the attempted) name, ``peer`` its address."""
        if event not in EVENTS:
            raise ValueError(f"unknown audit event {event!r}")
        entry: dict[str, Any] = {"time": utcnow_iso(), "event": event, "who": _cut(who), "from": _cut(peer),
                                 "source": source, "service": service}  # fmt: skip
        entry.update({k: _cut(v) if isinstance(v, str) else v for k, v in detail.items()})
        line = json.dumps(entry, sort_keys=True, ensure_ascii=True)
        day = entry["time"][:10]
        if self.workspace.local:
            folder = Path(self.root)
            folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(folder / f"{day}.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                os.write(fd, (line + "\n").encode())
            finally:
                os.close(fd)
        else:
            name = f"{entry['time'][11:23].replace(':', '')}-{event}-{secrets.token_hex(4)}.json"
            self.workspace.storage.create_exclusive(f"{self.root}/{day}/{name}", line.encode())
        log.info("%s", _readable(entry))
        return entry

    def events(self, day: str | None = None) -> list[dict[str, Any]]:
        """The events of ``day`` (``YYYY-MM-DD``; default: every day), oldest first."""
        out: list[dict[str, Any]] = []
        storage = self.workspace.storage
        if self.workspace.local:
            folder = Path(self.root)
            files = sorted(folder.glob(f"{day or '*'}.jsonl")) if folder.is_dir() else []
            for path in files:
                out.extend(json.loads(line) for line in path.read_text().splitlines() if line.strip())
        else:
            days = [day] if day else sorted(d.rstrip("/") for d in storage.list(self.root))
            for d in days:
                for name in sorted(storage.list(f"{self.root}/{d}")):
                    out.append(json.loads(storage.read_bytes(f"{self.root}/{d}/{name}")))
        return sorted(out, key=lambda e: e["time"])


def _readable(entry: dict[str, Any]) -> str:
    """One console line for a person (the file keeps the JSON): ``promoted by alice via cli: ...``
    (the logger's name, ``sparkwing.audit``, says it is an audit event)."""
    head = f"{entry['event']} by {_word(entry['who']) or '?'}"
    for key, word in (("service", "via"), ("source", "signed in with"), ("from", "from")):
        if entry.get(key):
            head += f" {word} {_word(entry[key])}"
    rest = {k: v for k, v in entry.items() if k not in ("time", "event", "who", "from", "source", "service")}
    details = " ".join(f"{k}={json.dumps(v, ensure_ascii=True)}" for k, v in sorted(rest.items()))
    return head + (f": {details}" if details else "")


def _word(value: Any) -> str:
    """``value`` as it is when plain; JSON-quoted when it has spaces or control characters."""
    text = str(value)
    return text if text.isprintable() and " " not in text else json.dumps(text, ensure_ascii=True)


def _cut(text: str) -> str:
    return text if len(text) <= _MAX else text[:_MAX] + "…"
