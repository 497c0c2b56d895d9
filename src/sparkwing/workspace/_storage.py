"""Plain-file storage for workspace state (run records, registry, keys, locks, table history),
local or S3.

Everything that must be atomic goes through :meth:`Storage.write_atomic` (local: write a
temporary file, then rename; S3: one PUT is atomic) and :meth:`Storage.create_exclusive`
(local: ``O_EXCL``; S3: conditional PUT with ``If-None-Match: *``).  A read-modify-write
(the API keys, a stale lock's takeover) is :meth:`Storage.read_versioned` then
:meth:`Storage.replace_if`, a compare-and-swap on the file's version (local: its content hash,
checked and replaced under an ``flock`` on a guard file beside it; S3: its ETag, with a PUT
conditional on ``If-Match``, or ``If-None-Match: *`` when it did not exist).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

from sparkwing.config import S3Settings, reveal
from sparkwing.errors import SourceError


def is_remote(uri: str) -> bool:
    """Whether ``uri`` names S3 (``s3://``, ``s3a://``, ``s3n://``) rather than a local path."""
    return uri.startswith(("s3://", "s3a://", "s3n://"))


class Storage(Protocol):
    def read_bytes(self, uri: str) -> bytes: ...
    def write_atomic(self, uri: str, data: bytes) -> None: ...
    def create_exclusive(self, uri: str, data: bytes) -> bool: ...
    def read_versioned(self, uri: str) -> tuple[bytes, str] | None: ...
    def replace_if(self, uri: str, data: bytes, version: str | None) -> bool: ...
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

    def read_versioned(self, uri: str) -> tuple[bytes, str] | None:
        """The content and its version (for :meth:`replace_if`), or ``None`` if there is none."""
        try:
            data = Path(_local(uri)).read_bytes()
        except FileNotFoundError:
            return None
        return data, _digest(data)

    def replace_if(self, uri: str, data: bytes, version: str | None) -> bool:
        """Write ``data`` only if the file is still at ``version`` (``None``: still absent)."""
        path = Path(_local(uri))
        path.parent.mkdir(parents=True, exist_ok=True)
        with _flocked(path.parent / f".{path.name}.cas"):
            try:
                current: str | None = _digest(path.read_bytes())
            except FileNotFoundError:
                current = None
            if current != version:
                return False
            if version is None:
                return self.create_exclusive(uri, data)
            self._publish(uri, data, os.replace)
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

    def read_versioned(self, uri: str) -> tuple[bytes, str] | None:
        bucket, key = split_s3(uri)
        try:
            got = self._client.get_object(Bucket=bucket, Key=key)
        except self._client.exceptions.NoSuchKey:
            return None
        return got["Body"].read(), str(got["ETag"])

    def replace_if(self, uri: str, data: bytes, version: str | None) -> bool:
        from botocore.exceptions import ClientError

        bucket, key = split_s3(uri)
        condition = {"IfNoneMatch": "*"} if version is None else {"IfMatch": version}
        try:
            self._client.put_object(Bucket=bucket, Key=key, Body=data, **condition)
        except ClientError as exc:
            # 412: the version moved; 409: a concurrent conditional write won; 404: it was deleted
            if exc.response.get("Error", {}).get("Code") in _CONFLICT:
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


_CONFLICT = {"PreconditionFailed", "412", "ConditionalRequestConflict", "409", "NoSuchKey", "404"}


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@contextlib.contextmanager
def _flocked(guard: Path) -> Iterator[None]:
    """An exclusive ``flock`` on ``guard``: released by the kernel if the process dies, never stale."""
    import fcntl

    fd = os.open(guard, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


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
        aws_access_key_id=reveal(settings.access_key_id),
        aws_secret_access_key=reveal(settings.secret_access_key),
    )


def split_s3(uri: str) -> tuple[str, str]:
    rest = uri.split("://", 1)[1]
    bucket, _, key = rest.partition("/")
    return bucket, key


def _local(uri: str) -> str:
    return uri[len("file://") :] if uri.startswith("file://") else uri
