"""How the scoring service runs: which models, where it listens, its limits."""

from __future__ import annotations

import ipaddress
import re

from pydantic import BaseModel, ConfigDict, Field

from sparkwing.config import S3Settings
from sparkwing.errors import ConfigError

_REF = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:@([A-Za-z0-9_][A-Za-z0-9_.-]*))?$")


class ModelRef(BaseModel):
    """A served model: ``name`` at ``alias`` (or pinned to ``version``)."""

    model_config = ConfigDict(frozen=True)

    name: str
    alias: str = "production"
    version: int | None = None

    @classmethod
    def parse(cls, text: str) -> ModelRef:
        """``NAME``, ``NAME@ALIAS`` or ``NAME@VERSION``.

        >>> ModelRef.parse("loan_default@staging").alias
        'staging'
        """
        m = _REF.match(text.strip())
        if not m:
            raise ConfigError(
                f"invalid model reference {text!r}", hint="NAME or NAME@ALIAS, e.g. loan_default@production"
            )
        name, tag = m.group(1), m.group(2)
        if tag and tag.isdigit():
            return cls(name=name, alias="", version=int(tag))
        return cls(name=name, alias=tag or "production")

    def __str__(self) -> str:
        return f"{self.name}@{self.version if self.version is not None else self.alias}"


class ServeConfig(BaseModel):
    """Settings of one ``sparkwing serve`` process (every field has a CLI flag)."""

    model_config = ConfigDict(extra="forbid")

    workspace: str = Field(description="Workspace directory or s3:// URI holding the registry.")
    s3: S3Settings | None = None
    models: list[ModelRef] = Field(
        default_factory=list, description="Empty: every model with a production alias."
    )
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    workers: int = Field(1, ge=1, le=64)
    poll_interval: float = Field(5.0, ge=0, description="Seconds between registry polls; 0 = never.")
    require_keys: bool = Field(False, description="Ask for API keys on loopback too.")
    max_body_bytes: int = Field(10 * 1024 * 1024, ge=1)
    max_rows: int = Field(10_000, ge=1)
    rate_limit: float = Field(1000.0, ge=0, description="Requests per second per API key; 0 = unlimited.")
    rate_burst: int = Field(2000, ge=1)
    max_warnings: int = Field(1000, ge=0, description="Warnings listed per response; the rest are counted.")
    tls_cert: str | None = None
    tls_key: str | None = None

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)

    @property
    def auth_required(self) -> bool:
        return self.require_keys or not self.loopback

    def check(self) -> None:
        if bool(self.tls_cert) != bool(self.tls_key):
            raise ConfigError("TLS needs both a certificate and a key", hint="--tls-cert FILE --tls-key FILE")


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
