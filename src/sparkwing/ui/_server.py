"""Run the UI under uvicorn on loopback."""

from __future__ import annotations

from sparkwing.ui._config import UiConfig


def run(config: UiConfig) -> None:
    """Serve the pages until interrupted; refuses a non-loopback address (there is no login yet).

    >>> run(UiConfig(workspace="sparkwing-home", port=8090))   # doctest: +SKIP
    """
    import uvicorn  # the server only: create_app alone (tests, reports) does not need it

    from sparkwing.ui._app import create_app

    config.check()
    uvicorn.run(create_app(config), host=config.host, port=config.port, log_level="warning",
                access_log=False, server_header=False, timeout_graceful_shutdown=5)  # fmt: skip
