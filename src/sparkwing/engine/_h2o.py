"""The H2OContext, started lazily by the first training step on the run's SparkSession.

Loopback binding (``h2o.bind_loopback``, local masters only): the H2O node gets
``-ip 127.0.0.1 -web_ip 127.0.0.1``.  Sparkling Water's Flow proxy on the driver always binds
every interface (its Jetty address is hard-coded), so sparkwing stops that proxy after start-up
and connects the H2O Python client to the node's own REST port, which also serves Flow on
127.0.0.1 (see :func:`h2o_url`).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import threading
import urllib.request
from base64 import b64encode
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from sparkwing.config import Settings
from sparkwing.engine._cluster import cluster_kind, loopback_master
from sparkwing.errors import EngineError, first_line, java_cause, looks_transient
from sparkwing.workspace import Workspace

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger("sparkwing.engine")
_context: Any = None
_url: str | None = None
_size: int = 0  # nodes in the cloud when it formed
_cluster: bool = False  # nodes live in executors (not in this driver JVM)
_auth: tuple[str, str] | None = None
_lost: str | None = None  # set once the cloud is known to be broken
T = TypeVar("T")

LOOPBACK_ARGS = "-ip 127.0.0.1 -web_ip 127.0.0.1"


def _loopback(settings: Settings) -> bool:
    # A multi-host cluster cannot form on 127.0.0.1; there, use H2O login and TLS instead.
    return settings.h2o.bind_loopback and loopback_master(settings.spark.master)


def h2o_conf(settings: Settings) -> dict[str, str]:
    """The spark.ext.h2o.* settings sparkwing applies, then the user's."""
    conf: dict[str, str] = {
        "spark.ext.h2o.fail.on.unsupported.spark.param": "true",
        "spark.ext.h2o.log.level": "WARN",
        "spark.ext.h2o.model.print.after.training.enabled": "false",
        "spark.ext.h2o.backend.cluster.mode": "internal",
    }
    ws = Workspace.from_settings(settings)
    if ws.local:  # otherwise H2O writes h2ologs/ into the current directory
        conf["spark.ext.h2o.log.dir"] = ws.join("logs", "h2o")
    if cluster_kind(settings.spark.master) is not None:
        # Busy clusters (and 2-core test machines) form a cloud slower than the 60 s default.
        conf["spark.ext.h2o.cloud.timeout"] = "300000"
        conf["spark.ext.h2o.spreadrdd.retries.timeout"] = "60000"
        if settings.spark.executor_instances:
            conf["spark.ext.h2o.cluster.size"] = str(settings.spark.executor_instances)
        if _loopback(settings):
            # One machine shared with other H2O clouds: the default ports (54321 up) are probed
            # and then bound, which races; start from ports the OS just handed out instead.
            conf["spark.ext.h2o.base.port"] = str(_free_port(span=8))
            conf["spark.ext.h2o.client.web.port"] = str(_free_port())
    user = dict(settings.h2o.conf)
    if _loopback(settings):
        conf["spark.ext.h2o.client.ip"] = "127.0.0.1"
        extra = user.pop("spark.ext.h2o.extra.properties", "")
        conf["spark.ext.h2o.extra.properties"] = f"{LOOPBACK_ARGS} {extra}".strip()
    conf.update(user)
    return conf


def start_h2o(spark: SparkSession, settings: Settings) -> Any:
    """Start (once per process) the H2OContext on ``spark``; returns it."""
    global _context, _url, _size, _cluster, _auth
    if _context is not None:
        return _context
    try:
        from pysparkling import H2OConf, H2OContext
    except ImportError as exc:  # pragma: no cover - a broken install
        raise EngineError(
            "Sparkling Water is not installed",
            hint="pip install 'h2o-pysparkling-3-5==3.46.0.6.post1'",
        ) from exc
    conf = H2OConf()
    for key, value in h2o_conf(settings).items():
        conf.set(key, value)
    if settings.h2o.username:
        conf.setUserName(settings.h2o.username)
        conf.setPassword(settings.h2o.password or "")
    log.info("starting H2O (Sparkling Water) on the Spark cluster")
    banner = io.StringIO()
    try:
        # PySparkling prints a cluster banner to stdout; keep it out of CLI output.
        with contextlib.redirect_stdout(banner):
            context = H2OContext.getOrCreate(conf)
            import h2o

            _url = h2o.connection().base_url
            if _loopback(settings):
                _url = _direct_to_node(spark, settings)
    except Exception as exc:
        log.debug("H2O start failed", exc_info=True)
        raise EngineError(
            f"H2O did not start: {java_cause(exc)}",
            hint="check executor memory (H2O needs ~4x the data) and the Java 17 flags",
            transient=looks_transient(exc),  # a start-up timeout passes; a bad setting does not
        ) from exc
    log.debug("%s", banner.getvalue())
    _context = context
    _cluster = cluster_kind(settings.spark.master) is not None
    _auth = (settings.h2o.username, settings.h2o.password or "") if settings.h2o.username else None
    _size = int(h2o_cloud()["size"])
    log.info("H2O %s ready at %s: cloud of %d node(s)", _h2o_version(), _url, _size)
    return _context


def _free_port(span: int = 1) -> int:
    """A port the OS reports free on every interface, with ``span - 1`` free ports after it."""
    import socket

    for _ in range(50):
        with socket.socket() as s:
            s.bind(("", 0))
            port = int(s.getsockname()[1])
        if port + span < 65535 and all(_bindable(port + i) for i in range(1, span)):
            return port
    raise EngineError("no free port range for H2O", hint="set spark.ext.h2o.base.port in h2o.conf",
                      transient=True)


