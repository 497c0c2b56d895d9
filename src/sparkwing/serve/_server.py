"""Run the service under uvicorn: key checks, TLS, connection limits, worker processes."""

from __future__ import annotations

import contextlib
import json
import logging
import multiprocessing
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from typing import Any

from pydantic import SecretStr

from sparkwing.auth import Authenticator, KeyStore, providers_from
from sparkwing.errors import ConfigError
from sparkwing.serve._config import ServeConfig
from sparkwing.serve._http import protocol_options
from sparkwing.workspace import Workspace

log = logging.getLogger("sparkwing.serve")
#: with --workers: the path of a 0600 file holding the config (never the config itself: it can
#: hold the S3 secret, and a process's environment is readable in /proc by its user and in dumps)
CONFIG_ENV = "SPARKWING_SERVE_CONFIG_FILE"


def run(config: ServeConfig) -> None:
    """Serve until interrupted.  Refuses to listen beyond loopback without an identity provider
    (an active API key, or LDAP).

    >>> run(ServeConfig(workspace="sparkwing-home", port=8080))   # doctest: +SKIP
    """
    import uvicorn

    config.check()
    workspace = Workspace(config.workspace, s3=config.s3)
    signs_in = Authenticator(providers_from(config.auth, KeyStore(workspace))).configured
    if config.auth_required and not signs_in:
        where = "on loopback with --require-keys" if config.loopback else f"on {config.host}"
        raise ConfigError(f"serving {where} needs an identity provider: no API key is active and no "
                          "LDAP or Kerberos is configured",
                          hint="sparkwing keys create --scope predict, or set auth.ldap or auth.kerberos")
    if config.auth.ldap is not None and not config.loopback and not config.tls_cert:
        log.warning("LDAP sign-in (HTTP Basic) is accepted over TLS only: without --tls-cert, only a "
                    "TLS proxy on this host can pass it on")
    ssl = {"ssl_certfile": config.tls_cert, "ssl_keyfile": config.tls_key} if config.tls_cert else {}
    common: dict[str, Any] = dict(host=config.host, port=config.port, log_level="info", access_log=False,
                                  server_header=False, timeout_graceful_shutdown=10,
                                  **protocol_options(config), **ssl)
    _access_log(config)
    if config.workers > 1:
        # Worker processes import the app by name and read the config from a private file,
        # removed when the service stops.
        fd, path = tempfile.mkstemp(prefix="sparkwing-serve-", suffix=".json")  # mode 0600
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(json.dumps(config.model_dump(), default=_clear_text))
            os.environ[CONFIG_ENV] = path
            # A worker busy loading models on a loaded machine answers the supervisor's ping late;
            # uvicorn's 5 s would kill and restart it over and over.
            with _forked_workers():
                uvicorn.run("sparkwing.serve._server:app_from_env", factory=True, workers=config.workers,
                            timeout_worker_healthcheck=30, **common)
        finally:
            os.environ.pop(CONFIG_ENV, None)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        return
    from sparkwing.serve._app import Service, create_app

    uvicorn.run(create_app(config, service=Service(config, workspace)), **common)


#: signals uvicorn's supervisor catches for itself; a worker forked from it gets the defaults back
_SUPERVISOR_SIGNALS = tuple(getattr(signal, n) for n in ("SIGHUP", "SIGTTIN", "SIGTTOU")
                            if hasattr(signal, n))


@contextlib.contextmanager
def _forked_workers() -> Iterator[None]:
    """uvicorn starts each worker with ``spawn``: a fresh interpreter that imports FastAPI, NumPy
    and the scorer again (~0.5 CPU s each, with two workers on two cores all at once).  Here the
    supervisor imports them once and the workers are forked from it, so a worker only loads its
    models.  Safe because nothing has started yet: no Python thread, no event loop, no model, no
    registry file open (the app is built in the worker; OpenBLAS's own threads, started by NumPy,
    are stopped and restarted around a fork by OpenBLAS).  Falls back to ``spawn`` (uvicorn's own)
    where fork is unavailable, a thread is already running, or uvicorn's internals differ."""
    from uvicorn import _subprocess

    if "fork" not in multiprocessing.get_all_start_methods() or not isinstance(
            getattr(_subprocess, "spawn", None), multiprocessing.context.BaseContext):
        yield
        return
    import sparkwing.serve._app  # noqa: F401  (what every worker needs, imported once)

    if threading.active_count() > 1:
        yield
        return

    spawn = _subprocess.spawn
    _subprocess.spawn = multiprocessing.get_context("fork")  # type: ignore[assignment]
    try:
        yield
    finally:
        _subprocess.spawn = spawn


def _clear_text(value: object) -> object:
    """The workers' private config file holds secrets in clear (SecretStr dumps as stars)."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    raise TypeError(f"cannot write {type(value).__name__} to the workers' config")


def app_from_env() -> object:
    from sparkwing.serve._app import create_app

    if threading.current_thread() is threading.main_thread():
        for sig in _SUPERVISOR_SIGNALS:  # forked: the supervisor's handlers would swallow them
            signal.signal(sig, signal.SIG_DFL)

    with open(os.environ[CONFIG_ENV]) as fh:
        config = ServeConfig.model_validate_json(fh.read())
    protocol_options(config)  # this worker's copy of the protocol class
    _access_log(config)
    return create_app(config, load_before_serving=True)  # siblings share the socket: see create_app


def _access_log(config: ServeConfig) -> None:
    access = logging.getLogger("sparkwing.serve.access")
    if config.logs_access and not access.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s access %(message)s"))
        access.addHandler(handler)
        access.setLevel(logging.INFO)
        access.propagate = False
