"""Run the service under uvicorn: key checks, TLS, worker processes."""

from __future__ import annotations

import logging
import os
from typing import Any

from sparkwing.errors import ConfigError
from sparkwing.serve._auth import KeyStore
from sparkwing.serve._config import ServeConfig
from sparkwing.workspace import Workspace

log = logging.getLogger("sparkwing.serve")
CONFIG_ENV = "SPARKWING_SERVE_CONFIG"


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
                  server_header=False, timeout_graceful_shutdown=10, **ssl)
    if config.workers > 1:
        # Worker processes import the app by name; they read the config from the environment.
        os.environ[CONFIG_ENV] = config.model_dump_json()
        uvicorn.run("sparkwing.serve._server:app_from_env", factory=True, workers=config.workers, **common)
        return
    from sparkwing.serve._app import Service, create_app

    uvicorn.run(create_app(config, service=Service(config, workspace)), **common)


def app_from_env() -> object:
    from sparkwing.serve._app import create_app

    return create_app(ServeConfig.model_validate_json(os.environ[CONFIG_ENV]))
