"""The drift log: every batch score's :class:`DriftReport`, one small JSON file each.

Layout: ``<workspace>/drift/<model>/<YYYYmmddTHHMMSSZ>-<microseconds>-<hex>.json`` (names sort
in time order; the same on S3 and locally).  ``sparkwing models drift NAME@REF --since 7d`` reads
it back; only the names newer than ``since`` are opened.
"""

from __future__ import annotations

import datetime as dt
import json

from pydantic import ValidationError

from sparkwing._types import new_run_id, utcnow_iso
from sparkwing.monitor._drift import DriftReport
from sparkwing.workspace import Workspace

_STAMP = "%Y%m%dT%H%M%SZ"


class DriftLog:
    """Drift reports of a workspace's models, oldest first."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def folder(self, model: str) -> str:
        return self.workspace.join("drift", model)

    def append(self, report: DriftReport) -> str:
        """Store ``report`` (stamped now if it has no time); returns where."""
        if report.measured is None:
            report = report.model_copy(update={"measured": utcnow_iso()})
        name = report.model.split("@", 1)[0]
        now = dt.datetime.now(dt.timezone.utc)
        stamp, tail = new_run_id(now).split("-", 1)
        uri = f"{self.folder(name)}/{stamp}-{now.microsecond:06d}-{tail}.json"  # sorts in time order
        self.workspace.storage.write_atomic(uri, report.model_dump_json(indent=1).encode())
        return uri

    def read(self, model: str, *, version: int | None = None,
             since: dt.datetime | None = None) -> list[DriftReport]:
        """Reports of ``model`` (one version, or all), measured at or after ``since``."""
        storage = self.workspace.storage
        folder = self.folder(model)
        cutoff = since.astimezone(dt.timezone.utc).strftime(_STAMP) if since else ""
        out = []
        for entry in sorted(storage.list(folder)):
            if not entry.endswith(".json") or entry[:16] < cutoff:  # new_run_id stamps: 20261126T213600Z
                continue
            try:
                report = DriftReport.model_validate(json.loads(storage.read_bytes(f"{folder}/{entry}")))
            except (ValueError, ValidationError):
                continue  # a torn or foreign file: skip it, never crash the trend
            if version is None or report.model == f"{model}@{version}":
                out.append(report)
        return out
