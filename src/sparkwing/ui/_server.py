"""Run the UI under uvicorn: loopback without a login, any address with one; https with TLS files."""

from __future__ import annotations

import logging

from sparkwing.ui._actions import SparkFactory
from sparkwing.ui._config import UiConfig
from sparkwing.ui._data import NextRunOf


def run(config: UiConfig, *, spark: SparkFactory | None = None, next_run: NextRunOf | None = None) -> None:
    """Serve the pages until interrupted; refuses a non-loopback address without a login.

    ``spark`` starts the Spark session of a table rollback (on the first one only); ``next_run``
    tells each pipeline's next scheduled run.

    >>> run(UiConfig(workspace="sparkwing-home", port=8090))   # doctest: +SKIP
    """
    import uvicorn  # the server only: create_app alone (tests, reports) does not need it

    from sparkwing.ui._app import create_app, sign_in_for
    from sparkwing.workspace import Workspace

    workspace = Workspace(config.workspace, s3=config.s3)
    config.check(auth=sign_in_for(config, workspace) is not None)
    if config.auth.ldap is not None and not config.loopback and not config.tls_cert:
        logging.getLogger("sparkwing.ui").warning(
            "the sign-in form takes passwords over TLS only: without --tls-cert, only a TLS proxy on "
            "this host can pass them on")
    app = create_app(config, workspace=workspace, spark=spark, next_run=next_run)
    uvicorn.run(app, host=config.host, port=config.port,
                log_level="warning", access_log=False, server_header=False, timeout_graceful_shutdown=5,
                ssl_certfile=config.tls_cert, ssl_keyfile=config.tls_key)  # fmt: skip
