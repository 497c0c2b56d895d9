"""Settings of ``sparkwing ui``: where the workspace is, where to listen, how much to read."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from sparkwing.auth import check_tls
from sparkwing.config import AuthSettings, S3Settings
from sparkwing.config._auth import is_loopback
from sparkwing.errors import ConfigError


class UiConfig(BaseModel):
    """What the UI reads and how it listens; limits keep every page's reading bounded."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)  # its s3 holds secrets

    workspace: str = Field(default="./sparkwing-home", description="Workspace dir or s3:// URI.")
    s3: S3Settings = Field(default_factory=S3Settings)
    host: str = Field(default="127.0.0.1", description="Address to bind; beyond loopback only with a login.")
    port: int = Field(default=8090, ge=0, le=65535)
    recent_runs: int = Field(default=20, ge=1, le=500, description="Runs per pipeline read for a page.")
    sample_lines: int = Field(default=20, ge=0, le=1000, description="Quarantined lines shown per source.")
    sample_bytes: int = Field(
        default=256 * 1024, ge=1024, le=64 * 1024 * 1024,
        description="Bytes read from the head of a quarantine file for the sample (never the whole file).",
    )  # fmt: skip
    preview_rows: int = Field(default=20, ge=0, le=500, description="Rows of a table's preview (0: none).")
    max_raw_chars: int = Field(default=2000, ge=80, description="A sampled raw line longer than this is cut.")
    auth: AuthSettings = Field(default_factory=AuthSettings, description="Sign-in (LDAP), sessions.")
    rate_limit: float = Field(default=50.0, ge=0, description="Requests/s per signed-in identity; 0 = off.")
    rate_burst: int = Field(default=100, ge=1, description="Requests an identity may make at once.")
    spark_history: str | None = Field(
        default=None, pattern=r"^https?://[^\s\"'<>]+$",
        description="URL of a Spark History Server over this workspace's event logs (`sparkwing history`): "
        "each run links to its application there.",
    )  # fmt: skip
    tls_cert: str | None = Field(default=None, description="PEM certificate: serve https.")
    tls_key: str | None = Field(default=None, description="PEM key of tls_cert.")

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)

    def check(self, *, auth: bool = False) -> None:
        """Refuse to listen beyond loopback without a login (``auth``: one is configured)."""
        check_tls(self.tls_cert, self.tls_key)
        if not self.loopback and not auth:
            raise ConfigError(
                f"the UI would listen on {self.host} with no login",
                hint="configure auth.ldap or auth.kerberos (docs/security.md), or bind 127.0.0.1 (the "
                "default) and use an SSH tunnel",
            )

