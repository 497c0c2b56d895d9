"""Spark's own History Server (from the installed pyspark) over the workspace's event logs.

It runs as ``$SPARK_HOME/bin/spark-class org.apache.spark.deploy.history.HistoryServer`` with
the Java 17 sparkwing picked, ``SPARK_HOME`` = the pyspark package, bound to 127.0.0.1 (Spark's
web UI binds to ``SPARK_LOCAL_IP``, else every interface) on a free port.  Its output goes to a
log file, not the console.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from sparkwing.engine._java import find_java
from sparkwing.engine._ports import free_port
from sparkwing.errors import EngineError

HISTORY_CLASS = "org.apache.spark.deploy.history.HistoryServer"
LOOPBACK = "127.0.0.1"


@dataclass
class HistoryServer:
    """A running History Server: its URL, the event-log directory it reads, its process."""

    url: str
    log_dir: str
    log_file: str
    process: subprocess.Popen[bytes] = field(repr=False)

    def applications(self) -> list[dict[str, object]]:
        """``GET /api/v1/applications``: the applications it has read so far."""
        import json

        with urllib.request.urlopen(self.url + "/api/v1/applications", timeout=10) as answer:
            return list(json.loads(answer.read()))

    def wait(self) -> int:
        return self.process.wait()

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM (Spark's shutdown hook stops the UI), SIGKILL after ``timeout`` seconds."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).resolve().parent


def start_history_server(
    log_dir: str, *, log_file: str | os.PathLike[str], port: int | None = None, timeout: float = 120,
    memory: str = "512m",
) -> HistoryServer:
    """Start the History Server over ``log_dir`` (a local path or ``file:`` URI); return once it answers.

    >>> server = start_history_server("/ws/spark-events", log_file="/ws/logs/history.log")  # doctest: +SKIP
    >>> server.url                                                                     # doctest: +SKIP
    'http://127.0.0.1:41234'
    """
    directory = log_dir if "://" in log_dir else Path(log_dir).resolve().as_uri()
    if directory.startswith("file:") and not Path(directory.removeprefix("file://")).is_dir():
        raise EngineError(f"no event logs at {log_dir}", hint="run a pipeline first; its events land there")
    home = spark_home()
    java = find_java()
    port = port or free_port(hint="pass --port")
    opts = [
        f"-Dspark.history.fs.logDirectory={directory}",
        f"-Dspark.history.ui.port={port}",
        "-Dspark.history.fs.update.interval=5s",
    ]
    env = {
        **os.environ,
        "SPARK_HOME": str(home),
        "JAVA_HOME": java.home,
        "SPARK_LOCAL_IP": LOOPBACK,
        "SPARK_PUBLIC_DNS": LOOPBACK,
        "SPARK_HISTORY_OPTS": " ".join(opts),
        "SPARK_DAEMON_MEMORY": memory,
    }
    Path(log_file).parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "ab") as out:
        process = subprocess.Popen(
            [str(home / "bin" / "spark-class"), HISTORY_CLASS], env=env, stdout=out,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
    server = HistoryServer(f"http://{LOOPBACK}:{port}", directory, str(log_file), process)
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            tail = Path(log_file).read_text(errors="replace").strip().splitlines()[-1:] or ["(no output)"]
            raise EngineError(f"the Spark History Server exited at start: {tail[0][:300]}",
                              hint=f"see {log_file}")
        try:
            server.applications()
            return server
        except (urllib.error.URLError, OSError, ValueError):
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise EngineError(f"the Spark History Server did not answer in {timeout:g} s",
                              hint=f"see {log_file}", transient=True)
        time.sleep(0.5)
