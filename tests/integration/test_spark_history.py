"""A run's Spark events land in the workspace, its record links them, and `sparkwing history`
(Spark's own History Server from pyspark, on 127.0.0.1) lists the application."""

from __future__ import annotations

import json
import socket
import time
import urllib.parse
from pathlib import Path

import httpx
import pytest

from servers import sparkwing_server
from sparkwing.config import load_spec
from sparkwing.pipeline import run_pipeline

pytestmark = [pytest.mark.spark, pytest.mark.slow]

SPEC = """\
name: history_demo
sources:
  events: {uri: events.csv, format: csv}
tables:
  history_demo.events: {from: events}
"""


def test_the_history_server_lists_the_run(spark, settings, tmp_path: Path):
    (tmp_path / "events.csv").write_text("id,kind\n1,a\n2,b\n3,a\n")
    (tmp_path / "pipeline.yaml").write_text(SPEC)
    record = run_pipeline(load_spec(tmp_path / "pipeline.yaml"), settings, stop_engine=False)

    assert record.spark_app_id == spark.sparkContext.applicationId
    events = Path(settings.workspace) / "spark-events"
    assert record.spark_events == f"{events.as_uri()}/{record.spark_app_id}"
    live = events / f"{record.spark_app_id}.inprogress"  # the shared session still runs
    assert live.is_file() and b"SparkListenerApplicationStart" in live.read_bytes()

    args = ["--workspace", settings.workspace, "history"]
    with sparkwing_server(args, ready="/api/v1/version", timeout=240) as (base, port, _proc):
        assert _listeners(port) == {"127.0.0.1"}  # loopback only
        deadline = time.monotonic() + 120  # the first scan of the log directory takes a moment
        while True:
            apps = httpx.get(base + "/api/v1/applications", timeout=10).json()
            if any(a["id"] == record.spark_app_id for a in apps) or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert record.spark_app_id in [a["id"] for a in apps], json.dumps(apps)[:500]
        jobs = httpx.get(f"{base}/api/v1/applications/{urllib.parse.quote(record.spark_app_id)}/jobs",
                         timeout=30)
        assert jobs.status_code == 200 and jobs.json(), "the run's Spark jobs are in its event log"
    with pytest.raises(httpx.TransportError):  # stopped on Ctrl-C (SIGINT), its JVM gone
        httpx.get(base + "/api/v1/version", timeout=2)


def _listeners(port: int) -> set[str]:
    """The addresses something listens on at ``port`` (from /proc/net/tcp*, no tools needed)."""
    found = set()
    for table, family in (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6)):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hexport = local.split(":")
            if state != "0A" or int(hexport, 16) != port:  # 0A: LISTEN
                continue
            raw = bytes.fromhex(address)
            if family == socket.AF_INET:
                found.add(socket.inet_ntop(family, raw[::-1]))
            else:  # four little-endian 32-bit words
                words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
                text = socket.inet_ntop(family, words)
                found.add(text.removeprefix("::ffff:"))
    return found
