"""Request limits: the body size and read time, concurrent scoring (the rate per identity:
:class:`sparkwing.auth.RateLimiter`)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.requests import ClientDisconnect

from sparkwing.serve._errors import ServeError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def error_body(code: str, message: str, **extra: Any) -> bytes:
    return json.dumps({"code": code, "message": message, **extra}).encode()


class DeclaredLength:
    """Refuse a request whose ``Content-Length`` is over ``max_bytes`` (413) from its headers alone.

    Nothing here reads a body: bodies are read by :func:`read_body`, inside the route, after the
    API key was checked, so an unauthenticated client can make the service hold no body at all.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            length = _content_length(scope)
            if length is not None and length > self.max_bytes:
                await _answer(send, 413, error_body(
                    "body_too_large", f"request body over the limit of {self.max_bytes:,} bytes"))
                return
        await self.app(scope, receive, send)


async def read_body(request: Any, max_bytes: int, timeout: float) -> bytes:
    """The request body, streamed: 413 past ``max_bytes``, 408 if it takes over ``timeout`` s.

    A client dribbling a body byte by byte (slowloris) is cut off at ``timeout``; a chunked body
    is counted while it arrives, never buffered beyond the limit.
    """
    # The deadline is one loop timer that cancels this task, as asyncio.timeout does, without
    # its bookkeeping (~10 µs of a 1-row request's ~200).  Only our own cancel becomes the 408:
    # one from outside (the client went away, shut-down) is re-raised as it came.
    task = asyncio.current_task()
    assert task is not None
    cancelling = task.cancelling() if hasattr(task, "cancelling") else 0
    expired = False

    def expire() -> None:
        nonlocal expired
        expired = True
        task.cancel()

    deadline = asyncio.get_running_loop().call_later(timeout, expire)
    parts: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_bytes:
                raise ServeError(413, "body_too_large", f"request body over the limit of {max_bytes:,} bytes",
                                 headers={"Connection": "close"})
            parts.append(chunk)
        return b"".join(parts)
    except asyncio.CancelledError:
        if not expired or (hasattr(task, "uncancel") and task.uncancel() > cancelling):
            raise
        raise ServeError(408, "body_timeout", f"request body not received within {timeout:g} s",
                         headers={"Connection": "close"}) from None
    except ClientDisconnect:
        raise ClientAborted() from None
    finally:
        deadline.cancel()


class ClientAborted(Exception):
    """The client went away before its request was read; nobody is left to answer."""


async def _answer(send: Send, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"connection", b"close"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