def _bindable(port: int) -> bool:
    import socket

    with socket.socket() as s:
        try:
            s.bind(("", port))
        except OSError:
            return False
    return True


def _direct_to_node(spark: SparkSession, settings: Settings) -> str:
    """Stop the all-interfaces Flow proxy; point the Python client at the loopback node."""
    import h2o

    jvm: Any = spark.sparkContext._jvm
    if cluster_kind(settings.spark.master) is None:
        url = str(jvm.water.H2O.getURL("http"))  # the node runs inside this (driver) JVM
    else:  # nodes live in the executors: ask the cloud, through the proxy, where the first one is
        url = "http://" + str(h2o.cluster().nodes[0]["ip_port"])
    h2o.connection().close()  # while the proxy still answers: no atexit noise later
    jvm.ai.h2o.sparkling.backend.utils.ProxyStarter.stopFlowProxy()
    auth = (settings.h2o.username, settings.h2o.password or "") if settings.h2o.username else None
    h2o.connect(url=url, auth=auth, verbose=False)
    return url


def _h2o_version() -> str:
    import h2o

    return str(h2o.cluster().version)


def h2o_url() -> str:
    """The REST (and Flow) URL of the running H2O node; ``EngineError`` if none runs."""
    if _context is None or _url is None:
        raise EngineError("H2O is not running", hint="start_h2o(spark, settings) first")
    return _url


def h2o_cloud() -> dict[str, Any]:
    """The cloud as H2O reports it (``GET /3/Cloud``): size, health, node addresses.

    >>> h2o_cloud()["size"]   # doctest: +SKIP
    2
    """
    import h2o

    cloud = h2o.api("GET /3/Cloud")  # an H2OCluster object (or a dict, by h2o-py version)

    def get(key: str) -> Any:
        return cloud.get(key) if isinstance(cloud, dict) else getattr(cloud, key, None)

    nodes = [n if isinstance(n, dict) else vars(n) for n in (get("nodes") or [])]
    healthy = get("cloud_healthy")
    return {
        "size": int(get("cloud_size") or len(nodes)),
        "healthy": (healthy is None or bool(healthy)) and all(n.get("healthy", True) for n in nodes),
        "nodes": [str(n.get("ip_port")) for n in nodes],
    }


def h2o_lost_node(*, health: bool = True, confirm: bool = True) -> str | None:
    """Why the running cloud is broken (a node gone, or with ``health`` unhealthy), else None.

    Asks the node directly with a short timeout: a dead cloud must not hang the question.
    With ``confirm`` an answer marks the cloud broken: later client calls fail fast and
    :func:`stop_h2o` does not wait for an orderly shutdown.
    """
    if _context is None or _url is None:
        return None
    if _lost is not None:
        return _lost
    req = urllib.request.Request(_url + "/3/Cloud")
    if _auth:
        req.add_header("Authorization", "Basic " + b64encode(f"{_auth[0]}:{_auth[1]}".encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=20) as resp:  # noqa: S310 - the H2O node's REST URL
            cloud = json.loads(resp.read())
    except Exception as exc:  # noqa: BLE001 - an unreachable node is the answer itself
        first = first_line(exc, limit=200)
        return _broken(f"the H2O node at {_url} does not answer ({first})")
    nodes = cloud.get("nodes") or []
    size = int(cloud.get("cloud_size") or len(nodes))
    if size < _size:
        return _broken(f"the cloud has {size} of its {_size} nodes")
    sick = [str(n.get("ip_port")) for n in nodes if not n.get("healthy", True)]
    if health and (sick or cloud.get("cloud_healthy") is False):
        reason = f"H2O reports node(s) {', '.join(sick) or '?'} of {size} unhealthy"
        return _broken(reason) if confirm else reason
    return None


def _broken(reason: str) -> str:
    """Remember that the cloud is gone; from now on client calls fail fast instead of waiting.

    (A distributed call such as listing keys waits forever for a dead node.)
    """
    global _lost
    _lost = reason
    with contextlib.suppress(Exception):
        import h2o

        h2o.connection().timeout_interval = 10
    return reason


def run_watched(call: Callable[[], T], every: float = 15.0) -> T:
    """Run an H2O call; on a cluster, give up as soon as the cloud loses a node meanwhile.

    Without this a call can wait for a node that is gone.  The call's thread is left behind
    (a daemon); the run ends with the error and its process stops the JVM.
    """
    if not _cluster:
        return call()
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller below
            box["error"] = exc

    thread = threading.Thread(target=target, name="sparkwing-h2o-call", daemon=True)
    thread.start()
    strikes = 0
    while thread.is_alive():
        thread.join(every)
        lost = h2o_lost_node(confirm=strikes > 0) if thread.is_alive() else None
        # Twice in a row: on a busy machine a heartbeat can be late ("unhealthy") for a moment.
        strikes = strikes + 1 if lost is not None else 0
        if strikes >= 2:
            raise EngineError(
                f"the H2O cloud lost a node: {_broken(str(lost))}", hint="H2O has no high availability",
                transient=True,
            )
    if "error" in box:
        raise box["error"]
    return box["value"]


def h2o_started() -> bool:
    return _context is not None


def stop_h2o() -> None:
    global _context, _url, _size, _cluster, _lost
    if _context is not None and _lost is not None:
        # A broken cloud cannot shut down in order (it would wait for the dead node): leave
        # it; stopping Spark ends the executors that hold the remaining nodes.
        log.warning("H2O cloud is broken (%s); not stopping it in order", _lost)
        _context = _url = _lost = None
        _size, _cluster = 0, False
        return
    if _context is not None:
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                _context.stop(stopSparkContext=False)
        finally:
            _context = None
            _url = None
            _size = 0
            _cluster = False
