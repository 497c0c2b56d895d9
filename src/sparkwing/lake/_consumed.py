"""Incremental sources: which files earlier successful runs consumed, so a run reads only new ones.

``incremental: true`` on a source keeps a ledger per pipeline and source at
``<workspace>/incremental/<pipeline>/<source>.json``: each consumed file's URI with its size,
modification time (local) or ETag (S3) and the run that consumed it.  A run reads the files that
are not in the ledger, and re-reads (and reports) a file whose size, time or ETag changed.

Exactly once across failures: the files a run picks are kept in its record (the source step's
``incremental`` details), a resumed run reads that same list again, and the ledger is written
only when the whole run has succeeded, so a failed run consumes nothing.  The ledger is written
with the storage's atomic write; if that write itself fails after a successful run, the next run
reads those files again (at least once, never lost) and says why in the log.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sparkwing.errors import SourceError
from sparkwing.lake._uri import SourceFile
from sparkwing.workspace import Workspace


@dataclass(frozen=True)
class Selection:
    """The files one run reads from an incremental source, and why."""

    files: list[SourceFile]  # new and changed, in listing order
    changed: list[str] = field(default_factory=list)  # URIs read before whose content changed
    already: int = 0  # files consumed by earlier runs and unchanged (not read)

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": [_mark(f) for f in self.files], "new": len(self.files) - len(self.changed),
            "changed": self.changed, "already_consumed": self.already,
        }  # fmt: skip


def ledger_uri(workspace: Workspace, pipeline: str, source: str) -> str:
    return workspace.join("incremental", pipeline, f"{source}.json")


def load_ledger(workspace: Workspace, pipeline: str, source: str) -> dict[str, dict[str, Any]]:
    """URI -> what was consumed (size, modified, etag, run_id); empty before the first success."""
    uri = ledger_uri(workspace, pipeline, source)
    if not workspace.storage.exists(uri):
        return {}
    try:
        data = json.loads(workspace.storage.read_bytes(uri))
        return {str(k): dict(v) for k, v in data["files"].items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise SourceError(f"source {source!r}: unreadable incremental ledger {uri}: {exc}", source=source,
                          hint="fix the file, or delete it to read every file again") from None


def select_new(files: list[SourceFile], ledger: dict[str, dict[str, Any]]) -> Selection:
    """The files not consumed yet, or changed since they were."""
    picked: list[SourceFile] = []
    changed: list[str] = []
    for f in files:
        seen = ledger.get(f.uri)
        if seen is None:
            picked.append(f)
        elif _identity(seen) != _identity(_mark(f)):
            picked.append(f)
            changed.append(f.uri)
    return Selection(picked, changed, already=len(files) - len(picked))


def pinned_selection(details: dict[str, Any]) -> Selection:
    """The selection a run made before (kept in its record): a resume reads the same files."""
    files = [SourceFile(uri=m["uri"], size=int(m["size"]), modified=m.get("modified"), etag=m.get("etag"))
             for m in details.get("files", [])]
    return Selection(files, list(details.get("changed", [])), int(details.get("already_consumed", 0)))


def commit_consumed(workspace: Workspace, pipeline: str, source: str, details: dict[str, Any],
                    run_id: str) -> int:
    """Add a succeeded run's files to the ledger; returns how many were recorded."""
    ledger = load_ledger(workspace, pipeline, source)
    marks = details.get("files", [])
    for m in marks:
        ledger[m["uri"]] = {k: m.get(k) for k in ("size", "modified", "etag")} | {"run_id": run_id}
    body = json.dumps({"pipeline": pipeline, "source": source, "files": ledger}, indent=1, sort_keys=True)
    workspace.storage.write_atomic(ledger_uri(workspace, pipeline, source), body.encode())
    return len(marks)


def _mark(f: SourceFile) -> dict[str, Any]:
    return {"uri": f.uri, "size": f.size, "modified": f.modified, "etag": f.etag}


def _identity(mark: dict[str, Any]) -> tuple[Any, ...]:
    return (int(mark.get("size") or 0), mark.get("modified"), mark.get("etag"))
