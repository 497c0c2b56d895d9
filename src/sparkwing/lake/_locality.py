"""Which sources the executors of a cluster can reach: checked before any JVM starts."""

from __future__ import annotations

from collections.abc import Mapping

from sparkwing.config import DRIVER_PARSED, SourceSpec
from sparkwing.engine import cluster_kind
from sparkwing.errors import Problem
from sparkwing.workspace import is_remote


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
