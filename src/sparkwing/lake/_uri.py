"""Source URIs: resolve local paths, list the files behind a URI, peek at them, stage S3 objects.

Local Spark has no ``hadoop-aws`` jar, so S3 objects are copied with boto3 into the workspace
staging area and Spark reads the copies; on EMR (or wherever the S3A/EMRFS classes load) Spark
reads ``s3://`` directly.  ``lake.spark_s3`` in the settings chooses: ``auto``, ``always``, ``never``.

>>> resolve_uri("data/loan.csv", Path("/proj"))
'/proj/data/loan.csv'
"""

from __future__ import annotations

import fnmatch
import glob
import gzip
import io
import os
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sparkwing.config import S3Settings, Settings, reveal
from sparkwing.errors import SourceError, first_line, looks_transient
from sparkwing.workspace import is_remote, s3_client, split_s3

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

_GLOB = set("*?[")
HEAD_BYTES = 1 << 20  # the header line of a text source must fit in its first MiB


@dataclass(frozen=True)
class SourceFile:
    """One file behind a source URI, with what a fingerprint needs."""

    uri: str  # absolute local path or s3://bucket/key
    size: int
    modified: float | None = None  # POSIX seconds (local)
    etag: str | None = None  # S3


def resolve_uri(uri: str, base_dir: Path) -> str:
    """An absolute local path, or the s3:// URI unchanged (``s3a://`` stays as written)."""
    if is_remote(uri):
        return uri
    path = uri[len("file://") :] if uri.startswith("file://") else uri
    p = Path(os.path.expanduser(path))
    return str(p if p.is_absolute() else (base_dir / p).resolve())


def list_files(uri: str, s3: S3Settings) -> list[SourceFile]:
    """The data files behind a resolved URI (a file, a directory or a glob), sorted by name.

    Hidden files and Spark's ``_SUCCESS``/``.crc`` markers are skipped.  Nothing found means
    an empty list; the caller turns that into a :class:`SourceError`.
    """
    if is_remote(uri):
        return _list_s3(uri, s3)
    if _GLOB & set(uri):
        paths = sorted(glob.glob(uri, recursive=True))
    elif os.path.isdir(uri):
        paths = sorted(str(p) for p in Path(uri).rglob("*"))
    else:
        paths = [uri] if os.path.exists(uri) else []
    out = []
    for p in paths:
        if os.path.isfile(p) and _is_data(os.path.basename(p)):
            st = os.stat(p)
            out.append(SourceFile(p, st.st_size, modified=st.st_mtime))
    return out


def _is_data(name: str) -> bool:
    return not name.startswith((".", "_")) and not name.endswith(".crc")


def _list_s3(uri: str, s3: S3Settings) -> list[SourceFile]:
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, key = split_s3(uri)
    scheme = uri.split("://", 1)[0]
    pattern = key if _GLOB & set(key) else None
    prefix = key.split("*")[0].split("?")[0].split("[")[0] if pattern else key
    client = s3_client(s3)
    out = []
    try:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                k = obj["Key"]
                exact = k == key or k.startswith(key.rstrip("/") + "/")
                if (fnmatch.fnmatch(k, pattern) if pattern else exact) and _is_data(k.rsplit("/", 1)[-1]):
                    etag = obj["ETag"].strip('"')
                    out.append(SourceFile(f"{scheme}://{bucket}/{k}", obj["Size"], etag=etag))
    except (BotoCoreError, ClientError) as exc:
        raise SourceError(
            f"cannot list {uri}: {first_line(exc)}",
            hint="check s3.endpoint_url and the credentials in the settings",
            transient=looks_transient(exc),  # S3 throttling (SlowDown) passes; a bad key does not
        ) from None
    return sorted(out, key=lambda f: f.uri)


