"""Where the engine's own logs go: JVM, Spark (log4j2), H2O and XGBoost output, off the console.

A run's engine logs live in ``<workspace>/logs/<run_id>/`` (a local temp directory when the
workspace is on S3, since the JVM writes plain files):

```
spark.log            log4j2: Spark, Hive, Hadoop, Sparkling Water (WARN and up; INFO with --debug)
jvm.out              everything else the JVM prints: H2O's console log, XGBoost's native lines
h2o/                 the H2O nodes' own log files (nodes on this machine)
log4j2.properties    the log4j2 configuration the driver JVM was started with
sparkwing.log        failed steps with their whole Python and Java stacks (the console shows one line)
```

With ``echo`` (``sparkwing -v``) the same output also streams to the console.

>>> logs = EngineLogs.under(Workspace("/tmp/ws"), "20261201T101500-ab12")   # doctest: +SKIP
>>> logs.dir
'/tmp/ws/logs/20261201T101500-ab12'
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sparkwing.workspace import Workspace

LEVELS = ("ERROR", "WARN", "INFO", "DEBUG")
# Loggers that are loud even at WARN and never help a sparkwing user (Spark's own defaults).
_QUIET_LOGGERS = {
    # At INFO it logs its whole configuration, the H2O client's password among it.
    "ai.h2o.sparkling.H2OContext": "warn",
    "org.sparkproject.jetty": "warn",
    "org.apache.hadoop.hive.metastore.RetryingHMSHandler": "fatal",
    "org.apache.hadoop.hive.ql.exec.FunctionRegistry": "error",
    "org.apache.parquet": "error",
    "parquet": "error",
    "org.apache.hadoop.util.NativeCodeLoader": "error",
}


@dataclass(frozen=True)
class EngineLogs:
    """Where the engine writes its logs, and whether the console sees them too.

    ``dir`` is a local directory; ``echo`` also streams engine output to stderr (``-v``);
    ``level`` is the log4j2 root level of the Spark log (``WARN``, or ``INFO`` to debug).
    """

    dir: str
    echo: bool = False
    level: str = "WARN"

    def __post_init__(self) -> None:
        if self.level.upper() not in LEVELS:
            raise ValueError(f"log level {self.level!r} is not one of {', '.join(LEVELS)}")

    @classmethod
    def under(cls, workspace: Workspace, name: str, *, echo: bool = False, level: str = "WARN") -> EngineLogs:
        """``<workspace>/logs/<name>/``; for an ``s3://`` workspace a local temp directory."""
        base = workspace.join("logs") if workspace.local else os.path.join(tempfile.gettempdir(),
                                                                           "sparkwing-logs")
        return cls(dir=os.path.join(base, name), echo=echo, level=level)

    @property
    def spark_log(self) -> str:
        return os.path.join(self.dir, "spark.log")

    @property
    def jvm_out(self) -> str:
        return os.path.join(self.dir, "jvm.out")

    @property
    def h2o_dir(self) -> str:
        return os.path.join(self.dir, "h2o")

    @property
    def log4j_conf(self) -> str:
        return os.path.join(self.dir, "log4j2.properties")

    def prepare(self) -> None:
        """Create the directory and write the log4j2 configuration the JVM is started with."""
        Path(self.dir).mkdir(parents=True, exist_ok=True)
        Path(self.log4j_conf).write_text(log4j2_properties(self))

    def tail(self, lines: int = 15) -> str:
        """The last lines the JVM printed (to explain a JVM that exited at start)."""
        try:
            text = Path(self.jvm_out).read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.strip().splitlines()[-lines:])


def log4j2_properties(logs: EngineLogs) -> str:
    """A log4j2 configuration: everything to ``spark.log``; with ``echo`` to stderr as well.

    Being a real configuration (not Spark's built-in default) it also stops Spark's
    ``Setting default log level to "WARN"`` banner.
    """
    layout = "%d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex"
    lines = [
        "status = error",
        "name = sparkwing",
        "appender.file.type = File",
        "appender.file.name = file",
        f"appender.file.fileName = {_escape(logs.spark_log)}",
        "appender.file.append = true",
        "appender.file.layout.type = PatternLayout",
        f"appender.file.layout.pattern = {layout}",
        f"rootLogger.level = {logs.level.lower()}",
        "rootLogger.appenderRef.file.ref = file",
    ]
    if logs.echo:
        lines += [
            "appender.console.type = Console",
            "appender.console.name = console",
            "appender.console.target = SYSTEM_ERR",
            "appender.console.layout.type = PatternLayout",
            f"appender.console.layout.pattern = {layout}",
            "rootLogger.appenderRef.console.ref = console",
        ]
    for i, (name, level) in enumerate(sorted(_QUIET_LOGGERS.items())):
        lines += [f"logger.q{i}.name = {name}", f"logger.q{i}.level = {level}"]
    return "\n".join(lines) + "\n"


def _escape(path: str) -> str:
    return path.replace("\\", "/")
