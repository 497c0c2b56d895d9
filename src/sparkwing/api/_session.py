"""The API's workspace (where state lives, plus the settings it runs with) and its engines.

``Workspace`` is a :class:`sparkwing.workspace.Workspace` -- it goes wherever one does
(registry, run store, warehouse) -- that also carries the resolved :class:`Settings`: the
same layers as the CLI (defaults < ``sparkwing.yaml`` < ``SPARKWING__*`` environment <
keyword arguments).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from sparkwing import workspace as _ws
from sparkwing.config import Settings, load_settings
from sparkwing.engine import H2OCloud, start_h2o, start_spark
from sparkwing.errors import ConfigError, EngineError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


class Workspace(_ws.Workspace):
    """A workspace directory or ``s3://`` URI with the settings sparkwing runs with there.

    Keyword arguments are settings sections, as in ``sparkwing.yaml``::

        ws = Workspace("./sparkwing-home", spark={"master": "local[2]"})
        ws = Workspace("s3://bucket/prefix", s3={"endpoint_url": "http://127.0.0.1:9000"})
        ws = Workspace(settings=load_settings())   # exactly these settings

    Building one touches nothing; the SparkSession starts with :func:`spark`.
    """

    settings: Settings

    def __init__(
        self, uri: str | os.PathLike[str] | None = None, *, settings: Settings | None = None, **sections: Any
    ) -> None:
        if settings is None:
            overrides = {**sections, **({"workspace": os.fspath(uri)} if uri is not None else {})}
            settings = load_settings(overrides)
        elif uri is not None or sections:
            raise ConfigError("Workspace: give settings= or a URI and settings sections, not both",
                              hint="Workspace(settings=s) uses s.workspace")
        super().__init__(settings.workspace, s3=settings.s3)
        object.__setattr__(self, "settings", settings)

    @classmethod
    def from_settings(cls, settings: Settings) -> Workspace:
        return cls(settings=settings)


def workspace_of(workspace: Workspace | str | os.PathLike[str] | None) -> Workspace:
    """The workspace a call names: a ``Workspace``, a URI, or None for the default one."""
    if isinstance(workspace, Workspace):
        return workspace
    if isinstance(workspace, _ws.Workspace):  # a bare layout: keep its location and S3 settings
        return Workspace(workspace.root, s3=workspace.s3)
    return Workspace(workspace)


def spark(workspace: Workspace | str | None = None) -> SparkSession:
    """The SparkSession of ``workspace`` (started on first call, then the running one).

    Java 17 flags, the Hive metastore and the warehouse inside the workspace are applied as for
    ``sparkwing run``.  One process holds one session: asking for another workspace's session
    while one runs is an EngineError rather than a silent mix of metastores.
    """
    ws = workspace_of(workspace)
    session = start_spark(ws.settings)
    running = session.conf.get("spark.sql.warehouse.dir", "") or ""
    if ws.local and running and running.removeprefix("file:") != ws.warehouse:
        raise EngineError(
            f"a SparkSession for another workspace is running (warehouse {running})",
            hint="use that workspace, or stop the session first: spark.stop()",
        )
    return session


def h2o(workspace: Workspace | str | None = None) -> H2OCloud:
    """H2O (Sparkling Water) on the workspace's SparkSession, started on first call.

    Returns the :class:`sparkwing.engine.H2OCloud` (``.url``, ``.size``, ``.context`` the
    H2OContext, ``.stop()``); its logs go to ``<workspace>/logs/session/``.
    """
    ws = workspace_of(workspace)
    return start_h2o(spark(ws), ws.settings)
