"""How the scoring service runs: which models, where it listens, its limits."""

from __future__ import annotations

import math
import os
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sparkwing.auth import check_tls
from sparkwing.config import AuthSettings, ModelRef, S3Settings  # ModelRef: the one grammar, re-exported
from sparkwing.config._auth import is_loopback  # the one loopback check, re-exported by serve
from sparkwing.errors import ConfigError

DEFAULT_ALIAS = "production"  # what a bare NAME serves


class ServeConfig(BaseModel):
    """Settings of one ``sparkwing serve`` process (every field has a CLI flag)."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)  # its s3 holds secrets

    workspace: str = Field(description="Workspace directory or s3:// URI holding the registry.")
    s3: S3Settings | None = None
    models: list[ModelRef] = Field(
        default_factory=list,
        description="NAME (its production alias), NAME@ALIAS or NAME@VERSION; "
        "empty: every model with a production alias.",
    )
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    workers: int = Field(1, ge=1, le=64)
    poll_interval: float = Field(5.0, ge=0, description="Seconds between registry polls; 0 = never.")
    require_keys: bool = Field(False, description="Ask for sign-in (API key, LDAP) on loopback too.")
    auth: AuthSettings = Field(default_factory=AuthSettings, description="Sign-in: LDAP, throttling.")
    max_body_bytes: int = Field(10 * 1024 * 1024, ge=1)
    max_rows: int = Field(10_000, ge=1)
    rate_limit: float = Field(1000.0, ge=0, description="Requests per second per identity; 0 = unlimited.")
    rate_burst: int | None = Field(
        None, ge=1, description="Bucket size per identity; default: 2 s of --rate-limit (at least 10).")
    max_warnings: int = Field(1000, ge=0, description="Warnings listed per response; the rest are counted.")
    max_listed: int = Field(100, ge=0,
                            description="Names listed in unknown_columns / missing_features; rest counted.")
    header_timeout: float = Field(
        10.0, gt=0, description="Seconds a connection may take to send a request's headers.")
    body_timeout: float = Field(30.0, gt=0, description="Seconds a request may take to send its whole body.")
    keep_alive: int = Field(5, ge=1, description="Seconds an idle keep-alive connection stays open.")
    max_connections: int = Field(1000, ge=1,
                                 description="Open connections per worker process; beyond it: 503.")
    score_workers: int = Field(0, ge=0, le=64,
                               description="Scoring processes per worker; 0 = one per CPU core.")
    score_queue: int = Field(16, ge=0,
                             description="Batch requests waiting for a scoring process; beyond it: 503.")
    inline_bytes: int = Field(64 * 1024, ge=0,
                              description="Bodies up to this size are scored on the event loop.")
    access_log: bool | None = Field(None,
        description="Log every request (method, path, status, ms, key id); default: on beyond loopback.")
    tls_cert: str | None = None
    tls_key: str | None = None

    @field_validator("models", mode="before")
    @classmethod
    def _served_refs(cls, v: Any) -> Any:
        """A served model follows an alias (``production`` unless named) or is pinned to a version."""
        if not isinstance(v, list):
            return v
        return [_served(item) for item in v]

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)

    @property
    def burst(self) -> int:
        return self.rate_burst or max(10, math.ceil(2 * self.rate_limit))

    @property
    def logs_access(self) -> bool:
        return self.access_log if self.access_log is not None else not self.loopback

    @property
    def scoring_processes(self) -> int:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        return self.score_workers or max(1, cores)

    @property
    def auth_required(self) -> bool:
        return self.require_keys or not self.loopback

    def check(self) -> None:
        check_tls(self.tls_cert, self.tls_key)


def _served(item: Any) -> Any:
    if isinstance(item, str):
        item = ModelRef.parse(item, default_alias=DEFAULT_ALIAS)
    elif isinstance(item, dict):
        fields = {**item, "alias": item.get("alias") or None}
        if fields["alias"] is None and fields.get("version") is None:
            fields["alias"] = DEFAULT_ALIAS
        item = ModelRef.model_validate(fields)
    if isinstance(item, ModelRef) and item.latest:
        raise ConfigError(f"{item.name}@latest cannot be served", hint="serve NAME@ALIAS or pin NAME@VERSION")
    return item


