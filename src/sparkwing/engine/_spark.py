"""The SparkSession: the only place sparkwing starts a JVM for Spark."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from sparkwing.config import Settings, WorkspaceLayout
from sparkwing.engine._java import find_java, use_java
from sparkwing.errors import EngineError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger("sparkwing.engine")

# Java 17 hides these packages; H2O's REST layer needs them (see research notes).
JAVA17_FLAGS = (
    "--add-exports=java.base/sun.net.www.protocol.http=ALL-UNNAMED",
    "--add-exports=java.base/sun.net.www.protocol.https=ALL-UNNAMED",
)

# The internal H2O backend refuses dynamic allocation and speculation; an executor that
# leaves takes its H2O node with it, so fail fast instead of retrying.
H2O_COMPATIBLE = {
    "spark.dynamicAllocation.enabled": "false",
    "spark.speculation": "false",
    "spark.scheduler.minRegisteredResourcesRatio": "1",
    "spark.locality.wait": "3000",
}


def spark_conf(settings: Settings) -> dict[str, str]:
    """Every Spark setting sparkwing applies, before the user's ``spark.conf`` overrides."""
    ws = WorkspaceLayout.resolve(settings.workspace)
    conf: dict[str, str] = {
        "spark.master": settings.spark.master,
        "spark.app.name": settings.spark.app_name,
        "spark.sql.shuffle.partitions": str(settings.spark.shuffle_partitions),
        "spark.sql.warehouse.dir": ws.warehouse,
        "spark.sql.catalogImplementation": "hive",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.legacy.createHiveTableByDefault": "false",
        **H2O_COMPATIBLE,
    }
    driver_opts = list(JAVA17_FLAGS)
    if ws.local:
        metastore = Path(ws.metastore)
        conf["spark.hadoop.javax.jdo.option.ConnectionURL"] = (
            f"jdbc:derby:;databaseName={metastore / 'db'};create=true"
        )
        driver_opts.append(f"-Dderby.system.home={metastore}")
    if settings.spark.master.startswith("local"):
        conf["spark.driver.host"] = "127.0.0.1"
        conf["spark.driver.bindAddress"] = "127.0.0.1"
        conf["spark.ui.enabled"] = "false"
    if settings.spark.driver_memory:
        conf["spark.driver.memory"] = settings.spark.driver_memory
    user = dict(settings.spark.conf)
    # The Java 17 flags must survive a user's own extraJavaOptions.
    conf["spark.driver.extraJavaOptions"] = " ".join(
        driver_opts + user.pop("spark.driver.extraJavaOptions", "").split()
    )
    conf["spark.executor.extraJavaOptions"] = " ".join(
        list(JAVA17_FLAGS) + user.pop("spark.executor.extraJavaOptions", "").split()
    )
    conf.update(user)
    conf.update({k: v for k, v in settings.h2o.conf.items() if k.startswith("spark.")})
    return conf


def start_spark(settings: Settings) -> SparkSession:
    """Start (or return the running) SparkSession configured from ``settings``."""
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    runtime = find_java()
    use_java(runtime)
    os.environ.setdefault("PYSPARK_PYTHON", _python())
    if settings.spark.master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    ws = WorkspaceLayout.resolve(settings.workspace)
    if ws.local:
        Path(ws.metastore).mkdir(parents=True, exist_ok=True)
        Path(ws.warehouse).mkdir(parents=True, exist_ok=True)
    builder = SparkSession.builder
    for key, value in spark_conf(settings).items():
        builder = builder.config(key, value)
    try:
        spark = builder.enableHiveSupport().getOrCreate()
    except Exception as exc:  # py4j / launcher errors have no common base class
        raise EngineError(
            f"Spark did not start: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}",
            hint="run with --debug for the JVM output; check Java 17 and free memory",
        ) from exc
    spark.sparkContext.setLogLevel("ERROR")
    log.info("Spark %s started, master=%s", spark.version, settings.spark.master)
    return spark


def stop_spark() -> None:
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        active.stop()


def _python() -> str:
    import sys

    return sys.executable