def read_head(file: SourceFile, s3: S3Settings, limit: int = HEAD_BYTES) -> bytes:
    """Up to ``limit`` bytes from the start of a file, gunzipped when it ends in ``.gz``."""
    if is_remote(file.uri):
        bucket, key = split_s3(file.uri)
        raw = s3_client(s3).get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{limit - 1}")["Body"].read()
        if not file.uri.endswith(".gz"):
            return raw
        try:
            return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(raw, limit)
        except zlib.error as exc:
            raise SourceError(f"{file.uri}: not a gzip file ({exc})") from None
    opener: Any = gzip.open if file.uri.endswith(".gz") else open
    try:
        with opener(file.uri, "rb") as fh:
            return fh.read(limit)
    except (OSError, EOFError) as exc:
        raise SourceError(f"{file.uri}: unreadable ({exc})") from None


def read_all(file: SourceFile, s3: S3Settings) -> bytes:
    """The whole (gunzipped) content of one file; for formats parsed on the driver."""
    if is_remote(file.uri):
        bucket, key = split_s3(file.uri)
        data = s3_client(s3).get_object(Bucket=bucket, Key=key)["Body"].read()
    else:
        data = Path(file.uri).read_bytes()
    if file.uri.endswith(".gz"):
        try:
            return gzip.GzipFile(fileobj=io.BytesIO(data)).read()
        except (OSError, EOFError) as exc:
            raise SourceError(f"{file.uri}: not a gzip file ({exc})") from None
    return data


def spark_s3_scheme(spark: SparkSession, settings: Settings) -> str | None:
    """How Spark itself opens S3 URIs: ``"s3"`` (EMRFS), ``"s3a"`` (hadoop-aws), ``""`` (as
    written, ``lake.spark_s3: always``) or None (it cannot; stage through boto3)."""
    mode = settings.lake.spark_s3
    if mode != "auto":
        return "" if mode == "always" else None
    jvm: Any = spark.sparkContext._jvm
    for scheme, cls in (
        ("s3", "com.amazon.ws.emr.hadoop.fs.EmrFileSystem"),
        ("s3a", "org.apache.hadoop.fs.s3a.S3AFileSystem"),
    ):
        try:
            jvm.java.lang.Class.forName(cls)
            return scheme
        except Exception:  # py4j raises Py4JJavaError for ClassNotFoundException
            continue
    return None


def with_scheme(uri: str, scheme: str) -> str:
    """``s3://b/k`` → ``s3a://b/k`` for ``scheme="s3a"``; ``""`` keeps the URI as written."""
    return f"{scheme}://{uri.split('://', 1)[1]}" if scheme and is_remote(uri) else uri


def configure_s3a(spark: SparkSession, s3: S3Settings) -> None:
    """Point Hadoop's S3A client at the configured endpoint and credentials (direct mode)."""
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    if s3.endpoint_url:
        conf.set("fs.s3a.endpoint", s3.endpoint_url)
        conf.set("fs.s3a.path.style.access", "true")
    if s3.access_key_id and s3.secret_access_key:
        conf.set("fs.s3a.access.key", reveal(s3.access_key_id))
        conf.set("fs.s3a.secret.key", reveal(s3.secret_access_key))
    if s3.region:
        conf.set("fs.s3a.endpoint.region", s3.region)


def stage_files(files: list[SourceFile], staging_dir: str, s3: S3Settings) -> list[SourceFile]:
    """Copy S3 objects into a local staging directory; return the local copies.

    ``staging_dir`` is the workspace staging area when the workspace is local; with an S3
    workspace a temporary local directory stands in.
    """
    target = Path(staging_dir) if not is_remote(staging_dir) else Path(tempfile.mkdtemp(prefix="sparkwing-"))
    target.mkdir(parents=True, exist_ok=True)
    client = s3_client(s3)
    out = []
    for i, f in enumerate(files):
        bucket, key = split_s3(f.uri)
        local = target / f"{i:05d}-{key.rsplit('/', 1)[-1]}"  # keeps .gz so Spark decompresses
        client.download_file(bucket, key, str(local))
        out.append(SourceFile(str(local), f.size, modified=os.stat(local).st_mtime))
    return out
