"""Data-arrival checks: which objects under a lake prefix are new and settled, or flagged done.

An object is *new* when its (key, signature) has not fired before; the signature is size and
modification time locally, the ETag on S3, so a rewritten file counts as arriving again.  New
objects must all be at least ``settle_seconds`` old (no writer still busy) before a run starts.
With a ``done_flag`` only new flag objects count, and the run reports the data beside each flag.
Listing is capped at :data:`MAX_OBJECTS` so that a huge prefix cannot make a tick unbounded.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sparkwing.config import DataTrigger, S3Settings
from sparkwing.errors import ConfigError, SourceError, first_line, looks_transient
from sparkwing.workspace import is_remote, s3_client, split_s3

UTC = timezone.utc

MAX_OBJECTS = 100_000


@dataclass(frozen=True)
class LakeObject:
    uri: str
    signature: str  # size + mtime, or the ETag
    modified: datetime

    @property
    def name(self) -> str:
        return self.uri.rstrip("/").rsplit("/", 1)[-1]

    @property
    def folder(self) -> str:
        return self.uri.rsplit("/", 1)[0]


@dataclass(frozen=True)
class Arrival:
    """What a data trigger fires for: the new objects (or flags) and the data files they cover."""

    marks: list[LakeObject]  # what is recorded as seen
    files: list[str]  # what arrived, for the run record


def _hidden(name: str) -> bool:
    return name.startswith((".", "_")) or name.endswith(".crc")


def list_objects(uri: str, s3: S3Settings, *, base: Path | None = None) -> list[LakeObject]:
    """Every object under ``uri`` (recursively), at most :data:`MAX_OBJECTS`; none if it is absent."""
    if is_remote(uri):
        return _list_s3(uri, s3)
    path = Path(uri[len("file://"):] if uri.startswith("file://") else uri).expanduser()
    if not path.is_absolute() and base is not None:
        path = base / path
    if path.is_file():
        return [_local(path)]
    out: list[LakeObject] = []
    for root, dirs, names in os.walk(path):
        dirs.sort()
        for name in sorted(names):
            out.append(_local(Path(root) / name))
            if len(out) > MAX_OBJECTS:
                raise ConfigError(f"on_data.uri {uri} holds more than {MAX_OBJECTS:,} objects",
                                  hint="watch a narrower prefix, e.g. a dated folder")
    return out


def _local(path: Path) -> LakeObject:
    st = path.stat()
    return LakeObject(str(path), f"{st.st_size}:{st.st_mtime_ns}", datetime.fromtimestamp(st.st_mtime, UTC))


def _list_s3(uri: str, s3: S3Settings) -> list[LakeObject]:
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, key = split_s3(uri)
    scheme = uri.split("://", 1)[0]
    prefix = key.rstrip("/") + "/" if key else ""
    out: list[LakeObject] = []
    try:
        for page in s3_client(s3).get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                out.append(LakeObject(f"{scheme}://{bucket}/{obj['Key']}", obj["ETag"].strip('"'),
                                      obj["LastModified"].astimezone(UTC)))
            if len(out) > MAX_OBJECTS:
                raise ConfigError(f"on_data.uri {uri} holds more than {MAX_OBJECTS:,} objects",
                                  hint="watch a narrower prefix")
    except (BotoCoreError, ClientError) as exc:
        raise SourceError(f"cannot list {uri}: {first_line(exc)}", hint="check the s3 settings",
                          transient=looks_transient(exc)) from None
    return out


def check_arrival(
    trigger: DataTrigger, uri: str, seen: dict[str, str], now: datetime, s3: S3Settings,
    *, base: Path | None = None,
) -> Arrival | None:
    """The arrival to fire for under ``uri`` now, or None (nothing new, or not settled yet)."""
    objects = list_objects(uri, s3, base=base)
    if trigger.done_flag:
        flags = [o for o in objects if o.name == trigger.done_flag and seen.get(o.uri) != o.signature]
        if not flags:
            return None
        folders = {f.folder for f in flags}
        files = [o.uri for o in objects if o.folder in folders and not _hidden(o.name)]
        return Arrival(flags, files)
    new = [o for o in objects if not _hidden(o.name) and seen.get(o.uri) != o.signature]
    if not new:
        return None
    if any((now - o.modified).total_seconds() < trigger.settle_seconds for o in new):
        return None  # a writer may still be busy: wait until the whole drop has settled
    return Arrival(new, [o.uri for o in new])


def forget_gone(seen: dict[str, str], uri_prefix: str, present: set[str]) -> dict[str, str]:
    """``seen`` without the objects under ``uri_prefix`` that no longer exist (keeps it bounded)."""
    return {k: v for k, v in seen.items() if not k.startswith(uri_prefix) or k in present}
