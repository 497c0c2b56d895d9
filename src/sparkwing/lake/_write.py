"""Write DataFrames to lake URIs: local paths (atomic swap of the folder) or S3.

When Spark cannot reach S3 (no hadoop-aws), the frame is written to a local temporary folder
and uploaded with boto3.  The formats a score may write are ``sparkwing.config.OUTPUT_FORMATS``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from sparkwing.config import OUTPUT_FORMATS, S3Settings, Settings
from sparkwing.errors import ConfigError, SourceError, first_line, looks_transient
from sparkwing.lake._uri import configure_s3a, resolve_uri, spark_s3_scheme, with_scheme
from sparkwing.workspace import is_remote, s3_client, split_s3

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def write_output(df: DataFrame, uri: str, format: str, *, settings: Settings, base_dir: Path) -> str:
    """Write ``df`` to ``uri`` (replacing what was there) and return the resolved URI.

    ``write_output(df, "out/scores", "parquet", settings=s, base_dir=Path("."))``
    """
    if format not in OUTPUT_FORMATS:
        raise ConfigError(f"cannot write format {format!r}", hint=f"use one of {sorted(OUTPUT_FORMATS)}")
    target = resolve_uri(uri, base_dir)
    write_frame(df, target, format, settings, {"header": "true"} if format == "csv" else None)
    return target


def write_frame(
    df: DataFrame, uri: str, fmt: str, settings: Settings, options: dict[str, str] | None = None
) -> None:
    """Write a frame as a folder of part files at a resolved local path or S3 URI."""
    opts = options or {}
    if is_remote(uri):
        scheme = spark_s3_scheme(df.sparkSession, settings)
        if scheme is not None:
            configure_s3a(df.sparkSession, settings.s3)
            df.write.mode("overwrite").format(fmt).options(**opts).save(with_scheme(uri, scheme))
            return
        tmp = tempfile.mkdtemp(prefix="sparkwing-out-")
        try:
            local = os.path.join(tmp, "data")
            df.write.format(fmt).options(**opts).save(local)
            upload_dir(local, uri, settings.s3)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return
    path = Path(uri)
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(4)
    tmp_path = path.parent / f".{path.name}.tmp-{token}"
    try:
        df.write.format(fmt).options(**opts).save(str(tmp_path))
        # Readers see the old folder or the new one, never a half-written one.
        if path.exists():
            old = path.parent / f".{path.name}.old-{token}"
            os.replace(path, old)
            os.replace(tmp_path, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp_path, path)
    finally:
        shutil.rmtree(tmp_path, ignore_errors=True)


def upload_dir(local: str, uri: str, s3: S3Settings) -> None:
    """Replace the objects under ``uri/`` with the files of a local folder (``.crc`` skipped)."""
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, key = split_s3(uri)
    prefix = key.rstrip("/") + "/"
    client = s3_client(s3)
    try:
        old = [
            o["Key"]
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            for o in page.get("Contents", [])
        ]
        for i in range(0, len(old), 1000):
            client.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in old[i : i + 1000]]})
        for root, _dirs, names in os.walk(local):
            for name in sorted(names):
                if name.endswith(".crc"):
                    continue
                rel = os.path.relpath(os.path.join(root, name), local).replace(os.sep, "/")
                client.upload_file(os.path.join(root, name), bucket, prefix + rel)
    except (BotoCoreError, ClientError) as exc:
        first = first_line(exc)
        raise SourceError(f"cannot write {uri}: {first}", hint="check the s3 settings",
                          transient=looks_transient(exc)) from None
