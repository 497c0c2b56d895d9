"""What a command knows: the global options, resolved once per invocation, kept in typer's context.

The root callback puts a :class:`CliState` in ``ctx.obj``; every command (and every sub-app)
reads it back with :func:`state`.  Nothing here is module-global, so two invocations in one
process (tests, ``sparkwing shell``) never see each other's options.

A command module uses it like this::

    @app.command()
    def mine(ctx: typer.Context) -> None:
        st = state(ctx)
        st.workspace()   # the Workspace value, built once from the settings
        st.spark()       # the engine's SparkSession, started on first use
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import typer

from sparkwing.errors import ConfigError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from sparkwing.config import Settings
    from sparkwing.registry import Registry
    from sparkwing.workspace import Workspace


@dataclass
class CliState:
    """The global options of one ``sparkwing`` invocation and what they resolve to (lazily)."""

    workspace_uri: str | None = None
    config_file: str | None = None
    master: str | None = None
    conf: list[str] = field(default_factory=list)
    debug: bool = False
    verbose: bool = False  # -v: engine logs (JVM, Spark, H2O) stream to the console too
    quiet: bool = False  # -q: only the result and errors
    _settings: Settings | None = field(default=None, init=False, repr=False)
    _workspace: Workspace | None = field(default=None, init=False, repr=False)
    _spark: SparkSession | None = field(default=None, init=False, repr=False)

    def settings(self) -> Settings:
        """The settings of every layer, the command-line options on top; resolved once."""
        if self._settings is None:
            from sparkwing.config import load_settings

            self._settings = load_settings(self._overrides(), settings_file=self.config_file)
        return self._settings

    def workspace(self) -> Workspace:
        """The workspace of the settings (layout, storage, S3 settings); built once."""
        if self._workspace is None:
            from sparkwing.workspace import Workspace

            self._workspace = Workspace.from_settings(self.settings())
        return self._workspace

    def spark(self) -> SparkSession:
        """The engine's SparkSession for these settings, started on first use."""
        if self._spark is None:
            from sparkwing.engine import EngineLogs, start_spark

            logs = EngineLogs.under(self.workspace(), "session", echo=self.verbose,
                                    level="INFO" if self.debug else "WARN")
            self._spark = start_spark(self.settings(), logs=logs)
        return self._spark

    def registry(self) -> Registry:
        from sparkwing.registry import Registry

        return Registry(self.workspace())

    def use_workspace(self, uri: str | None) -> None:
        """A command's own ``--workspace`` (``serve``) wins over the global one, if given."""
        if uri and uri != self.workspace_uri:
            self.workspace_uri = uri
            self._settings = self._workspace = None

    def location_args(self) -> list[str]:
        """The global options that locate this workspace, as command-line words (for hints)."""
        words: list[str] = []
        if self.workspace_uri:
            words += ["--workspace", self.workspace_uri]
        if self.config_file:
            words += ["--config", self.config_file]
        return words

    def _overrides(self) -> dict[str, Any]:
        overrides: dict[str, Any] = {}
        if self.workspace_uri:
            overrides["workspace"] = self.workspace_uri
        spark: dict[str, Any] = {}
        if self.master:
            spark["master"] = self.master
        if self.conf:
            pairs = {}
            for item in self.conf:
                key, sep, value = item.partition("=")
                if not sep:
                    raise ConfigError(f"--conf expects key=value, got {item!r}")
                pairs[key.strip()] = value.strip()
            spark["conf"] = pairs
        if spark:
            overrides["spark"] = spark
        return overrides


def state(ctx: typer.Context) -> CliState:
    """The :class:`CliState` of this invocation (``ctx`` is any command's or sub-app's context)."""
    found = ctx.find_object(CliState)
    if found is None:  # a command invoked without the root callback (not through ``app``)
        found = ctx.ensure_object(CliState)
    return found
