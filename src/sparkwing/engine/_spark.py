"""The SparkSession: the only place sparkwing starts a JVM for Spark."""

from __future__ import annotations

import logging
import os
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sparkwing.config import Settings, is_secret_key
from sparkwing.engine._cluster import (
    check_cluster,
    cluster_conf,
    cluster_kind,
    driver_address,
    loopback_master,
)
from sparkwing.engine._events import event_log_conf, prepare_events_dir
from sparkwing.engine._h2o import OPEN_JAVA_NET
from sparkwing.engine._java import find_java, use_java
from sparkwing.engine._logs import EngineLogs
from sparkwing.engine._metastore import (
    check_jdbc_jar,
    ensure_schema,
    metastore_conf,
    metastore_kind,
    metastore_secrets,
)
from sparkwing.engine._ports import free_port, port_in_use
from sparkwing.errors import EngineError, java_cause, looks_transient
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
DRIVER_LAUNCH = ("spark.master", "spark.driver.extraJavaOptions", "spark.driver.memory",
                 "spark.driver.extraClassPath")
# Logged at start: what the H2O internal backend depends on.
LOGGED = ("spark.master", "spark.dynamicAllocation.enabled", "spark.scheduler.minRegisteredResourcesRatio",
          "spark.task.maxFailures", "spark.executor.maxNumFailures", "spark.executor.instances",
          "spark.executor.cores", "spark.executor.memory", "spark.driver.host", "spark.speculation")


PORT_HINT = (
    "another process holds it: stop it, or set spark.conf spark.driver.port, spark.blockManager.port "
    "and spark.ui.port to free ports (left unset, Spark and sparkwing pick free ones)"
)


def spark_conf(settings: Settings, logs: EngineLogs | None = None) -> dict[str, str]:
    """Every Spark setting sparkwing applies, before the user's ``spark.conf`` overrides.

    With ``logs`` the driver JVM logs through log4j2 into ``logs.dir`` (not the console).
    """
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
        **event_log_conf(settings),
        **metastore_conf(settings),
    }
    driver_opts = list(JAVA17_FLAGS)
    derby = metastore_kind(settings) == "derby"
    if ws.local and not derby:
        driver_opts.append(f"-Dderby.system.home={ws.metastore}")  # no derby.log in the current folder
    elif ws.local:
        metastore = Path(ws.metastore)
        conf["spark.hadoop.javax.jdo.option.ConnectionURL"] = (
            f"jdbc:derby:;databaseName={metastore / 'db'};create=true"
        )
        driver_opts.append(f"-Dderby.system.home={metastore}")
    elif derby and settings.spark.master.startswith("local"):
        # An s3:// workspace on one machine holds no tables (lake.check_locations refuses them), but Hive
        # still boots a Derby metastore: keep its metastore_db/ and derby.log out of the current
        # folder, in a scratch folder of this process.
        scratch = Path(tempfile.gettempdir()) / f"sparkwing-metastore-{os.getpid()}"
        conf["spark.hadoop.javax.jdo.option.ConnectionURL"] = (
            f"jdbc:derby:;databaseName={scratch / 'db'};create=true"
        )
        driver_opts.append(f"-Dderby.system.home={scratch}")
    if settings.h2o.bind_loopback and loopback_master(settings.spark.master):
        driver_opts.append(OPEN_JAVA_NET)  # H2O's Flow proxy on 127.0.0.1 (see engine/_h2o.py)
    if logs is not None:
        driver_opts.append(f"-Dlog4j2.configurationFile={Path(logs.log4j_conf).as_uri()}")
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
    if "spark.driver.extraClassPath" in conf and "spark.driver.extraClassPath" in user:
        # The JDBC driver of the metastore stays on the classpath next to the user's jars.
        user["spark.driver.extraClassPath"] = conf["spark.driver.extraClassPath"] + os.pathsep + user[
            "spark.driver.extraClassPath"]
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


def start_spark(settings: Settings, *, logs: EngineLogs | None = None) -> SparkSession:
    """Start (or return the running) SparkSession configured from ``settings``.

    ``logs`` says where the JVM's output and Spark's log4j2 log go (default
    ``<workspace>/logs/session/``) and whether they also stream to the console (``logs.echo``);
    without echo the console sees none of it.  Under ``spark-submit`` the driver JVM already
    exists: its ``--master``, ``--conf`` and driver options win, sparkwing adds only the
    settings the submit line did not give, and its log4j2 is reconfigured to ``logs``.

    >>> spark = start_spark(load_settings({"workspace": "./ws"}))   # doctest: +SKIP
    """
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    submitted = submitted_conf()
    settings = effective_settings(settings, submitted or {})
    check_cluster(settings)
    check_jdbc_jar(settings)
    ws = Workspace.from_settings(settings)
    logs = logs or EngineLogs.under(ws, "session")
    logs.prepare()
    if submitted is None:
        use_java(find_java())
    os.environ.setdefault("PYSPARK_PYTHON", _python())
    if loopback_master(settings.spark.master):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    if ws.local:
        Path(ws.metastore).mkdir(parents=True, exist_ok=True)
        Path(ws.warehouse).mkdir(parents=True, exist_ok=True)
    conf = _with_free_ports(spark_conf(settings, logs), settings)
    prepare_events_dir(settings, conf)
    try:
        if submitted is not None:
            conf = _merge_submitted(conf, submitted)
            _reconfigure_log4j(logs)
        else:
            _launch_jvm(conf, logs)
    except Exception as exc:  # py4j / launcher errors have no common base class
        raise _start_failed(exc, logs) from exc
    secrets = metastore_secrets(settings)
    _prepare_metastore(settings, conf, secrets)  # its own one-line error when the database does not answer
    try:
        builder = SparkSession.builder
        # The metastore password reaches the JVM here, not on the launch command line (ps shows
        # that one); Spark's redaction hides it in the UI, event logs and logs.
        for key, value in {**conf, **secrets}.items():
            builder = builder.config(key, value)
        spark = builder.enableHiveSupport().getOrCreate()
    except Exception as exc:
        raise _start_failed(exc, logs) from exc
    log.info("Spark %s started, master=%s%s, metastore=%s", spark.version, settings.spark.master,
             " (spark-submit)" if submitted is not None else "", metastore_kind(settings))
    log.debug("engine logs in %s", logs.dir)
    if cluster_kind(settings.spark.master) is not None:
        got = dict(spark.sparkContext.getConf().getAll())
        log.info("cluster settings: %s", ", ".join(f"{k}={got[k]}" for k in LOGGED if k in got))
        if got.get("spark.ui.enabled", "true") == "true" and spark.sparkContext.uiWebUrl:
            log.info("Spark UI at %s", spark.sparkContext.uiWebUrl)
    return spark


