"""Layered settings: defaults < ``sparkwing.yaml`` < ``SPARKWING__SECTION__KEY`` env vars < CLI flags."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from sparkwing.config._auth import AuthSettings
from sparkwing.config._formats import TableFormat
from sparkwing.config._secrets import Secret
from sparkwing.errors import ConfigError, Problem

SETTINGS_FILE = "sparkwing.yaml"
ENV_PREFIX = "SPARKWING__"


class _Section(BaseModel):
    # hide_input_in_errors: a ValidationError's text never repeats a value, which may be a secret.
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)


class SparkSettings(_Section):
    master: str = Field("local[*]", description="Spark master: local[*], spark://host:port or yarn.")
    app_name: str = Field("sparkwing", description="Spark application name.")
    driver_memory: str | None = Field(None, description="spark.driver.memory, e.g. 2g.")
    shuffle_partitions: int = Field(
        8, ge=1, description="spark.sql.shuffle.partitions; small by default for one machine."
    )
    executor_memory: str | None = Field(
        None, description="spark.executor.memory (cluster masters); H2O needs ~4x the data in all."
    )
    executor_cores: int | None = Field(None, ge=1, description="spark.executor.cores.")
    executor_instances: int | None = Field(
        None, ge=1, description="spark.executor.instances: one H2O node per executor."
    )
    driver_host: str | None = Field(
        None,
        description="spark.driver.host (and bindAddress) executors call back to; "
        "127.0.0.1 for local[*] and spark://127.0.0.1 masters.",
    )
    task_max_failures: int = Field(
        4, ge=1, description="spark.task.maxFailures: retries of a task on a lost executor."
    )
    executor_max_failures: int | None = Field(
        None, ge=1, description="spark.executor.maxNumFailures (YARN): executors lost before the app fails."
    )
    authenticate: bool = Field(
        True,
        description="spark.authenticate on YARN and Kubernetes masters: Spark generates a secret per "
        "application and executors must prove it. (A standalone cluster needs the same "
        "spark.authenticate.secret on its master and workers: set it there and in spark.conf.)",
    )
    network_crypto: bool = Field(
        False, description="spark.network.crypto.enabled on cluster masters: encrypt Spark's RPC and "
        "block transfers (needs authenticate)."
    )
    conf: dict[str, str] = Field(
        default_factory=dict, description="Any spark.* setting, passed through unchanged."
    )


class H2OSettings(_Section):
    bind_loopback: bool = Field(
        True, description="Bind every H2O and Flow-proxy socket of the driver to 127.0.0.1 "
        "(local and loopback masters).",
    )
    login: bool = Field(
        True, description="H2O's node login (hash login) on every node: a user and password generated "
        "per cloud (or username/password below); off only for a machine you alone use.",
    )
    username: str | None = Field(None, description="H2O login user (default: sparkwing).")
    password: Secret = Field(
        None, description="H2O login password: the value, env:NAME or file:PATH "
        "(default: generated per cloud).")
    internal_secure_connections: bool = Field(
        False, description="TLS between H2O nodes (spark.ext.h2o.internal_secure_connections, "
        "generated keystores); XGBoost then refuses to train unless "
        "spark.ext.h2o.allow_insecure_xgboost is set.",
    )
    flow: bool = Field(
        False, description="While a training step runs, write its cloud's login to a 0600 file and "
        "show an \"H2O Flow\" link on the run's page in `sparkwing ui` (loopback H2O only: local and "
        "spark://127.0.0.1 masters with bind_loopback; needs login).",
    )
    conf: dict[str, str] = Field(
        default_factory=dict, description="Any spark.ext.h2o.* setting, passed through."
    )

    @model_validator(mode="after")
    def _flow_needs_login(self) -> H2OSettings:
        if self.flow and not self.login:
            raise ValueError("h2o.flow needs h2o.login: Flow is never opened without a login")
        if self.flow and not self.bind_loopback:
            raise ValueError("h2o.flow needs h2o.bind_loopback: H2O's REST API must stay on 127.0.0.1")
        return self


class S3Settings(_Section):
    model_config = ConfigDict(frozen=True)  # held by the immutable Workspace

    endpoint_url: str | None = Field(None, description="S3 endpoint; None means AWS.")
    region: str | None = Field(None, description="AWS region.")
    access_key_id: Secret = Field(
        None, description="Access key id: the value, env:NAME or file:PATH; None uses the AWS chain.")
    secret_access_key: Secret = Field(None, description="Secret key: the value, env:NAME or file:PATH.")


class LakeSettings(_Section):
    max_quarantine_share: float = Field(
        0.05, ge=0, le=1, description="Fail a source whose quarantined share of rows exceeds this."
    )
    spark_s3: Literal["auto", "always", "never"] = Field(
        "auto",
        description="Hand s3:// URIs to Spark (EMR, hadoop-aws) or copy them to staging via boto3; "
        "auto checks whether the S3A/EMRFS classes load.",
    )


class WarehouseSettings(_Section):
    keep_versions: int = Field(3, ge=1, description="Table versions kept for rollback.")
    default_format: TableFormat = Field("parquet", description="Storage of tables that set no format.")


POSTGRES_JAR = "/usr/share/java/postgresql.jar"  # Debian's libpostgresql-jdbc-java


class MetastoreSettings(_Section):
    """Where the Hive metastore lives: embedded Derby (default), PostgreSQL, or AWS Glue."""

    url: str | None = Field(
        None,
        description="A shared metastore database: postgresql://USER@HOST:PORT/DB (or jdbc:postgresql://...); "
        "None keeps the embedded Derby metastore in the workspace (one process at a time).",
    )
    user: str | None = Field(None, description="Database user, if the URL names none.")
    password: SecretStr | None = Field(
        None, description="Database password; set it with SPARKWING__METASTORE__PASSWORD, never in the URL."
    )
    password_file: str | None = Field(
        None, description="A file whose first line is the database password (e.g. a mounted secret)."
    )
    jdbc_jar: str = Field(
        POSTGRES_JAR, description="The PostgreSQL JDBC driver jar put on the driver's classpath."
    )
    glue: bool = Field(
        False, description="Use the AWS Glue Data Catalog as the metastore (EMR only; sets "
        "hive.metastore.client.factory.class)."
    )

    @field_validator("url")
    @classmethod
    def _postgres_only(cls, value: str | None) -> str | None:
        if value is None:
            return None
        scheme = value.split("://", 1)[0].lower() if "://" in value else ""
        if scheme not in ("postgresql", "postgres", "jdbc:postgresql"):
            raise ValueError("a metastore url starts with postgresql:// (or jdbc:postgresql://)")
        netloc = value.split("://", 1)[1].split("/", 1)[0]
        if ":" in netloc.rpartition("@")[0]:
            raise ValueError("no password in the url: use SPARKWING__METASTORE__PASSWORD or password_file")
        return value


class Settings(BaseSettings):
    """Everything that is about *where* and *how* sparkwing runs, not *what* a pipeline does."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid", case_sensitive=False,
        hide_input_in_errors=True,
    )

    workspace: str = Field("./sparkwing-home", description="Workspace directory or s3:// URI.")
    spark: SparkSettings = Field(default_factory=SparkSettings, description="The Spark session.")
    h2o: H2OSettings = Field(default_factory=H2OSettings, description="H2O Sparkling Water.")
    s3: S3Settings = Field(default_factory=S3Settings, description="S3 access for the lake and workspace.")
    lake: LakeSettings = Field(default_factory=LakeSettings, description="Reading sources.")
    warehouse: WarehouseSettings = Field(default_factory=WarehouseSettings, description="Hive tables.")
    metastore: MetastoreSettings = Field(
        default_factory=MetastoreSettings,
        description="The Hive metastore: embedded Derby, PostgreSQL or Glue.",
    )
    auth: AuthSettings = Field(default_factory=AuthSettings, description="Sign-in to serve and ui.")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # First wins: CLI flags (init kwargs) > environment > sparkwing.yaml > defaults.
        return (init_settings, env_settings, _YamlFileSource(settings_cls))


