"""Errors the service answers with: an HTTP status, a stable ``code`` and a one-line message."""

from __future__ import annotations

from typing import Any

from sparkwing.errors import (
    AuthError,
    ConfigError,
    EngineError,
    MojoError,
    RegistryError,
    ScoringError,
    SparkwingError,
    WorkspaceBusy,
)

#: The HTTP status of a library error that reaches a route; an error class not listed takes
#: the status of its nearest listed base class (documented in docs/serving.md).
HTTP_STATUS: dict[type[SparkwingError], int] = {
    SparkwingError: 500,
    ConfigError: 400,
    ScoringError: 422,
    RegistryError: 503,
    MojoError: 503,
    WorkspaceBusy: 503,
    EngineError: 503,
}


def http_status(exc: SparkwingError) -> int:
    """The status of ``exc``: that of the first class in its MRO listed in ``HTTP_STATUS``."""
    for cls in type(exc).__mro__:
        status = HTTP_STATUS.get(cls)  # type: ignore[call-overload]
        if status is not None:
            return status
    return 500


class ServeError(SparkwingError):
    """An error answer, e.g. ``ServeError(404, "unknown_model", "no model 'x' is served")``."""

    def __init__(self, status: int, code: str, message: str, *, hint: str | None = None,
                 details: Any = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status, self.code, self.details, self.headers = status, code, details, headers

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.hint:
            out["hint"] = self.hint
        if self.details is not None:
            out["details"] = self.details
        return out


def from_sparkwing(exc: SparkwingError) -> ServeError:
    """Map the library's errors to answers; the message is already one line, meant for users."""
    if isinstance(exc, ServeError):
        return exc
    if isinstance(exc, AuthError):  # its own status: 401 (with the challenges), 403, 429, 503
        headers = {"WWW-Authenticate": ", ".join(exc.challenges)} if exc.status == 401 else {}
        if exc.status in (429, 503):
            headers["Retry-After"] = "60" if exc.status == 429 else "5"
        return ServeError(exc.status, exc.code, exc.message, hint=exc.hint, headers=headers or None)
    return ServeError(http_status(exc), exc.code, exc.message, hint=exc.hint)
