"""What the pages show, read from the workspace's plain files: never Spark, never a lock.

Run records, the registry and table histories are read through their own packages' typed
readers.  A name taken from a URL is looked up in the listing of its parent folder before any
path is built from it, so ``..``, encoded slashes or names that were never written find nothing.
Quarantine files are only ever read from their head (``sample_bytes``), and downloads stream.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sparkwing._types import is_loopback_url
from sparkwing.config import check_name, is_name
from sparkwing.errors import SparkwingError, first_line
from sparkwing.pipeline import FlowLink, RunRecord, RunStore
from sparkwing.registry import ModelVersion, Registry
from sparkwing.ui._config import UiConfig
from sparkwing.warehouse import History, TableName, load_history, table_histories
from sparkwing.workspace import Workspace, is_remote, s3_client, split_s3


class NotFound(LookupError):
    """The page names something the workspace does not have (a 404)."""


@dataclass(frozen=True)
class NextRun:
    """When the scheduler runs a pipeline next (``at`` None: on data arrival only)."""

    at: datetime | None
    trigger: str  # "cron '0 2 * * *' Europe/Paris", "on data s3://..."
    scheduler_running: bool


#: The schedule hook: a pipeline's next run, or None when no scheduler has it (``sparkwing ui``
#: passes one reading the scheduler's state and the spec's ``schedule:``; the ui package itself
#: cannot import the scheduler, a sibling edge).
NextRunOf = Callable[[str], "NextRun | None"]


@dataclass
class PipelineSummary:
    name: str
    runs: list[RunRecord]  # newest first, at most ``recent_runs``
    next_run: NextRun | None = None

    @property
    def last(self) -> RunRecord | None:
        return self.runs[0] if self.runs else None


@dataclass(frozen=True)
class QuarantineLine:
    """One sampled quarantined row: where it came from, why, and its raw text (maybe cut)."""

    file: str
    line: int | None
    reason: str
    raw: str
    cut: bool = False


@dataclass
class QuarantineFile:
    name: str
    size: int | None


@dataclass
class QuarantineView:
    """A source's quarantine in one run: the counts from the record and a sample of the files."""

    source: str
    rows: int
    reasons: dict[str, int]
    files: list[QuarantineFile] = field(default_factory=list)
    sample: list[QuarantineLine] = field(default_factory=list)
    sampled_bytes: int = 0


@dataclass(frozen=True)
class Preview:
    """The first rows of a table's current version (DuckDB over its Parquet files), or why not."""

    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    more: bool = False
    error: str | None = None


@dataclass(frozen=True)
class SparkLinks:
    """Where to look at a run's Spark application (History Server URL if one is configured)."""

    app_id: str
    events: str | None
    history_url: str | None


@dataclass
class ModelSummary:
    name: str
    versions: list[ModelVersion]  # oldest first
    aliases: dict[str, int]

    @property
    def latest(self) -> ModelVersion:
        return self.versions[-1]