class _YamlFileSource(PydanticBaseSettingsSource):
    path: Path | None = None

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = _YamlFileSource.path
        if path is None or not path.exists():
            return {}
        from sparkwing.config._yaml import load_yaml  # PyYAML only when there is a file

        data = load_yaml(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: settings must be a mapping", hint="see README, Settings")
        return data


def load_settings(
    overrides: dict[str, Any] | None = None, *, settings_file: str | os.PathLike[str] | None = None
) -> Settings:
    """Resolve settings from every layer; ``overrides`` are the CLI flags (nested dicts).

    >>> load_settings({"workspace": "/tmp/ws"}).workspace
    '/tmp/ws'
    """
    path = Path(settings_file) if settings_file else Path(SETTINGS_FILE)
    if settings_file and not path.exists():
        raise ConfigError(f"settings file not found: {path}", hint="check --config")
    if misspelt := _one_underscore_settings():
        raise ConfigError(
            "invalid settings",
            problems=[
                Problem(name, f"would be ignored: settings variables start with {ENV_PREFIX}, e.g. {fix}",
                        file="environment")
                for name, fix in misspelt
            ],
            hint=f"rename them to {ENV_PREFIX}SECTION__KEY",
        )
    _YamlFileSource.path = path
    try:
        return Settings(**(overrides or {}))
    except ValidationError as exc:
        problems = [
            Problem(".".join(str(p) for p in e["loc"]), e["msg"], file=str(path)) for e in exc.errors()
        ]
        raise ConfigError(
            "invalid settings",
            problems=problems,
            hint=f"check {path} and {ENV_PREFIX}* environment variables",
        ) from None
    finally:
        _YamlFileSource.path = None


def _one_underscore_settings() -> list[tuple[str, str]]:
    """Environment variables that look like settings (``SECTION__KEY``) but have one underscore
    after ``SPARKWING``: pydantic-settings would ignore them without a word.  sparkwing's own
    single-underscore variables (``SPARKWING_DIR``, ``SPARKWING_AIRFLOW_INSTALL``, ...) hold no
    ``__`` and are left alone."""
    short = ENV_PREFIX[:-1]  # SPARKWING_
    return sorted(
        (name, ENV_PREFIX + name[len(short):])
        for name in os.environ
        if name.upper().startswith(short) and not name.upper().startswith(ENV_PREFIX) and "__" in name
    )
