"""The SparkSession: the only place sparkwing starts a JVM for Spark."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from sparkwing.config import Settings
from sparkwing.engine._cluster import (
    check_cluster,
    cluster_conf,
    cluster_kind,
    driver_address,
    loopback_master,
)
from sparkwing.engine._java import find_java, use_java
from sparkwing.errors import EngineError, java_cause
from sparkwing.workspace import Workspace

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger("sparkwing.engine")

# Java 17 hides these packages; H2O's REST layer needs them (see research notes).
JAVA17_FLAGS = (
    "--add-exports=java.base/sun.net.www.protocol.http=ALL-UNNAMED",
    "--add-exports=java.base/sun.net.www.protocol.https=ALL-UNNAMED",
)
# Only the driver JVM's own launch can take these: under spark-submit they must be on its line.
DRIVER_LAUNCH = ("spark.master", "spark.driver.extraJavaOptions", "spark.driver.memory")
# Logged at start: what the H2O internal backend depends on.
LOGGED = ("spark.master", "spark.dynamicAllocation.enabled", "spark.scheduler.minRegisteredResourcesRatio",
          "spark.task.maxFailures", "spark.executor.maxNumFailures", "spark.executor.instances",
          "spark.executor.cores", "spark.executor.memory", "spark.driver.host", "spark.speculation")


def spark_conf(settings: Settings) -> dict[str, str]:
    """Every Spark setting sparkwing applies, before the user's ``spark.conf`` overrides."""
    ws = Workspace.from_settings(settings)
    conf: dict[str, str] = {
        "spark.master": settings.spark.master,
        "spark.app.name": settings.spark.app_name,
        "spark.sql.shuffle.partitions": str(settings.spark.shuffle_partitions),
        "spark.sql.warehouse.dir": ws.warehouse,
        "spark.sql.catalogImplementation": "hive",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.session.timeZone": "UTC",
        # A date or timestamp that does not fit its pattern becomes null (the row is then
        # quarantined), instead of failing the whole job as the EXCEPTION policy does.
        "spark.sql.legacy.timeParserPolicy": "CORRECTED",
        "spark.sql.legacy.createHiveTableByDefault": "false",
        "spark.locality.wait": "3000",
        **cluster_conf(settings),
    }
    driver_opts = list(JAVA17_FLAGS)
    if ws.local:
        metastore = Path(ws.metastore)
        conf["spark.hadoop.javax.jdo.option.ConnectionURL"] = (
            f"jdbc:derby:;databaseName={metastore / 'db'};create=true"
        )
        driver_opts.append(f"-Dderby.system.home={metastore}")
    elif settings.spark.master.startswith("local"):
        # An s3:// workspace on one machine holds no tables (check_cluster refuses them), but Hive
        # still boots a Derby metastore: keep its metastore_db/ and derby.log out of the current
        # folder, in a scratch folder of this process.
        scratch = Path(tempfile.gettempdir()) / f"sparkwing-metastore-{os.getpid()}"
        conf["spark.hadoop.javax.jdo.option.ConnectionURL"] = (
            f"jdbc:derby:;databaseName={scratch / 'db'};create=true"
        )
        driver_opts.append(f"-Dderby.system.home={scratch}")
    host = driver_address(settings)
    if host:
        conf["spark.driver.host"] = host
        conf["spark.driver.bindAddress"] = host
    if settings.spark.master.startswith("local"):
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


def submitted_conf() -> dict[str, str] | None:
    """spark-submit's settings when spark-submit launched this process (its JVM exists); else None."""
    if "PYSPARK_GATEWAY_PORT" not in os.environ:
        return None
    from pyspark import SparkConf, SparkContext

    SparkContext._ensure_initialized()  # connects to spark-submit's JVM, creates no context
    return dict(SparkConf().getAll())


def effective_settings(settings: Settings, submitted: dict[str, str] | None = None) -> Settings:
    """``settings`` with spark-submit's master when launched by it (its ``--master`` wins)."""
    submitted = submitted_conf() if submitted is None else submitted
    master = (submitted or {}).get("spark.master")
    if not master or master == settings.spark.master:
        return settings
    return settings.model_copy(update={"spark": settings.spark.model_copy(update={"master": master})})


def start_spark(settings: Settings) -> SparkSession:
    """Start (or return the running) SparkSession configured from ``settings``.

    Under ``spark-submit`` the driver JVM already exists: its ``--master``, ``--conf`` and
    driver options win, sparkwing adds only the settings the submit line did not give.
    """
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    submitted = submitted_conf()
    settings = effective_settings(settings, submitted or {})
    check_cluster(settings)
    if submitted is None:
        use_java(find_java())
    os.environ.setdefault("PYSPARK_PYTHON", _python())
    if loopback_master(settings.spark.master):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    ws = Workspace.from_settings(settings)
    if ws.local:
        Path(ws.metastore).mkdir(parents=True, exist_ok=True)
        Path(ws.warehouse).mkdir(parents=True, exist_ok=True)
    conf = spark_conf(settings)
    if submitted is not None:
        conf = _merge_submitted(conf, submitted)
    builder = SparkSession.builder
    for key, value in conf.items():
        builder = builder.config(key, value)
    try:
        spark = builder.enableHiveSupport().getOrCreate()
    except Exception as exc:  # py4j / launcher errors have no common base class
        raise EngineError(
            f"Spark did not start: {java_cause(exc)}",
            hint="run with --debug for the JVM output; check Java 17 and free memory",
        ) from exc
    spark.sparkContext.setLogLevel("ERROR")
    log.info("Spark %s started, master=%s%s", spark.version, settings.spark.master,
             " (spark-submit)" if submitted is not None else "")
    if cluster_kind(settings.spark.master) is not None:
        got = dict(spark.sparkContext.getConf().getAll())
        log.info("cluster settings: %s", ", ".join(f"{k}={got[k]}" for k in LOGGED if k in got))
    return spark


def _merge_submitted(conf: dict[str, str], submitted: dict[str, str]) -> dict[str, str]:
    """Keep what spark-submit set; say which sparkwing settings it could not apply."""
    opts = submitted.get("spark.driver.extraJavaOptions", "")
    missing = [f for f in JAVA17_FLAGS if f not in opts]
    if missing:
        log.warning(
            "spark-submit without the Java 17 flags: add --driver-java-options '%s'", " ".join(JAVA17_FLAGS)
        )
    out = {}
    for key, value in conf.items():
        if key in submitted:
            if _plain(submitted[key]) != _plain(value) and key not in DRIVER_LAUNCH:
                log.info("spark-submit sets %s=%s (sparkwing would use %s)", key, submitted[key], value)
        elif key not in DRIVER_LAUNCH:
            out[key] = value
    return out


def _plain(value: str) -> str:
    return ",".join(v.removeprefix("file://") for v in value.split(","))


def stop_spark() -> None:
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        active.stop()


def _python() -> str:
    import sys

    return sys.executable
