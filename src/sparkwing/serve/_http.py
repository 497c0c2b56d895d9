"""uvicorn's HTTP protocol with a header read timeout (uvicorn has none of its own).

A connection that opened, or finished a request, and then sends a partial request head keeps
a slot forever (slowloris).  Here the head must arrive within ``header_timeout`` seconds of the
first byte (or of the connection opening); the body has its own limit (``body_timeout``, in
:func:`sparkwing.serve._limits.read_body`) and idle keep-alive connections uvicorn's own.
"""

from __future__ import annotations

import asyncio
from typing import Any

try:  # the protocol uvicorn would pick itself: httptools when installed, else h11
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _Base
except ImportError:  # pragma: no cover - httptools is a dependency of uvicorn[standard]
    from uvicorn.protocols.http.h11_impl import H11Protocol as _Base  # type: ignore[assignment]


class GuardedHttp(_Base):  # type: ignore[misc, valid-type]
    """Close a connection whose request head is not complete within ``header_timeout`` s."""

    header_timeout: float = 10.0  # set from ServeConfig in each worker process (see _server)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._head_timer: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._head_timer is None and (self.cycle is None or self.cycle.response_complete):
            self._arm()  # the first bytes of the next request on a kept-alive connection
        super().data_received(data)

    def on_headers_complete(self) -> None:  # httptools' callback; h11 has no such hook
        self._disarm()
        super().on_headers_complete()

    def handle_events(self) -> None:  # h11's equivalent: a Request event ends the head
        super().handle_events()  # type: ignore[misc]
        if self.cycle is not None and not self.cycle.response_complete:
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._head_timer = self.loop.call_later(self.header_timeout, self._expired)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _expired(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            self.transport.close()


def protocol_options(config: Any) -> dict[str, Any]:
    """The uvicorn options that bound connections: read timeouts, keep-alive, the connection cap."""
    GuardedHttp.header_timeout = config.header_timeout
    return {
        "http": GuardedHttp,
        "timeout_keep_alive": config.keep_alive,
        "limit_concurrency": config.max_connections,
    }
