"""Source fingerprints: what a source looked like when it was read (no Spark needed).

Model cards record them; data-arrival triggers compare ``signature`` between runs.

>>> fingerprint_files("/d/a.csv", "csv", [SourceFile("/d/a.csv", 10, modified=0.0)])["size_bytes"]
10
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from sparkwing.lake._uri import SourceFile


def fingerprint_files(uri: str, fmt: str, files: list[SourceFile]) -> dict[str, Any]:
    """URI, format, file count, total size, newest modification time or ETag, and a signature."""
    mtimes = [f.modified for f in files if f.modified is not None]
    etags = [f.etag for f in files if f.etag]
    items = "\n".join(f"{f.uri}\t{f.size}\t{f.modified or ''}\t{f.etag or ''}" for f in files)
    etag = None
    if etags:
        joined = hashlib.sha256("\n".join(etags).encode()).hexdigest()[:32]
        etag = etags[0] if len(etags) == 1 else f"multi-{joined}"
    modified = None
    if mtimes:
        modified = dt.datetime.fromtimestamp(max(mtimes), dt.timezone.utc).isoformat(timespec="seconds")
    return {
        "uri": uri,
        "format": fmt,
        "files": len(files),
        "size_bytes": sum(f.size for f in files),
        "modified": modified,
        "etag": etag,
        "signature": hashlib.sha256(items.encode()).hexdigest()[:32],
    }