class WorkspaceView:
    """Read-only access to one workspace for the UI's pages."""

    def __init__(self, workspace: Workspace, config: UiConfig, next_run: NextRunOf | None = None) -> None:
        self.workspace = workspace
        self.next_run = next_run
        self.config = config
        self.storage = workspace.storage
        self.runs_store = RunStore(workspace)
        self.registry = Registry(workspace)

    # --- pipelines and runs ----------------------------------------------------------------

    def pipelines(self) -> list[PipelineSummary]:
        names = [p for p in self.storage.list(self.workspace.runs())
                 if not p.endswith(".json") and is_name(p, "segment")]
        return [PipelineSummary(p, self.recent_runs(p), self._next(p)) for p in names]

    def _next(self, pipeline: str) -> NextRun | None:
        if self.next_run is None:
            return None
        try:
            return self.next_run(pipeline)
        except (SparkwingError, OSError, ValueError):
            return None  # a spec moved or broken since it was scheduled: no next run to show

    def recent_runs(self, pipeline: str, limit: int | None = None) -> list[RunRecord]:
        """The newest runs of ``pipeline`` (run ids start with their UTC start time)."""
        check_name(pipeline, "segment", what="pipeline name")
        self._member(self.workspace.runs(), pipeline, "pipeline")
        limit = limit or self.config.recent_runs
        ids = sorted((r for r in self.storage.list(self.workspace.runs(pipeline))
                      if not r.endswith(".json") and is_name(r, "segment")), reverse=True)  # fmt: skip
        out: list[RunRecord] = []
        for run_id in ids:
            if len(out) >= limit:
                break
            try:
                out.append(self.runs_store.load(pipeline, run_id))
            except (SparkwingError, ValueError):
                continue  # a run folder without a readable record (yet): not a run to show
        out.sort(key=lambda r: r.started, reverse=True)
        return out

    def run(self, pipeline: str, run_id: str) -> RunRecord:
        # What a run folder may be called (one path segment), not the spec's stricter grammar:
        # the UI shows a workspace some other tool may have written too.
        check_name(pipeline, "segment", what="pipeline name")
        check_name(run_id, "segment", what="run id")
        self._member(self.workspace.runs(), pipeline, "pipeline")
        self._member(self.workspace.runs(pipeline), run_id, "run")
        try:
            return self.runs_store.load(pipeline, run_id)
        except (SparkwingError, ValueError) as exc:
            raise NotFound(f"run {run_id} of {pipeline} has no readable record") from exc

    def spark_links(self, record: RunRecord) -> SparkLinks | None:
        """The run's Spark application: its id, event log, and its page on the History Server."""
        if not record.spark_app_id:
            return None
        base = self.config.spark_history
        url = f"{base.rstrip('/')}/history/{quote(record.spark_app_id, safe='')}/jobs/" if base else None
        return SparkLinks(record.spark_app_id, record.spark_events, url)

    def flow_links(self, record: RunRecord) -> dict[str, FlowLink]:
        """Per running step of a running run: its H2O Flow link (``h2o.flow``), loopback URLs only.

        A finished step's cloud is gone (or going): no link, whatever an older record holds.
        """
        if record.status != "running":
            return {}
        return {name: step.h2o_flow for name, step in record.steps.items()
                if step.status == "running" and step.h2o_flow is not None
                and step.h2o_flow.url.startswith("http") and is_loopback_url(step.h2o_flow.url)}

    def quarantine(self, record: RunRecord) -> list[QuarantineView]:
        """Per source step with quarantined rows: counts, reasons and a bounded sample."""
        out = []
        base = self.workspace.quarantine(record.pipeline, record.run_id, "")
        present = set(self.storage.list(base))
        for step in record.steps.values():
            reasons = getattr(step.details, "quarantine_reasons", {}) or {}
            if step.kind != "sources" or not (step.rows_quarantined or reasons):
                continue
            view = QuarantineView(step.name, step.rows_quarantined or 0, dict(reasons))
            if step.name in present:
                self._sample_into(view, f"{base.rstrip('/')}/{step.name}")
            out.append(view)
        return out

    def quarantine_file(self, pipeline: str, run_id: str, source: str, name: str) -> str:
        """The URI of one quarantine file, each part looked up in its parent's listing."""
        check_name(source, "segment", what="source name")
        check_name(name, "segment", what="file name")
        self.run(pipeline, run_id)
        base = self.workspace.quarantine(pipeline, run_id, "").rstrip("/")
        self._member(base, source, "quarantine")
        folder = f"{base}/{source}"
        if name not in [f.name for f in self._quarantine_files(folder)]:
            raise NotFound(f"no quarantine file {name!r}")
        return f"{folder}/{name}"

    def _quarantine_files(self, folder: str) -> list[QuarantineFile]:
        names = [n for n in self.storage.list(folder) if not n.startswith("_") and not n.endswith(".crc")]
        return [QuarantineFile(n, self.size(f"{folder}/{n}")) for n in names]

    def _sample_into(self, view: QuarantineView, folder: str) -> None:
        view.files = self._quarantine_files(folder)
        budget = self.config.sample_bytes
        for f in view.files:
            want = self.config.sample_lines - len(view.sample)
            if want <= 0 or budget <= 0:
                break
            try:
                lines, used = self._head_lines(f"{folder}/{f.name}", f.size, want, budget)
            except OSError:  # a folder or an unreadable file among the parts: nothing to sample
                continue
            budget -= used
            view.sampled_bytes += used
            view.sample.extend(self._quarantine_line(f.name, raw) for raw in lines[:want])

    def _head_lines(self, uri: str, size: int | None, want: int, budget: int) -> tuple[list[bytes], int]:
        """The first whole, non-blank lines of a file, reading a growing head up to ``budget`` bytes."""
        chunk = min(16 * 1024, budget)
        while True:
            head = self.read_head(uri, chunk)
            pieces = head.split(b"\n")
            if size is None or len(head) < size:
                pieces = pieces[:-1]  # the last piece may be a line cut by the byte limit
            lines = [p for p in pieces if p.strip()]
            if len(lines) >= want or len(head) < chunk or chunk >= budget:
                return lines, len(head)
            chunk = min(chunk * 4, budget)

    def _quarantine_line(self, file: str, raw: bytes) -> QuarantineLine:
        text = raw.decode("utf-8", errors="replace")
        try:
            row = json.loads(text)
        except ValueError:
            row = None
        if isinstance(row, dict):
            line = row.get("line")
            raw_text = str(row.get("raw", ""))
            origin = str(row.get("file") or file)
            reason = str(row.get("reason", ""))
            number = line if isinstance(line, int) else None
            return self._cut(QuarantineLine(origin, number, reason, raw_text))
        return self._cut(QuarantineLine(file, None, "(not a JSON record)", text))

    def _cut(self, q: QuarantineLine) -> QuarantineLine:
        n = self.config.max_raw_chars
        if len(q.raw) <= n:
            return q
        return QuarantineLine(q.file, q.line, q.reason, q.raw[:n], cut=True)

    # --- tables ----------------------------------------------------------------------------

    def tables(self) -> list[History]:
        return table_histories(self.workspace)

    def table(self, db: str, table: str) -> History:
        check_name(db, "database")
        check_name(table, "table")
        self._member(self.workspace.warehouse, f"{db}.db", "database")
        self._member(self.workspace.join("warehouse", f"{db}.db"), table, "table")
        try:
            name = TableName.parse(f"{db}.{table}")
        except SparkwingError as exc:
            raise NotFound(f"no table {db}.{table}") from exc
        return load_history(self.workspace, name)

    def preview(self, history: History) -> Preview:
        """The first ``preview_rows`` rows of the current version through ``sparkwing sql``'s
        read-only DuckDB path (no Spark, no metastore); each cell cut at ``max_raw_chars``."""
        import duckdb

        from sparkwing.warehouse import duckdb_sql

        if not history.current or self.config.preview_rows == 0:
            return Preview()
        db, _, table = history.table.partition(".")
        query = f'SELECT * FROM "{db}"."{table}"'  # both checked names: no quote inside
        try:
            got = duckdb_sql(self.workspace, query, limit=self.config.preview_rows)
        except SparkwingError as exc:
            return Preview(error=exc.one_line())
        except duckdb.Error as exc:  # files it cannot read as the history says (a view not created)
            return Preview(error=first_line(exc))
        n = self.config.max_raw_chars
        cells = [["" if v is None else str(v)[:n] for v in row] for row in got.rows]
        return Preview(got.columns, cells, got.more)

    # --- models ----------------------------------------------------------------------------

    def models(self) -> list[ModelSummary]:
        return [self.model(n) for n in self.registry.models()]

    def model(self, name: str) -> ModelSummary:
        check_name(name, "model")
        if name not in self.registry.models():
            raise NotFound(f"no model {name!r}")
        return ModelSummary(name, self.registry.versions(name), self.registry.aliases(name))

    def alias_log(self, name: str) -> list[dict[str, object]]:
        return self.registry.alias_log(name)

    def version(self, name: str, version: str) -> ModelVersion:
        check_name(version, "version")
        summary = self.model(name)
        found = next((v for v in summary.versions if str(v.version) == version), None)
        if found is None:
            raise NotFound(f"model {name!r} has no version {version!r}")
        return found

    def artifact(self, name: str, version: str, artifact: str) -> str:
        for part in artifact.split("/"):  # pojo/Model.java: each part one segment
            check_name(part, "segment")
        mv = self.version(name, version)
        if artifact not in mv.artifacts:
            raise NotFound(f"{mv.ref} has no artifact {artifact!r}")
        return f"{mv.uri}/{artifact}"

    # --- bounded file access -----------------------------------------------------------------

    def _member(self, parent: str, name: str, what: str) -> None:
        if not name or name not in self.storage.list(parent):
            raise NotFound(f"no {what} {name!r}")

    def size(self, uri: str) -> int | None:
        if is_remote(uri):
            bucket, key = split_s3(uri)
            try:
                return int(self._s3.head_object(Bucket=bucket, Key=key)["ContentLength"])
            except Exception:  # noqa: BLE001 - a size is a nicety; botocore raises several types
                return None
        try:
            return os.stat(uri).st_size
        except OSError:
            return None

    def read_head(self, uri: str, limit: int) -> bytes:
        """At most ``limit`` bytes from the start of a file (an S3 range request on S3)."""
        if is_remote(uri):
            bucket, key = split_s3(uri)
            got = self._s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{limit - 1}")
            return bytes(got["Body"].read(limit))
        with open(uri, "rb") as fh:
            return fh.read(limit)

    def stream(self, uri: str, chunk: int = 1 << 16) -> Iterator[bytes]:
        """A file's bytes in chunks (a download never holds the whole file)."""
        if is_remote(uri):
            bucket, key = split_s3(uri)
            body = self._s3.get_object(Bucket=bucket, Key=key)["Body"]
            yield from body.iter_chunks(chunk)
            return
        with open(Path(uri), "rb") as fh:
            while data := fh.read(chunk):
                yield data

    @property
    def _s3(self) -> Any:
        if not hasattr(self, "_client"):
            self._client = s3_client(self.workspace.s3)
        return self._client
