"""Data in Python: read a lake source, prep it, check it, publish it, score it.

Each call is the spec section of the same name, run by the same package code
(``lake``, ``prep``, ``warehouse``, ``score``); only the wiring lives here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sparkwing._types import new_run_id
from sparkwing.api._kinds import as_item
from sparkwing.api._session import Workspace, spark, workspace_of
from sparkwing.config import Check, SourceSpec, SparkScorer, Step, TableSpec
from sparkwing.lake import SourceContext, SourceResult, read_source
from sparkwing.prep import CheckResult, apply_steps, gate, run_checks
from sparkwing.registry import ModelVersion, Registry
from sparkwing.score import ScoreResult, score_batch
from sparkwing.warehouse import PublishResult, TableInfo, list_tables, publish_table

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

PIPELINE = "python"  # quarantine/python/<run_id>/<source>/ holds what sw.read quarantined

WorkspaceLike = Workspace | str | os.PathLike[str] | None


def read(
    uri: str,
    *,
    format: str | None = None,  # noqa: A002 - the spec's key
    columns: Mapping[str, Any] | None = None,
    name: str | None = None,
    workspace: WorkspaceLike = None,
    **options: Any,
) -> SourceResult:
    """Read a lake source as ``sources:`` does: typed rows, counts, quarantined rows.

    ``options`` are the other source keys (``delimiter``, ``null_values``, ``header``, ...).
    The result's ``df`` holds the accepted rows; ``rows_read = rows_accepted +
    rows_quarantined``; rejected rows and their reasons are under ``quarantine_uri``.
    Relative URIs resolve against the current directory.
    """
    ws = workspace_of(workspace)
    spec = as_item(SourceSpec, {"uri": uri, "format": format, "columns": columns, **options}, "sw.read")
    label = name or _source_name(uri)
    ctx = SourceContext(ws.settings, ws, PIPELINE, new_run_id(), Path.cwd())
    return read_source(spark(ws), label, spec, ctx)


def _source_name(uri: str) -> str:
    stem = Path(uri.rstrip("/")).name.split(".")[0] or "source"
    return re.sub(r"[^A-Za-z0-9_]", "_", stem)


def prepare(
    df: DataFrame, steps: Sequence[Step | Mapping[str, Any]], *, inputs: Mapping[str, DataFrame] | None = None
) -> DataFrame:
    """Apply prep steps (``sw.steps.cast(...)`` or their YAML form) in order; lazy like Spark.

    ``inputs`` names the other DataFrames a ``join`` step refers to.
    """
    items = [as_item(Step, s, f"sw.prep steps[{i}]") for i, s in enumerate(steps)]
    out, _ = apply_steps(df, items, inputs=inputs or {})
    return out


def check(
    df: DataFrame, checks: Sequence[Check | Mapping[str, Any]], *, raise_on_error: bool = True
) -> list[CheckResult]:
    """Run quality checks in one pass; raises ``CheckFailed`` if an ``error`` check fails.

    ``warn`` checks are logged; every result (passed or not) is returned.
    """
    items = [as_item(Check, c, f"sw.check checks[{i}]") for i, c in enumerate(checks)]
    results = run_checks(df, items)
    if raise_on_error:
        gate(results)
    return results


def publish(
    df: DataFrame,
    name: str,
    *,
    workspace: WorkspaceLike = None,
    format: str | None = None,  # noqa: A002 - the spec's key
    partition_by: Sequence[str] = (),
    keep_versions: int | None = None,
    description: str | None = None,
    version: str | None = None,
) -> PublishResult:
    """Publish ``df`` as Hive table ``db.table`` (a new version, switched atomically).

    ``version`` defaults to a new run id; publishing the current version again does nothing.
    """
    ws = workspace_of(workspace)
    table = as_item(TableSpec, {"from": "python", "format": format, "partition_by": list(partition_by),
                                "keep_versions": keep_versions, "description": description}, "sw.publish")
    version = version or new_run_id()
    warehouse = ws.settings.warehouse
    return publish_table(
        spark(ws), df, name, table, workspace=ws, version=version, run_id=version,
        keep_versions=keep_versions or warehouse.keep_versions, default_format=warehouse.default_format,
    )


def tables(workspace: WorkspaceLike = None) -> list[TableInfo]:
    """The workspace's published tables (name, version, rows, format, ...)."""
    ws = workspace_of(workspace)
    return list_tables(spark(ws), ws)


def table(name: str, workspace: WorkspaceLike = None) -> DataFrame:
    """A published table as a DataFrame (its current version)."""
    return spark(workspace_of(workspace)).table(name)


def predict(
    df: DataFrame | str,
    model: str | ModelVersion,
    *,
    workspace: WorkspaceLike = None,
    allow_missing: bool = False,
    scorer: SparkScorer = "mojo",
) -> ScoreResult:
    """Score a DataFrame (or a table name) with a registered model on Spark, as ``scores:`` does.

    ``model`` is ``NAME@ALIAS``, ``NAME@VERSION`` or ``NAME``; the MOJO runs on the executors,
    no H2O cloud (``scorer``: ``mojo``, sparkwing.mojo in Python workers, or ``h2o``, Sparkling
    Water's ``H2OMOJOModel``).  The result's ``df`` holds the input columns and the prediction columns.
    """
    ws = workspace_of(workspace)
    session = spark(ws)
    frame = session.table(df) if isinstance(df, str) else df
    version = model if isinstance(model, ModelVersion) else Registry(ws).get(model)
    return score_batch(session, frame, version, allow_missing=allow_missing, scorer=scorer)
