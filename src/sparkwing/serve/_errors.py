"""Errors the service answers with: an HTTP status, a stable ``code`` and a one-line message."""

from __future__ import annotations

from typing import Any

from sparkwing.errors import ConfigError, MojoError, RegistryError, ScoringError, SparkwingError


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
    status = {RegistryError: 503, MojoError: 503, ScoringError: 422, ConfigError: 400}.get(type(exc), 500)
    return ServeError(status, exc.code, exc.message, hint=exc.hint)
