"""Plain-file storage for workspace state (run records, registry, keys, locks, table history),
local or S3.

Everything that must be atomic goes through :meth:`Storage.write_atomic` (local: write a
temporary file, then rename; S3: one PUT is atomic) and :meth:`Storage.create_exclusive`
(local: ``O_EXCL``; S3: conditional PUT with ``If-None-Match: *``).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from sparkwing.config import S3Settings
from sparkwing.errors import SourceError


def is_remote(uri: str) -> bool:
    """Whether ``uri`` names S3 (``s3://``, ``s3a://``, ``s3n://``) rather than a local path."""
    return uri.startswith(("s3://", "s3a://", "s3n://"))


class Storage(Protocol):
    def read_bytes(self, uri: str) -> bytes: ...
    def write_atomic(self, uri: str, data: bytes) -> None: ...
    def create_exclusive(self, uri: str, data: bytes) -> bool: ...
    def exists(self, uri: str) -> bool: ...
    def list(self, uri: str) -> list[str]: ...
    def delete(self, uri: str) -> None: ...


class LocalStorage:
    """Files on the local filesystem (or a shared mount)."""

    def read_bytes(self, uri: str) -> bytes:
        try:
            return Path(_local(uri)).read_bytes()
        except FileNotFoundError:
            raise SourceError(f"not found: {uri}", source=uri) from None

    def write_atomic(self, uri: str, data: bytes) -> None:
        self._publish(uri, data, os.replace)

    def create_exclusive(self, uri: str, data: bytes) -> bool:
        # Hard-linking the complete temporary file fails if the name exists, and a reader
        # never sees a half-written file (O_EXCL alone would show one).
        try:
            self._publish(uri, data, os.link)
        except FileExistsError:
            return False
        return True

    @staticmethod
    def _publish(uri: str, data: bytes, place: Callable[[str, Path], None]) -> None:
        """Write ``data`` to a synced temporary file beside ``uri``, then ``place`` it there."""
        path = Path(_local(uri))
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            place(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)  # after os.replace the name is gone; after os.link it is a 2nd name

    def exists(self, uri: str) -> bool:
        return Path(_local(uri)).exists()

    def list(self, uri: str) -> list[str]:
        path = Path(_local(uri))
        if not path.is_dir():
            return []
        return sorted(p.name for p in path.iterdir() if not p.name.startswith("."))

    def delete(self, uri: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            Path(_local(uri)).unlink()


class S3Storage:
    """Objects in S3 or any S3-compatible server (endpoint from settings)."""

    def __init__(self, settings: S3Settings) -> None:
        self._client = s3_client(settings)

    def read_bytes(self, uri: str) -> bytes:
        bucket, key = split_s3(uri)
        try:
            return self._client.get_object(Bucket=bucket, Key=key)["Body"].read()
        except self._client.exceptions.NoSuchKey:
            raise SourceError(f"not found: {uri}", source=uri) from None

    def write_atomic(self, uri: str, data: bytes) -> None:
        bucket, key = split_s3(uri)
        self._client.put_object(Bucket=bucket, Key=key, Body=data)

    def create_exclusive(self, uri: str, data: bytes) -> bool:
        from botocore.exceptions import ClientError

        bucket, key = split_s3(uri)
        try:
            self._client.put_object(Bucket=bucket, Key=key, Body=data, IfNoneMatch="*")
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"PreconditionFailed", "412"}:
                return False
            raise
        return True

    def exists(self, uri: str) -> bool:
        from botocore.exceptions import ClientError

        bucket, key = split_s3(uri)
        try:
            self._client.head_object(Bucket=bucket, Key=key)
            return True
        except ClientError:
            return bool(self.list(uri))

    def list(self, uri: str) -> list[str]:
        bucket, key = split_s3(uri)
        prefix = key.rstrip("/") + "/" if key else ""
        names: set[str] = set()
        paginator = self._client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
            names.update(c["Prefix"][len(prefix) :].rstrip("/") for c in page.get("CommonPrefixes", []))
            names.update(o["Key"][len(prefix) :] for o in page.get("Contents", []))
        return sorted(n for n in names if n and not n.startswith("."))

    def delete(self, uri: str) -> None:
        bucket, key = split_s3(uri)
        self._client.delete_object(Bucket=bucket, Key=key)


def storage_for(uri: str, s3: S3Settings) -> Storage:
    """The storage that serves ``uri``: S3 (with these settings) for s3:// URIs, else local files.

    ``s3`` is required: a default client would send an S3 workspace's files to AWS, not to
    the configured endpoint.  Workspace code uses :attr:`Workspace.storage` instead.
    """
    if is_remote(uri):
        return S3Storage(s3)
    return LocalStorage()


def s3_client(settings: S3Settings) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=settings.endpoint_url,
        region_name=settings.region or "us-east-1",
        aws_access_key_id=settings.access_key_id,
        aws_secret_access_key=settings.secret_access_key,
    )


def split_s3(uri: str) -> tuple[str, str]:
    rest = uri.split("://", 1)[1]
    bucket, _, key = rest.partition("/")
    return bucket, key


def _local(uri: str) -> str:
    return uri[len("file://") :] if uri.startswith("file://") else uri
