"""Run the service under uvicorn: key checks, TLS, connection limits, worker processes."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
from typing import Any

from sparkwing.config import REVEAL_SECRETS
from sparkwing.errors import ConfigError
from sparkwing.serve._auth import KeyStore
from sparkwing.serve._config import ServeConfig
from sparkwing.serve._http import protocol_options
from sparkwing.workspace import Workspace

log = logging.getLogger("sparkwing.serve")
#: with --workers: the path of a 0600 file holding the config (never the config itself: it can
#: hold the S3 secret, and a process's environment is readable in /proc by its user and in dumps)
CONFIG_ENV = "SPARKWING_SERVE_CONFIG_FILE"


def run(config: ServeConfig) -> None:
    """Serve until interrupted.  Refuses to listen beyond loopback without an API key.

    >>> run(ServeConfig(workspace="sparkwing-home", port=8080))   # doctest: +SKIP
    """
    import uvicorn

    config.check()
    workspace = Workspace(config.workspace, s3=config.s3)
    if config.auth_required and not KeyStore(workspace).active():
        where = "on loopback with --require-keys" if config.loopback else f"on {config.host}"
        raise ConfigError(f"serving {where} needs an API key, and the workspace has none",
                          hint="sparkwing keys create --scope predict")
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
                fh.write(config.model_dump_json(context=REVEAL_SECRETS))  # 0600, removed at stop
            os.environ[CONFIG_ENV] = path
            # A worker busy loading models on a loaded machine answers the supervisor's ping late;
            # uvicorn's 5 s would kill and restart it over and over.
            uvicorn.run("sparkwing.serve._server:app_from_env", factory=True, workers=config.workers,
                        timeout_worker_healthcheck=30, **common)
        finally:
            os.environ.pop(CONFIG_ENV, None)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        return
    from sparkwing.serve._app import Service, create_app

    uvicorn.run(create_app(config, service=Service(config, workspace)), **common)


def app_from_env() -> object:
    from sparkwing.serve._app import create_app

    with open(os.environ[CONFIG_ENV]) as fh:
        config = ServeConfig.model_validate_json(fh.read())
    protocol_options(config)  # this worker's copy of the protocol class
    _access_log(config)
    return create_app(config)


def _access_log(config: ServeConfig) -> None:
    access = logging.getLogger("sparkwing.serve.access")
    if config.logs_access and not access.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s access %(message)s"))
        access.addHandler(handler)
        access.setLevel(logging.INFO)
        access.propagate = False
