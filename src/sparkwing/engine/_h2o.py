"""The H2O cloud (Sparkling Water's H2OContext), started by the first training step of a run.

:func:`start_h2o` returns an :class:`H2OCloud`: the caller keeps it (a run keeps it on its
context) and hands it to whatever trains; nothing about the cloud is module state.

Locked down by default (see docs/security.md, "H2O"):

* Login (``h2o.login``, every mode): H2O's hash login with a user and password generated per
  cloud (:class:`~sparkwing.engine._h2o_login.H2OLogin`); the H2O Python client gets them in
  memory, nothing logs them.  Without it anyone who reaches an H2O port drives it (CVE-2026-3960).
* Loopback (``h2o.bind_loopback``, local and loopback masters): the H2O node gets
  ``-ip 127.0.0.1 -web_ip 127.0.0.1``.  Sparkling Water's Flow proxy on the driver binds the
  wildcard address (hard-coded in its Jetty helper, no setting), so while the cloud starts this
  JVM's wildcard address *is* 127.0.0.1 (:func:`_wildcard_is_loopback`): the proxy and every
  port probe bind loopback from their first moment.  After start-up sparkwing stops the proxy
  and connects the Python client to the node's own REST port, which serves Flow too
  (:attr:`H2OCloud.url`).

Ports: on this machine (local and loopback masters) the node's ports and the Flow proxy port
are ones the OS reports free at start, never H2O's fixed 54321, so another H2O on the machine
does not break a run.  A port that is taken anyway fails as "port in use", naming the setting.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import threading
import urllib.request
from base64 import b64encode
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from sparkwing._types import is_loopback_url
from sparkwing.config import Settings
from sparkwing.engine._cluster import cluster_kind, loopback_master
from sparkwing.engine._h2o_login import CREDENTIALS_FILE, H2OLogin
from sparkwing.engine._logs import EngineLogs
from sparkwing.engine._ports import free_port, port_in_use
from sparkwing.errors import EngineError, first_line, java_cause, looks_transient
from sparkwing.workspace import Workspace

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger("sparkwing.engine")
T = TypeVar("T")

LOOPBACK_ARGS = "-ip 127.0.0.1 -web_ip 127.0.0.1"
# The driver JVM option that lets sparkwing point the JVM's wildcard address at 127.0.0.1.
OPEN_JAVA_NET = "--add-opens=java.base/java.net=ALL-UNNAMED"
# Logins the user configures through h2o.conf (LDAP, Kerberos, PAM: a JAAS login.conf of theirs).
OTHER_LOGINS = ("spark.ext.h2o.ldap.login", "spark.ext.h2o.kerberos.login", "spark.ext.h2o.pam.login")
BASE_PORT = "spark.ext.h2o.base.port"
WEB_PORT = "spark.ext.h2o.client.web.port"
PORT_HINT = (
    f"another process holds it: stop it, or set h2o.conf {BASE_PORT} and {WEB_PORT} to free ports "
    "(left unset, sparkwing picks free ones on this machine)"
)


@dataclass(frozen=True)
class CloudInfo:
    """The cloud as H2O reports it (``GET /3/Cloud``)."""

    size: int
    healthy: bool
    nodes: list[str]


@dataclass
class H2OCloud:
    """A running H2O cloud on one SparkSession: where it answers, how big it formed, its login.

    Made by :func:`start_h2o`.  ``lost`` is set once the cloud is known to be broken (a node
    gone): from then on client calls fail fast and :meth:`stop` does not wait for an orderly
    shutdown.

    >>> cloud = start_h2o(spark, settings)          # doctest: +SKIP
    >>> cloud.url, cloud.size                        # doctest: +SKIP
    ('http://127.0.0.1:40213', 1)
    """

    context: Any  # pysparkling.H2OContext
    url: str  # the REST (and Flow) URL the Python client talks to
    size: int  # nodes in the cloud when it formed
    cluster: bool = False  # nodes live in executors (not in this driver JVM)
    auth: tuple[str, str] | None = field(default=None, repr=False)  # the node login, for clients
    log_dir: str | None = None  # where the H2O nodes write their logs (local nodes)
    login: H2OLogin | None = None  # the generated login this cloud owns (removed at stop)
    flow_proxy: str | None = None  # Sparkling Water's Flow proxy on the driver, if it was started
    lost: str | None = None
    stopped: bool = field(default=False)

    def auth_header(self) -> dict[str, str]:
        """The HTTP Basic header for the cloud's login, or nothing without one."""
        if not self.auth:
            return {}
        token = b64encode(f"{self.auth[0]}:{self.auth[1]}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    def info(self) -> CloudInfo:
        """Size, health and node addresses, as the cloud reports them now.

        >>> cloud.info().size   # doctest: +SKIP
        2
        """
        import h2o

        cloud = h2o.api("GET /3/Cloud")  # an H2OCluster object (or a dict, by h2o-py version)

        def get(key: str) -> Any:
            return cloud.get(key) if isinstance(cloud, dict) else getattr(cloud, key, None)

        nodes = [n if isinstance(n, dict) else vars(n) for n in (get("nodes") or [])]
        healthy = get("cloud_healthy")
        return CloudInfo(
            size=int(get("cloud_size") or len(nodes)),
            healthy=(healthy is None or bool(healthy)) and all(n.get("healthy", True) for n in nodes),
            nodes=[str(n.get("ip_port")) for n in nodes],
        )

    def lost_node(self, *, health: bool = True, confirm: bool = True) -> str | None:
        """Why the cloud is broken (a node gone, or with ``health`` unhealthy), else None.

        Asks the node directly with a short timeout: a dead cloud must not hang the question.
        With ``confirm`` an answer marks the cloud broken (see :attr:`lost`).
        """
        if self.stopped:
            return None
        if self.lost is not None:
            return self.lost
        req = urllib.request.Request(self.url + "/3/Cloud", headers=self.auth_header())
        try:
            with urllib.request.urlopen(req, timeout=20) as resp:  # noqa: S310 - the H2O node's REST URL
                cloud = json.loads(resp.read())
        except Exception as exc:  # noqa: BLE001 - an unreachable node is the answer itself
            return self._broken(f"the H2O node at {self.url} does not answer ({first_line(exc, limit=200)})")
        nodes = cloud.get("nodes") or []
        size = int(cloud.get("cloud_size") or len(nodes))
        if size < self.size:
            return self._broken(f"the cloud has {size} of its {self.size} nodes")
        sick = [str(n.get("ip_port")) for n in nodes if not n.get("healthy", True)]
        if health and (sick or cloud.get("cloud_healthy") is False):
            reason = f"H2O reports node(s) {', '.join(sick) or '?'} of {size} unhealthy"
            return self._broken(reason) if confirm else reason
        return None

    def _broken(self, reason: str) -> str:
        """Remember that the cloud is gone; from now on client calls fail fast instead of waiting.

        (A distributed call such as listing keys waits forever for a dead node.)
        """
        self.lost = reason
        with contextlib.suppress(Exception):
            import h2o

            h2o.connection().timeout_interval = 10
        return reason

    def run_watched(self, call: Callable[[], T], every: float = 15.0) -> T:
        """Run an H2O call; on a cluster, give up as soon as the cloud loses a node meanwhile.

        Without this a call can wait for a node that is gone.  The call's thread is left behind
        (a daemon); the run ends with the error and its process stops the JVM.
        """
        if not self.cluster:
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
            lost = self.lost_node(confirm=strikes > 0) if thread.is_alive() else None
            # Twice in a row: on a busy machine a heartbeat can be late ("unhealthy") for a moment.
            strikes = strikes + 1 if lost is not None else 0
            if strikes >= 2:
                raise EngineError(
                    f"the H2O cloud lost a node: {self._broken(str(lost))}",
                    hint="H2O has no high availability",
                    transient=True,  # a new cloud on the next try can succeed
                )
        if "error" in box:
            raise box["error"]
        return box["value"]

    def stop(self) -> None:
        """Stop the cloud (Spark keeps running).  A broken cloud is left to Spark's own stop."""
        if self.stopped:
            return
        self.stopped = True
        try:
            if self.lost is not None:
                # A broken cloud cannot shut down in order (it would wait for the dead node): leave
                # it; stopping Spark ends the executors that hold the remaining nodes.
                log.warning("H2O cloud is broken (%s); not stopping it in order", self.lost)
                return
            with contextlib.redirect_stdout(io.StringIO()):
                self.context.stop(stopSparkContext=False)
        finally:
            if self.login is not None:
                self.login.remove()


@dataclass(frozen=True)
class FlowLogin:
    """Where a running cloud's Flow answers and the ``0600`` file holding its login (``h2o.flow``).

    Made by :func:`open_flow`.  ``credentials`` is a path, never the password; None when the
    login is the user's own (LDAP, Kerberos, PAM through ``h2o.conf``).
    """

    url: str
    user: str
    credentials: str | None
    owned: H2OLogin | None = field(default=None, repr=False)  # a folder made for an attached cloud

    def remove(self) -> None:
        """Delete the credentials file (the cloud's login folder itself goes when the cloud stops)."""
        if self.owned is not None:
            self.owned.remove()
        elif self.credentials is not None:
            with contextlib.suppress(FileNotFoundError):
                os.remove(self.credentials)


def open_flow(cloud: H2OCloud, settings: Settings) -> FlowLogin | None:
    """Write ``cloud``'s login to a ``0600`` file for a person opening Flow; None when it must not.

    Only for a cloud on loopback (H2O's REST API runs whatever it is asked: never link to it
    beyond this machine).  A cloud this process attached to (not started) has no login folder of
    its own: its login goes to a new private folder, removed by :meth:`FlowLogin.remove`.
    """
    if not is_loopback_url(cloud.url):
        log.warning("h2o.flow: H2O answers on %s, not on 127.0.0.1: no Flow link", cloud.url)
        return None
    if cloud.login is not None:
        try:
            path = cloud.login.write_credentials()
        except FileExistsError:  # written before for this cloud (same login, same file)
            path = os.path.join(cloud.login.dir, CREDENTIALS_FILE)
        return FlowLogin(cloud.url, cloud.login.user, path)
    if cloud.auth is None:
        log.warning("h2o.flow: the H2O cloud on %s has no login: no Flow link", cloud.url)
        return None
    if not own_login(settings):  # the user's own login: they know it, nothing to write
        return FlowLogin(cloud.url, cloud.auth[0], None)
    owned = H2OLogin.generate(*cloud.auth)
    return FlowLogin(cloud.url, owned.user, owned.write_credentials(), owned)


def _loopback(settings: Settings) -> bool:
    # A multi-host cluster cannot form on 127.0.0.1; there, use H2O login and TLS instead.
    return settings.h2o.bind_loopback and loopback_master(settings.spark.master)


def _secret(value: Any) -> str:
    """A setting's plain value, whether it is a ``str`` or pydantic's ``SecretStr``."""
    getter = getattr(value, "get_secret_value", None)
    return str(getter() if getter else value)


def own_login(settings: Settings) -> bool:
    """Whether sparkwing makes the cloud's hash login (on, and no LDAP/Kerberos/PAM of the user)."""
    user = settings.h2o.conf
    return settings.h2o.login and not any(user.get(k, "").lower() == "true" for k in OTHER_LOGINS)


def new_login(settings: Settings) -> H2OLogin | None:
    """A fresh login for the next cloud (``h2o.username``/``password`` if set), or None (no login)."""
    if not own_login(settings):
        return None
    password = settings.h2o.password
    return H2OLogin.generate(settings.h2o.username, _secret(password) if password else None)


def h2o_conf(
    settings: Settings, logs: EngineLogs | None = None, login: H2OLogin | None = None
) -> dict[str, str]:
    """The spark.ext.h2o.* settings sparkwing applies, then the user's.

    Ports the user does not set are chosen free on this machine for every master whose H2O
    nodes run here (local and loopback standalone); the Flow proxy's port on the driver always.
    With ``login`` every node turns hash login on with its realm file; the password is not
    among these settings (it goes to the H2O client only, see :func:`start_h2o`).
    """
    conf: dict[str, str] = {
        "spark.ext.h2o.fail.on.unsupported.spark.param": "true",
        "spark.ext.h2o.log.level": "WARN",
        "spark.ext.h2o.model.print.after.training.enabled": "false",
        "spark.ext.h2o.backend.cluster.mode": "internal",
    }
    if logs is not None:
        conf["spark.ext.h2o.log.dir"] = logs.h2o_dir
    else:
        ws = Workspace.from_settings(settings)
        if ws.local:  # otherwise H2O writes h2ologs/ into the current directory
            conf["spark.ext.h2o.log.dir"] = ws.join("logs", "h2o")
    if cluster_kind(settings.spark.master) is not None:
        # Busy clusters (and 2-core test machines) form a cloud slower than the 60 s default.
        conf["spark.ext.h2o.cloud.timeout"] = "300000"
        conf["spark.ext.h2o.spreadrdd.retries.timeout"] = "60000"
        if settings.spark.executor_instances:
            conf["spark.ext.h2o.cluster.size"] = str(settings.spark.executor_instances)
    user = dict(settings.h2o.conf)
    if loopback_master(settings.spark.master) and BASE_PORT not in user:
        # One machine shared with other H2O clouds: the default ports (54321 up) are probed
        # and then bound, which races; start from ports the OS just handed out instead.
        conf[BASE_PORT] = str(free_port(span=8, hint=f"set h2o.conf {BASE_PORT} to a free port"))
    if WEB_PORT not in user and cluster_kind(settings.spark.master) is not None:
        # The Flow proxy on the driver.  (A local master's one node is its own client: it takes
        # this port as its REST port, and the proxy then finds its own from the base port.)
        conf[WEB_PORT] = str(free_port(hint=f"set h2o.conf {WEB_PORT}"))
    if _loopback(settings):
        conf["spark.ext.h2o.client.ip"] = "127.0.0.1"
        extra = user.pop("spark.ext.h2o.extra.properties", "")
        conf["spark.ext.h2o.extra.properties"] = f"{LOOPBACK_ARGS} {extra}".strip()
    if login is not None:
        conf["spark.ext.h2o.hash.login"] = "true"
        conf["spark.ext.h2o.login.conf"] = login.realm_file  # Spark ships it to the executors
        conf["spark.ext.h2o.user.name"] = login.user
    if settings.h2o.internal_secure_connections:
        conf["spark.ext.h2o.internal_secure_connections"] = "true"
    user.pop("spark.ext.h2o.password", None)  # the client's password: set on the H2OConf only
    conf.update(user)
    return conf


def start_h2o(spark: SparkSession, settings: Settings, *, logs: EngineLogs | None = None) -> H2OCloud:
    """Start the H2O cloud on ``spark`` (or attach to the one running there); returns it.

    ``logs`` says where the H2O nodes write their logs (default ``<workspace>/logs/h2o``) and
    whether the H2O client shows its progress bars (only with ``logs.echo``).  Keep the returned
    :class:`H2OCloud` and pass it on; :meth:`H2OCloud.stop` ends it.

    >>> cloud = start_h2o(spark, settings)   # doctest: +SKIP
    """
    try:
        from pysparkling import H2OContext
    except ImportError as exc:  # pragma: no cover - a broken install
        raise EngineError(
            "Sparkling Water is not installed",
            hint="pip install 'h2o-pysparkling-3-5==3.46.0.6.post1'",
        ) from exc
    cluster = cluster_kind(settings.spark.master) is not None
    running = _running(spark, H2OContext)
    if running is not None:
        return _client_quiet(H2OCloud(
            context=running, url=_client_url(), size=0, cluster=cluster, auth=_running_auth(running),
            log_dir=None if logs is None else logs.h2o_dir,
        ), logs, size=True)
    login = new_login(settings)
    auth = login.auth if login is not None else _configured_auth(settings)
    try:
        return _start(spark, settings, logs, login, auth, cluster)
    except BaseException:
        if login is not None:
            login.remove()
        raise


def _start(spark: SparkSession, settings: Settings, logs: EngineLogs | None, login: H2OLogin | None,
           auth: tuple[str, str] | None, cluster: bool) -> H2OCloud:
    from pysparkling import H2OConf, H2OContext

    conf = H2OConf()
    values = h2o_conf(settings, logs, login)
    for key, value in values.items():
        conf.set(key, value)
    if auth is not None:
        from sparkwing.engine._events import remember_secret

        remember_secret(auth[1])  # scrubbed from the event log when Spark stops
        conf.setUserName(auth[0])
        conf.setPassword(auth[1])
    log.info("starting H2O (Sparkling Water) on the Spark cluster%s", " (login on)" if auth else "")
    banner = io.StringIO()
    proxy = None
    try:
        # PySparkling prints a cluster banner to stdout; keep it out of CLI output.
        with contextlib.redirect_stdout(banner), _wildcard_is_loopback(spark, _loopback(settings)):
            context = H2OContext.getOrCreate(conf)
            url = _client_url()
            if _loopback(settings):
                proxy = url
                url = _direct_to_node(spark, settings, auth)
    except Exception as exc:
        log.debug("H2O start failed", exc_info=True)
        if port_in_use(exc):
            ports = ", ".join(f"{k}={values[k]}" for k in (BASE_PORT, WEB_PORT) if k in values)
            raise EngineError(f"H2O did not start: port in use ({ports}): {java_cause(exc)}",
                              hint=PORT_HINT, transient=True) from exc
        raise EngineError(
            f"H2O did not start: {java_cause(exc)}",
            hint="check executor memory (H2O needs ~4x the data) and the Java 17 flags",
            transient=looks_transient(exc),  # a start-up timeout passes; a bad setting does not
        ) from exc
    log.debug("%s", banner.getvalue())
    if auth is not None:
        _scrub_live(spark, auth[1])
    cloud = H2OCloud(context=context, url=url, size=0, cluster=cluster, auth=auth,
                     log_dir=values.get("spark.ext.h2o.log.dir"), login=login, flow_proxy=proxy)
    _client_quiet(cloud, logs, size=True)
    log.info("H2O %s ready at %s: cloud of %d node(s)", _h2o_version(), cloud.url, cloud.size)
    return cloud


def _scrub_live(spark: SparkSession, password: str) -> None:
    """Overwrite the login's password in the running event log as soon as it lands there."""
    from sparkwing.engine._events import scrub_live_event_log

    try:
        if not scrub_live_event_log(spark, password):
            log.debug("no H2O password found in a local running event log")
    except OSError as exc:
        log.warning("could not scrub the H2O password from the running event log: %s "
                    "(it is scrubbed when Spark stops)", exc)


def _configured_auth(settings: Settings) -> tuple[str, str] | None:
    """The client's login for a login the user configured (LDAP, Kerberos, PAM), if any."""
    h2o = settings.h2o
    user = h2o.username or h2o.conf.get("spark.ext.h2o.user.name")
    password = _secret(h2o.password) if h2o.password else h2o.conf.get("spark.ext.h2o.password", "")
    return (user, password) if user else None


def _running_auth(running: Any) -> tuple[str, str] | None:
    """The login the running context was started with (its Scala H2OConf holds it)."""
    try:
        jconf = running._jhc.getConf()
        user, password = jconf.userName(), jconf.password()
        if user.isDefined() and password.isDefined():
            return str(user.get()), str(password.get())
    except Exception:  # noqa: BLE001 - no login to recover: the client is connected already
        log.debug("no login on the running H2O context", exc_info=True)
    return None


@contextlib.contextmanager
def _wildcard_is_loopback(spark: SparkSession, on: bool) -> Iterator[None]:
    """While the cloud starts, make this JVM's wildcard address 127.0.0.1 (local masters).

    Sparkling Water's Flow proxy binds ``new InetSocketAddress(port)`` (every interface) and
    probes ports the same way, with no setting to change it.  Java resolves that address from
    one cached object (``InetAddress.impl.anyLocalAddress``); pointing it at 127.0.0.1 makes
    those sockets loopback from their first moment.  Needs ``--add-opens java.base/java.net``
    on the driver (sparkwing adds it for loopback masters); without it the proxy is only
    stopped after start-up, and a warning says so.
    """
    if not on:
        yield
        return
    jvm: Any = spark.sparkContext._jvm
    try:
        impl_field = jvm.java.lang.Class.forName("java.net.InetAddress").getDeclaredField("impl")
        impl_field.setAccessible(True)
        impl = impl_field.get(None)
        impl.anyLocalAddress()  # the cached object exists from here on
        cached = impl.getClass().getDeclaredField("anyLocalAddress")
        cached.setAccessible(True)
        wildcard = cached.get(impl)
        cached.set(impl, jvm.java.net.InetAddress.getByName("127.0.0.1"))
    except Exception as exc:  # noqa: BLE001 - an older/locked JVM: fall back, loudly
        log.warning("cannot keep Sparkling Water's Flow proxy on 127.0.0.1 while H2O starts (%s); "
                    "it binds every interface until sparkwing stops it after start-up: add %s to "
                    "spark.driver.extraJavaOptions", first_line(exc, limit=160), OPEN_JAVA_NET)
        yield
        return
    try:
        yield
    finally:
        cached.set(impl, wildcard)


def _client_quiet(cloud: H2OCloud, logs: EngineLogs | None, *, size: bool) -> H2OCloud:
    """The H2O client prints progress bars to stdout: off unless engine logs are echoed."""
    import h2o

    if logs is not None and logs.echo:
        h2o.show_progress()
    else:
        h2o.no_progress()
    if size:
        cloud.size = cloud.info().size
    return cloud


def _running(spark: SparkSession, h2o_context: Any) -> Any:
    """The H2OContext already running on ``spark``'s JVM, or None."""
    jvm: Any = spark.sparkContext._jvm
    try:
        module = getattr(jvm.ai.h2o.sparkling, "H2OContext$").__getattr__("MODULE$")
        active = module.get()
        if not active.isDefined() or _stopped(active.get()):
            return None
    except Exception:  # noqa: BLE001 - no Sparkling Water classes on this JVM: nothing runs
        return None
    with contextlib.redirect_stdout(io.StringIO()):
        return h2o_context.getOrCreate()  # wraps the running context; no new cloud, no reconnect


def _stopped(jhc: Any) -> bool:
    field = jhc.getClass().getDeclaredField("stopped")  # what pysparkling itself looks at
    field.setAccessible(True)
    return bool(field.get(jhc))


def _client_url() -> str:
    import h2o

    return str(h2o.connection().base_url)


def _direct_to_node(spark: SparkSession, settings: Settings, auth: tuple[str, str] | None) -> str:
    """Stop the all-interfaces Flow proxy; point the Python client at the loopback node."""
    import h2o

    jvm: Any = spark.sparkContext._jvm
    if cluster_kind(settings.spark.master) is None:
        url = str(jvm.water.H2O.getURL("http"))  # the node runs inside this (driver) JVM
    else:  # nodes live in the executors: ask the cloud, through the proxy, where the first one is
        url = "http://" + str(h2o.cluster().nodes[0]["ip_port"])
    h2o.connection().close()  # while the proxy still answers: no atexit noise later
    jvm.ai.h2o.sparkling.backend.utils.ProxyStarter.stopFlowProxy()
    h2o.connect(url=url, auth=auth, verbose=False)
    return url


def _h2o_version() -> str:
    import h2o

    return str(h2o.cluster().version)


def stop_h2o(spark: SparkSession | None = None) -> None:
    """Stop the H2O cloud running on ``spark`` (default: the active session), if any.

    For callers that did not keep the :class:`H2OCloud` (test teardown, scripts); a run stops
    its own cloud with :meth:`H2OCloud.stop`.
    """
    if spark is None:
        from pyspark.sql import SparkSession

        spark = SparkSession.getActiveSession()
    if spark is None:
        return
    try:
        from pysparkling import H2OContext
    except ImportError:  # pragma: no cover
        return
    running = _running(spark, H2OContext)
    if running is not None:
        with contextlib.redirect_stdout(io.StringIO()):
            running.stop(stopSparkContext=False)
