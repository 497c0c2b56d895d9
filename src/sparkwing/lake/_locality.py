"""Where a pipeline's data can live with the configured master: checked before any JVM starts.

``check_locations(settings, spec)`` is what ``sparkwing validate`` and ``sparkwing run`` refuse
before any work: the engine's settings problems (``engine.cluster_problems``), local source
files that cluster executors cannot read, and Hive tables in an ``s3://`` workspace that local
Spark cannot write.
"""

from __future__ import annotations

from collections.abc import Mapping

from sparkwing.config import DRIVER_PARSED, PipelineSpec, Settings, SourceSpec
from sparkwing.engine import check_cluster, cluster_kind
from sparkwing.errors import ConfigError, Problem
from sparkwing.workspace import is_remote


def check_locations(settings: Settings, spec: PipelineSpec) -> None:
    """Raise ``ConfigError`` when ``spec``'s sources or tables cannot work with ``settings``.

    >>> check_locations(load_settings({"spark": {"master": "yarn"}}), spec)   # doctest: +SKIP
    Traceback (most recent call last):
    ConfigError: settings cannot work with master yarn ...
    """
    master = settings.spark.master
    if cluster_kind(master) is None:
        _check_local_tables(settings, spec)
    check_cluster(settings, source_problems(spec.sources, master))


def source_problems(sources: Mapping[str, SourceSpec], master: str) -> list[Problem]:
    """Local source files that executors on other hosts (YARN, Kubernetes) cannot read.

    >>> source_problems({"raw": SourceSpec(uri="data/a.csv")}, "yarn")[0].path   # doctest: +SKIP
    'sources.raw.uri'
    """
    if cluster_kind(master) not in ("yarn", "k8s"):
        return []
    return [
        Problem(
            f"sources.{name}.uri", f"local file {src.uri!r} with master {master}: executors read "
            f"{src.resolved_format} sources themselves and cannot see the driver's disk",
        )
        for name, src in sources.items()
        if not is_remote(src.uri) and src.resolved_format not in DRIVER_PARSED
    ]


def _check_local_tables(settings: Settings, spec: PipelineSpec) -> None:
    """An ``s3://`` workspace with tables needs an S3 filesystem in Spark, which local Spark lacks.

    Without one, Hive fails at the first publish with ``No FileSystem for scheme "s3"`` (after
    the sources were read and cleaned), and leaves ``metastore_db/`` and ``derby.log`` in the
    current folder. ``lake.spark_s3: always`` says this Spark has one (hadoop-aws, EMRFS).
    """
    raw = settings.workspace
    if not is_remote(raw) or settings.lake.spark_s3 == "always":
        return
    tables = [*spec.tables, *(name for name, score in spec.scores.items() if score.output is None)]
    if not tables:
        return
    raise ConfigError(
        f"an {raw.split('://')[0]}:// workspace cannot hold Hive tables with master {settings.spark.master}",
        problems=[Problem(
            "workspace", f"{raw!r}: local Spark has no S3 filesystem for the Hive warehouse, so publishing "
            f"{', '.join(tables)} would fail; sources and models could use S3, tables cannot",
            file="settings",
        )],  # fmt: skip
        hint="use a local workspace here (--workspace ./sparkwing-home) and s3:// on EMR/YARN; if this "
        "Spark has hadoop-aws or EMRFS for s3://, set lake.spark_s3: always",
    )
