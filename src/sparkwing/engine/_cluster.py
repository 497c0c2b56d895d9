"""Cluster mode: what a ``spark://`` or ``yarn`` master needs, checked before any JVM starts.

Pure settings arithmetic (no pyspark import), so ``sparkwing run`` can refuse a setting that
cannot work on a cluster before the run record, the lock or the driver exist.

>>> cluster_kind("spark://127.0.0.1:7077"), cluster_kind("yarn"), cluster_kind("local[2]")
('standalone', 'yarn', None)
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from sparkwing.config import DRIVER_PARSED, PipelineSpec, Settings
from sparkwing.errors import ConfigError, EngineError, Problem
from sparkwing.workspace import is_remote

# Sparkling Water's internal backend: one H2O node per executor, formed once.  An executor that
# joins late or is replaced cannot join the cloud, so no dynamic allocation and wait for all.
H2O_BACKEND = {
    "spark.dynamicAllocation.enabled": "false",
    "spark.speculation": "false",
    "spark.scheduler.minRegisteredResourcesRatio": "1",
    "spark.scheduler.maxRegisteredResourcesWaitingTime": "120s",
}
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")


def cluster_kind(master: str) -> str | None:
    """``standalone``, ``yarn``, ``k8s`` or None for a local master."""
    if master.startswith("local"):
        return None
    if master.startswith("spark://"):
        return "standalone"
    if master == "yarn" or master.startswith("yarn"):
        return "yarn"
    if master.startswith("k8s://"):
        return "k8s"
    return "other"


def loopback_master(master: str) -> bool:
    """A local master, or a standalone master on this machine's loopback."""
    if master.startswith("local"):
        return True
    host = master[len("spark://") :].split(":")[0] if master.startswith("spark://") else ""
    return host in LOOPBACK_HOSTS


def check_cluster(settings: Settings, spec: PipelineSpec | None = None) -> None:
    """Raise ``ConfigError`` for settings (and sources) that cannot work with the master.

    Looks at the workspace *as written*: ``Workspace(...)`` would make a relative
    path absolute on the driver, which executors elsewhere cannot see.
    """
    master = settings.spark.master
    kind = cluster_kind(master)
    if kind is None:
        _check_local(settings, spec)
        return
    raw = settings.workspace
    problems: list[Problem] = []
    if not is_remote(raw):
        path = raw[len("file://") :] if raw.startswith("file://") else raw
        if not os.path.isabs(os.path.expanduser(path)):
            problems.append(Problem(
                "workspace", f"relative path {raw!r} with master {master}: executors resolve it "
                "against their own working directory",
            ))
        elif kind in ("yarn", "k8s"):
            problems.append(Problem(
                "workspace", f"local path {raw!r} with master {master}: executors on other hosts cannot "
                "read or write the driver's disk, and the embedded Derby metastore lives on it",
            ))
        elif kind == "standalone" and not loopback_master(master) and not raw.startswith("file://"):
            problems.append(Problem(
                "workspace", f"local path {raw!r} with a remote master {master}: write it as file:///... "
                "only if every worker mounts it at the same path (shared filesystem)",
            ))
    if spec is not None and kind in ("yarn", "k8s"):
        for name, src in spec.sources.items():
            if not is_remote(src.uri) and src.resolved_format not in DRIVER_PARSED:
                problems.append(Problem(
                    f"sources.{name}.uri", f"local file {src.uri!r} with master {master}: executors read "
                    f"{src.resolved_format} sources themselves and cannot see the driver's disk",
                ))
    if problems:
        raise ConfigError(
            f"settings cannot work with master {master}",
            problems=problems,
            hint="use an absolute file:/// workspace on one machine, s3://bucket/prefix on EMR/YARN",
        )


def _check_local(settings: Settings, spec: PipelineSpec | None) -> None:
    """An ``s3://`` workspace with tables needs an S3 filesystem in Spark, which local Spark lacks.

    Without one, Hive fails at the first publish with ``No FileSystem for scheme "s3"`` (after
    the sources were read and cleaned), and leaves ``metastore_db/`` and ``derby.log`` in the
    current folder. ``lake.spark_s3: always`` says this Spark has one (hadoop-aws, EMRFS).
    """
    raw = settings.workspace
    if spec is None or not is_remote(raw) or settings.lake.spark_s3 == "always":
        return
    tables = [*spec.tables, *(name for name, score in spec.scores.items() if score.output is None)]
    if not tables:
        return
    raise ConfigError(
        f"an {raw.split('://')[0]}:// workspace cannot hold Hive tables with master {settings.spark.master}",
        problems=[Problem(
            "workspace", f"{raw!r}: local Spark has no S3 filesystem for the Hive warehouse, so publishing "
            f"{', '.join(tables)} would fail; sources and models could use S3, tables cannot",
            file="settings",
        )],  # fmt: skip
        hint="use a local workspace here (--workspace ./sparkwing-home) and s3:// on EMR/YARN; if this "
        "Spark has hadoop-aws or EMRFS for s3://, set lake.spark_s3: always",
    )


