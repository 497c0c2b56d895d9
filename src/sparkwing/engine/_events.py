"""Spark event logs in the workspace (``<workspace>/spark-events``), for Spark's History Server.

A local workspace gets ``file://<workspace>/spark-events``; an ``s3://`` workspace on a cluster
gets ``s3a://.../spark-events`` (EMR and hadoop-aws both open s3a).  An ``s3://`` workspace
with a local master gets none: pyspark ships no S3 filesystem, and a missing log directory
would stop Spark from starting.  ``spark.conf`` settings of the user win (e.g.
``spark.eventLog.enabled: "false"``).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sparkwing.config import Settings
from sparkwing.workspace import Workspace

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

EVENTS_DIR = "spark-events"
MARKER = ".sparkwing"  # hidden: the History Server skips names starting with a dot


def events_dir(settings: Settings) -> str | None:
    """Where this workspace's runs write their event logs, as Spark opens it; None if nowhere."""
    ws = Workspace.from_settings(settings)
    if ws.local:
        return Path(ws.join(EVENTS_DIR)).as_uri()
    if settings.spark.master.startswith("local"):
        return None
    scheme, _, rest = ws.join(EVENTS_DIR).partition("://")
    return f"s3a://{rest}"


def event_log_conf(settings: Settings) -> dict[str, str]:
    where = events_dir(settings)
    if where is None:
        return {}
    conf = {"spark.eventLog.enabled": "true", "spark.eventLog.dir": where}
    if where.startswith("s3a://") and settings.s3.endpoint_url:
        conf["spark.hadoop.fs.s3a.endpoint"] = settings.s3.endpoint_url
        conf["spark.hadoop.fs.s3a.path.style.access"] = "true"
    return conf


def prepare_events_dir(settings: Settings, conf: dict[str, str]) -> None:
    """Create the log directory Spark insists on finding (S3: a hidden marker object under it)."""
    if conf.get("spark.eventLog.enabled", "false").lower() != "true":
        return
    where = conf.get("spark.eventLog.dir", "")
    if where.startswith("file:"):
        Path(where.removeprefix("file://")).mkdir(parents=True, exist_ok=True)
    elif where == events_dir(settings) and where.startswith("s3a://"):
        ws = Workspace.from_settings(settings)
        marker = ws.join(EVENTS_DIR, MARKER)
        if not ws.storage.exists(marker):
            ws.storage.write_atomic(marker, b"Spark event logs of sparkwing runs\n")


def event_log_of(spark: SparkSession) -> tuple[str, str | None]:
    """(application id, the URI its event log has once the application ends, or None if not logged)."""
    sc = spark.sparkContext
    conf = sc.getConf()
    app_id = sc.applicationId
    if conf.get("spark.eventLog.enabled", "false").lower() != "true":
        return app_id, None
    base = conf.get("spark.eventLog.dir", "/tmp/spark-events").rstrip("/")
    name = _sanitize(app_id)
    attempt = sc._jsc.sc().applicationAttemptId()  # type: ignore[union-attr]
    if attempt.isDefined():
        name += "_" + _sanitize(str(attempt.get()))
    if conf.get("spark.eventLog.rolling.enabled", "false").lower() == "true":
        return app_id, f"{base}/eventlog_v2_{name}"
    if conf.get("spark.eventLog.compress", "false").lower() == "true":
        name += "." + conf.get("spark.eventLog.compression.codec", "zstd")
    return app_id, f"{base}/{name}"


def _sanitize(name: str) -> str:
    """Spark's own file name of an application id (``Utils.sanitizeDirName``)."""
    return re.sub(r"[.${}'\"]", "_", re.sub(r"[ :/]", "-", name)).lower()


# Secrets handed to the engine in this process (the H2O login's password): Sparkling Water posts
# its whole H2OConf, password included, as a listener event that Spark's event log writes
# unredacted.  The running log is overwritten in place as soon as the event lands
# (:func:`scrub_live_event_log`), and the finished log is scrubbed again when Spark stops.
_SECRETS: set[str] = set()


def remember_secret(value: str) -> None:
    if value:
        _SECRETS.add(value)


def live_event_files(spark: SparkSession) -> list[Path]:
    """The local files the running application's event log is being written to (may be none)."""
    uri = event_log_of(spark)[1]
    if not uri or not uri.startswith("file:"):
        return []
    path = _local(uri)
    if path.is_dir():  # rolling event logs: a folder of event files
        return sorted(p for p in path.iterdir() if p.is_file())
    return [p for p in (path.with_name(path.name + ".inprogress"), path) if p.is_file()]


def scrub_live_event_log(spark: SparkSession, secret: str, *, timeout: float = 30.0,
                         clock: Callable[[], float] = time.monotonic,
                         sleep: Callable[[float], None] = time.sleep) -> bool:
    """Wait (up to ``timeout`` s) for ``secret`` to reach the running event log, then overwrite
    it in place with as many ``*`` (same length: Spark keeps appending at its own offset, and
    the JSON line stays valid); True if it was found and overwritten.

    Spark writes local event logs with a plain ``FileOutputStream`` and flushes after each
    non-Spark event, so the secret is on disk moments after the cloud's start event is posted.
    """
    compressed = spark.sparkContext.getConf().get("spark.eventLog.compress", "false").lower() == "true"
    if not secret or compressed:  # no plain text to find (sparkwing never turns compression on)
        return False
    needles = {secret.encode(), json.dumps(secret)[1:-1].encode()}
    deadline = clock() + timeout
    while True:
        files = live_event_files(spark)
        if not files and event_log_of(spark)[1] is None:
            return False  # no event log: nothing to scrub
        if any(_overwrite(p, needles) for p in files):
            return True
        if clock() >= deadline:
            return False
        sleep(0.05)


def _overwrite(path: Path, needles: set[bytes]) -> bool:
    """Overwrite every occurrence of ``needles`` in ``path`` with ``*`` of the same length."""
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return False
    try:
        data = os.pread(fd, os.fstat(fd).st_size, 0)
        found = False
        for needle in needles:
            at = data.find(needle)
            while at >= 0:
                os.pwrite(fd, b"*" * len(needle), at)
                found = True
                at = data.find(needle, at + len(needle))
        return found
    finally:
        os.close(fd)


def _local(uri: str) -> Path:
    return Path("/" + uri[len("file:"):].lstrip("/"))


def scrub_event_log(uri: str | None) -> bool:
    """Replace every remembered secret in the finished local event log ``uri``; True if it did."""
    if not uri or not _SECRETS or not uri.startswith("file:"):
        return False
    path = _local(uri)
    if not path.is_file():
        return False
    text = path.read_text(encoding="utf-8", errors="surrogateescape")
    scrubbed = text
    for secret in _SECRETS:
        for form in {secret, json.dumps(secret)[1:-1]}:
            scrubbed = scrubbed.replace(form, "*********(redacted)")
    if scrubbed == text:
        return False
    tmp = path.with_name(path.name + ".scrub")
    tmp.write_text(scrubbed, encoding="utf-8", errors="surrogateescape")
    tmp.replace(path)
    return True
