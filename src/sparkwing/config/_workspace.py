"""Where things live inside a workspace.  Pure path arithmetic: no I/O here."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def is_remote(uri: str) -> bool:
    return uri.startswith(("s3://", "s3a://", "s3n://"))


@dataclass(frozen=True)
class WorkspaceLayout:
    """The workspace tree of ARCHITECTURE.md.  ``root`` is an absolute path or an s3:// URI.

    >>> WorkspaceLayout.resolve("/tmp/ws").runs("loans")
    '/tmp/ws/runs/loans'
    """

    root: str

    @classmethod
    def resolve(cls, uri: str) -> WorkspaceLayout:
        if is_remote(uri):
            return cls(uri.rstrip("/"))
        if uri.startswith("file://"):
            uri = uri[len("file://") :]
        return cls(str(Path(os.path.expanduser(uri)).resolve()))

    @property
    def local(self) -> bool:
        return not is_remote(self.root)

    def join(self, *parts: str) -> str:
        return "/".join([self.root, *(p.strip("/") for p in parts if p)])

    def quarantine(self, pipeline: str, run_id: str, source: str) -> str:
        return self.join("quarantine", pipeline, run_id, source)

    def staging(self, pipeline: str, run_id: str, name: str = "") -> str:
        return self.join("staging", pipeline, run_id, name)

    @property
    def warehouse(self) -> str:
        return self.join("warehouse")

    def table_dir(self, db: str, table: str) -> str:
        return self.join("warehouse", f"{db}.db", table)

    def table_version(self, db: str, table: str, version: str) -> str:
        return self.join("warehouse", f"{db}.db", table, f"v={version}")

    @property
    def metastore(self) -> str:
        return self.join("metastore")

    def models(self, name: str = "") -> str:
        return self.join("models", name)

    def runs(self, pipeline: str = "", run_id: str = "") -> str:
        return self.join("runs", pipeline, run_id)

    def locks(self) -> str:
        return self.join("locks")
