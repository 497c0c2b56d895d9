"""Cluster mode: what a ``spark://`` or ``yarn`` master needs, checked before any JVM starts.

Pure settings arithmetic (no pyspark import), so ``sparkwing run`` can refuse a setting that
cannot work on a cluster before the run record, the lock or the driver exist.

>>> cluster_kind("spark://127.0.0.1:7077"), cluster_kind("yarn"), cluster_kind("local[2]")
('standalone', 'yarn', None)
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from sparkwing.config import Settings
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


def cluster_problems(settings: Settings) -> list[Problem]:
    """What in ``settings`` cannot work with the master (none for a local master).

    Looks at the workspace *as written*: ``Workspace(...)`` would make a relative
    path absolute on the driver, which executors elsewhere cannot see.
    """
    master = settings.spark.master
    kind = cluster_kind(master)
    if kind is None:
        return []
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
    return problems


def check_cluster(settings: Settings, more: Iterable[Problem] = ()) -> None:
    """Raise ``ConfigError`` for settings that cannot work with the master, with ``more``
    problems the caller found (e.g. sources the executors cannot reach, from ``lake``)."""
    check_flow(settings)
    problems = [*cluster_problems(settings), *more]
    if problems:
        master = settings.spark.master
        raise ConfigError(
            f"settings cannot work with master {master}",
            problems=problems,
            hint="use an absolute file:/// workspace on one machine, s3://bucket/prefix on EMR/YARN",
        )


def check_flow(settings: Settings) -> None:
    """Raise ``ConfigError`` when ``h2o.flow`` is on but H2O would not be on 127.0.0.1.

    Flow talks to H2O's REST port, which runs whatever it is asked (CVE-2026-3960): sparkwing
    links to it only where it listens on loopback, i.e. a local or ``spark://127.0.0.1`` master.
    """
    master = settings.spark.master
    if settings.h2o.flow and not (settings.h2o.bind_loopback and loopback_master(master)):
        raise ConfigError(
            f"h2o.flow needs H2O on 127.0.0.1, and master {master} puts its nodes on other hosts' "
            "networks: sparkwing never links to an H2O REST port beyond loopback",
            hint="turn h2o.flow off; on a cluster open Flow through an SSH tunnel to the driver's node",
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
    conf.update(spark_security_conf(settings))
    # The executors load H2O from this jar; pysparkling adds it to the driver itself.
    conf["spark.jars"] = sparkling_jar()
    return conf


def spark_security_conf(settings: Settings) -> dict[str, str]:
    """``spark.authenticate`` (and RPC encryption) where Spark generates the secret itself.

    YARN and Kubernetes: Spark makes a secret per application and hands it to its executors, so
    nothing secret appears in any setting or exported file.  A standalone master shares one
    secret with its workers that sparkwing cannot know: set ``spark.authenticate.secret`` there.
    Local masters run no executors to authenticate.
    """
    s = settings.spark
    if cluster_kind(s.master) not in ("yarn", "k8s"):
        return {}
    conf: dict[str, str] = {}
    if s.authenticate:
        conf["spark.authenticate"] = "true"
        if cluster_kind(s.master) == "yarn":
            # EMR's spark-defaults turn the NodeManagers' shuffle service on, which refuses
            # executors that authenticate unless yarn-site has spark.authenticate too; without
            # dynamic allocation (off for H2O) the executors serve their own shuffle files.
            conf["spark.shuffle.service.enabled"] = "false"
    if s.network_crypto:
        conf["spark.network.crypto.enabled"] = "true"
    return conf


def driver_address(settings: Settings) -> str | None:
    """Where executors reach the driver: the setting, else loopback for loopback masters."""
    if settings.spark.driver_host:
        return settings.spark.driver_host
    return "127.0.0.1" if loopback_master(settings.spark.master) else None