def sparkling_jar() -> str:
    """The Sparkling Water assembly jar shipped inside the pysparkling package."""
    try:
        import importlib.util

        spec = importlib.util.find_spec("sparkling_water")
    except ImportError:
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise EngineError("Sparkling Water is not installed", hint="pip install 'h2o-pysparkling-3-5'")
    jar = Path(next(iter(spec.submodule_search_locations))) / "sparkling_water_assembly.jar"
    if not jar.is_file():
        raise EngineError(
            f"Sparkling Water assembly jar missing: {jar}", hint="reinstall h2o-pysparkling-3-5"
        )
    return str(jar)


def cluster_conf(settings: Settings) -> dict[str, str]:
    """Spark settings for a cluster master: executors, failure limits, the H2O backend, the jar."""
    s = settings.spark
    kind = cluster_kind(s.master)
    conf: dict[str, str] = {
        **H2O_BACKEND,
        "spark.task.maxFailures": str(s.task_max_failures),
    }
    if kind is None:
        return conf
    conf["spark.ui.enabled"] = "false" if loopback_master(s.master) else "true"
    if s.executor_memory:
        conf["spark.executor.memory"] = s.executor_memory
    if s.executor_cores:
        conf["spark.executor.cores"] = str(s.executor_cores)
    if s.executor_instances:
        conf["spark.executor.instances"] = str(s.executor_instances)
        if kind == "standalone" and s.executor_cores:  # standalone has no instances: cap the cores
            conf["spark.cores.max"] = str(s.executor_instances * s.executor_cores)
    if s.executor_max_failures:
        conf["spark.executor.maxNumFailures"] = str(s.executor_max_failures)
        conf["spark.yarn.max.executor.failures"] = str(s.executor_max_failures)
    # The executors load H2O from this jar; pysparkling adds it to the driver itself.
    conf["spark.jars"] = sparkling_jar()
    return conf


def driver_address(settings: Settings) -> str | None:
    """Where executors reach the driver: the setting, else loopback for loopback masters."""
    if settings.spark.driver_host:
        return settings.spark.driver_host
    return "127.0.0.1" if loopback_master(settings.spark.master) else None


def submit_command(settings: Settings, spec: str, *, extra: list[str] | None = None) -> list[str]:
    """The ``spark-submit`` line that runs ``sparkwing run SPEC`` as a cluster driver (EMR step style).

    Driver JVM options (Java 17 flags, Derby home) must be on the line: the driver JVM starts
    before sparkwing's code runs.

    >>> settings = load_settings({"spark": {"master": "yarn"}, "workspace": "s3://b/ws"})  # doctest: +SKIP
    >>> submit_command(settings, "p.yaml")  # doctest: +SKIP
    """
    from sparkwing.engine._spark import spark_conf

    conf = spark_conf(settings)
    driver_opts = conf.pop("spark.driver.extraJavaOptions", "")
    master = conf.pop("spark.master")
    conf.pop("spark.app.name", None)
    jars = conf.pop("spark.jars", None) or sparkling_jar()
    memory = conf.pop("spark.driver.memory", None)
    import sparkwing

    main = str(Path(sparkwing.__file__).parent / "__main__.py")
    line = ["spark-submit", "--master", master, "--name", settings.spark.app_name, "--jars", jars]
    if memory:
        line += ["--driver-memory", memory]
    if driver_opts:
        line += ["--driver-java-options", driver_opts]
    conf.setdefault("spark.log.level", "WARN")  # the driver JVM logs INFO until sparkwing starts
    for key, value in conf.items():
        line += ["--conf", f"{key}={value}"]
    line += [main, "--workspace", settings.workspace, *(extra or []), "run", spec]
    return line


def format_command(line: list[str]) -> str:
    return " \\\n  ".join(shlex.quote(p) for p in line)