def _start_failed(exc: Exception, logs: EngineLogs) -> EngineError:
    log.debug("Spark start failed", exc_info=True)
    if port_in_use(exc):
        return EngineError(f"Spark did not start: port in use: {java_cause(exc)}", hint=PORT_HINT,
                           transient=True)
    return EngineError(
        f"Spark did not start: {java_cause(exc)}",
        hint=f"see the JVM output in {logs.jvm_out}; check Java 17 and free memory",
        transient=looks_transient(exc),  # a start-up timeout passes; a bad setting does not
    )


def _prepare_metastore(settings: Settings, conf: dict[str, str], secrets: dict[str, str]) -> None:
    """A PostgreSQL metastore: its tables exist before Hive's client first touches it."""
    if metastore_kind(settings) != "postgresql":
        return
    from pyspark import SparkContext

    target = conf.get("spark.hadoop.javax.jdo.option.ConnectionURL", "")
    try:
        if ensure_schema(SparkContext._jvm, conf, secrets):
            log.info("created the Hive metastore tables in %s", target)
    except Exception as exc:  # py4j: the JDBC driver's error
        raise EngineError(
            f"the metastore database did not answer ({target}): {java_cause(exc)}",
            hint="check metastore.url, the password (SPARKWING__METASTORE__PASSWORD or "
            "metastore.password_file) and that PostgreSQL listens there",
        ) from exc


def _with_free_ports(conf: dict[str, str], settings: Settings) -> dict[str, str]:
    """``conf`` with the ports this start binds chosen free now (not in :func:`spark_conf`, whose
    output also goes into exported spark-submit lines that run on other hosts)."""
    if conf.get("spark.ui.enabled", "true") == "true" and "spark.ui.port" not in settings.spark.conf:
        # Not 4040 and up, which every Spark on the host probes.
        conf["spark.ui.port"] = str(free_port(hint="set spark.conf spark.ui.port"))
    return conf


def _launch_jvm(conf: dict[str, str], logs: EngineLogs) -> None:
    """Start the driver JVM with its stdout and stderr in ``logs.jvm_out`` (unless echoed).

    pyspark would let the JVM share this process's terminal: log4j, H2O and XGBoost lines would
    land on the console.  The gateway is started here instead, then handed to pyspark.
    """
    from pyspark import SparkConf, SparkContext
    from pyspark.java_gateway import launch_gateway

    if SparkContext._gateway is not None:  # a JVM from an earlier, stopped session
        return
    launch = SparkConf(loadDefaults=False)
    for key, value in conf.items():
        launch.set(key, value)
    if logs.echo:
        gateway = launch_gateway(launch)
    else:
        with open(logs.jvm_out, "ab") as out:  # the JVM keeps its own copy of the descriptor
            try:
                gateway = launch_gateway(launch, popen_kwargs={"stdout": out, "stderr": subprocess.STDOUT})
            except Exception as exc:
                tail = logs.tail()
                raise EngineError(
                    "the Spark JVM exited at start" + (f": {tail.splitlines()[-1]}" if tail else ""),
                    hint=f"see {logs.jvm_out}; check Java 17 and free memory",
                ) from exc
    SparkContext._ensure_initialized(gateway=gateway)


def _reconfigure_log4j(logs: EngineLogs) -> None:
    """Under spark-submit the JVM logged to the console until now: from here on, to ``logs``."""
    from pyspark import SparkContext

    jvm: Any = SparkContext._jvm
    try:
        uri = jvm.java.net.URI(Path(logs.log4j_conf).as_uri())
        jvm.org.apache.logging.log4j.core.config.Configurator.reconfigure(uri)
    except Exception as exc:  # noqa: BLE001 - logging stays as spark-submit set it
        log.debug("could not reconfigure log4j2: %s", exc)


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
            shown = not is_secret_key(key)  # a secret's value never reaches a log
            if _plain(submitted[key]) != _plain(value) and key not in DRIVER_LAUNCH and shown:
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
        from sparkwing.engine._events import event_log_of, scrub_event_log

        try:
            uri = event_log_of(active)[1]
        except Exception:  # noqa: BLE001 - a dead JVM: nothing to scrub, stop anyway
            uri = None
        active.stop()
        try:
            scrub_event_log(uri)
        except OSError as exc:
            log.warning("could not scrub secrets from the event log %s: %s", uri, exc)


def _python() -> str:
    import sys

    return sys.executable
