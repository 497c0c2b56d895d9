"""Small types shared across packages."""

from __future__ import annotations

import datetime as _dt
import secrets

JsonDict = dict[str, object]


def new_run_id(now: _dt.datetime | None = None) -> str:
    """A sortable, unique run id: ``20261126T213600Z-3f9a``."""
    now = now or _dt.datetime.now(_dt.timezone.utc)
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(2)


def utcnow_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds")
