"""Small types shared across packages."""

from __future__ import annotations

import datetime as _dt
import ipaddress
import secrets
from urllib.parse import urlsplit

JsonDict = dict[str, object]


def new_run_id(now: _dt.datetime | None = None) -> str:
    """A sortable, unique run id: ``20261126T213600Z-3f9a``."""
    now = now or _dt.datetime.now(_dt.timezone.utc)
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(2)


def utcnow_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds")


def is_loopback_url(url: str) -> bool:
    """Whether ``url``'s host is this machine's loopback (127.0.0.0/8, ``::1``, ``localhost``).

    >>> is_loopback_url("http://127.0.0.1:54321"), is_loopback_url("http://10.0.0.7:54321")
    (True, False)
    """
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
