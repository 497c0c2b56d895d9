"""Ports: chosen free at start (never a fixed default another process may hold), and bind failures."""

from __future__ import annotations

from sparkwing.errors import EngineError, java_cause

_BIND_MARKERS = ("BindException", "Address already in use", "could not bind", "Failed to bind")


def free_port(span: int = 1, *, hint: str = "free some ports, or set the port settings") -> int:
    """A port the OS reports free on every interface, with ``span - 1`` free ports after it."""
    import socket

    for _ in range(50):
        with socket.socket() as s:
            s.bind(("", 0))
            port = int(s.getsockname()[1])
        if port + span < 65535 and all(_bindable(port + i) for i in range(1, span)):
            return port
    raise EngineError(f"no {span} free port(s) in a row on this machine", hint=hint)


def _bindable(port: int) -> bool:
    import socket

    with socket.socket() as s:
        try:
            s.bind(("", port))
        except OSError:
            return False
    return True


def port_in_use(exc: BaseException) -> bool:
    """Whether a start-up failure is a port another process holds (a bind failure)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        text = f"{java_cause(current)}\n{current}"
        if any(marker in text for marker in _BIND_MARKERS):
            return True
        current = current.__cause__ or current.__context__
    return False
