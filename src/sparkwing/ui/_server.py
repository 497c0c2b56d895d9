"""Run the UI under uvicorn: loopback without a login, any address with one; https with TLS files."""

from __future__ import annotations

from sparkwing.ui._config import UiConfig


def run(config: UiConfig) -> None:
    """Serve the pages until interrupted; refuses a non-loopback address without a login.

    >>> run(UiConfig(workspace="sparkwing-home", port=8090))   # doctest: +SKIP
    """
    import uvicorn  # the server only: create_app alone (tests, reports) does not need it

    from sparkwing.ui._app import create_app, sign_in_for
    from sparkwing.workspace import Workspace

    workspace = Workspace(config.workspace, s3=config.s3)
    config.check(auth=sign_in_for(config, workspace) is not None)
    uvicorn.run(create_app(config, workspace=workspace), host=config.host, port=config.port,
                log_level="warning", access_log=False, server_header=False, timeout_graceful_shutdown=5,
                ssl_certfile=config.tls_cert, ssl_keyfile=config.tls_key)  # fmt: skip
