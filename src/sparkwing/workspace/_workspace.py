"""The workspace: where a run's state lives (layout) and how it is read and written (storage).

Building a :class:`Workspace` touches neither the filesystem nor S3; its storage (and, on S3,
the boto3 client) is made on first use and then shared by everyone holding the value.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from sparkwing.config import S3Settings, Settings, check_name
from sparkwing.workspace._storage import Storage, is_remote, storage_for

DEFAULT = "./sparkwing-home"


@dataclass(frozen=True, init=False)
class Workspace:
    """The workspace tree of ARCHITECTURE.md under ``root`` (an absolute path or an s3:// URI),
    with the storage that reads and writes it.

    >>> Workspace("/tmp/ws").runs("loans")
    '/tmp/ws/runs/loans'
    >>> Workspace("s3://bucket/prefix/", s3=S3Settings(endpoint_url="http://127.0.0.1:9000")).models("churn")
    's3://bucket/prefix/models/churn'
    """

    root: str
    s3: S3Settings

    def __init__(self, uri: str | os.PathLike[str] = DEFAULT, *, s3: S3Settings | None = None) -> None:
        object.__setattr__(self, "root", _absolute(os.fspath(uri)))
        object.__setattr__(self, "s3", s3 if s3 is not None else S3Settings())

    @classmethod
    def from_settings(cls, settings: Settings) -> Workspace:
        """The workspace the settings name, with their S3 settings."""
        return cls(settings.workspace, s3=settings.s3)

    def __repr__(self) -> str:  # never the keys
        endpoint = f", endpoint_url={self.s3.endpoint_url!r}" if self.s3.endpoint_url else ""
        return f"Workspace({self.root!r}{endpoint})"

    @cached_property
    def storage(self) -> Storage:
        """Plain-file storage for this workspace: local files, or S3 with these S3 settings."""
        return storage_for(self.root, self.s3)

    @property
    def local(self) -> bool:
        return not is_remote(self.root)

    # --- layout: pure path arithmetic ------------------------------------------------------
    # The named folders below check each name they are given (one path segment: no separator,
    # no '..', no control character; sparkwing.config.check_name), the last guard between a
    # hostile name that got past an entry point and a file outside the workspace.

    def join(self, *parts: str) -> str:
        return "/".join([self.root, *(p.strip("/") for p in parts if p)])

    def _named(self, area: str, *names: str) -> str:
        for name in names:
            if name:
                check_name(name, "segment")
        return self.join(area, *names)

    def quarantine(self, pipeline: str, run_id: str, source: str) -> str:
        return self._named("quarantine", pipeline, run_id, source)

    def staging(self, pipeline: str, run_id: str, name: str = "") -> str:
        """``name`` may be a relative path inside the run's staging folder (``sources/loans``)."""
        return self._named("staging", pipeline, run_id, *(name.split("/") if name else []))

    @property
    def warehouse(self) -> str:
        return self.join("warehouse")

    def table_dir(self, db: str, table: str) -> str:
        check_name(db, "segment")
        return self._named("warehouse", f"{db}.db", table)

    def table_version(self, db: str, table: str, version: str) -> str:
        check_name(version, "segment")
        return f"{self.table_dir(db, table)}/v={version}"

    @property
    def metastore(self) -> str:
        return self.join("metastore")

    def models(self, name: str = "") -> str:
        return self._named("models", name)

    def runs(self, pipeline: str = "", run_id: str = "") -> str:
        return self._named("runs", pipeline, run_id)


def _absolute(uri: str) -> str:
    if is_remote(uri):
        return uri.rstrip("/")
    if uri.startswith("file://"):
        uri = uri[len("file://") :]
    return str(Path(os.path.expanduser(uri)).resolve())
