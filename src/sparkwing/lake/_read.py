"""Read a source into Spark: resolve the URI, parse, quarantine bad rows, fingerprint.

Passes over the data for CSV/TSV (the hot path; see :mod:`sparkwing.lake._delimited`):

0. Pass 1 on the executors (Python, ~64 MiB splits): line breaks, quote parity and whether
   each file is line-exact for Spark's parser (cheap: byte counts, vectorised).
1. Fast path (line-exact files, at most one non-empty null marker): Spark's ``inferSchema``
   pass for the undeclared columns -- the same pass a hand-written ``inferSchema=True`` job
   pays -- then Spark parses the files with those types (PERMISSIVE, corrupt-record column)
   into a MEMORY_AND_DISK cache; one aggregate over it counts rows and malformed rows.  Only
   when rows were rejected: a group-by of the bad rows and one executor pass that finds their
   line numbers by their text.
2. Otherwise (multi-line records, stray quotes, repeated headers, bad bytes, several null
   markers): pass 1b (executors, Arrow) tries to prove that the record reader would accept
   every record of an LF-only file, and finds its types by the record reader's rules; then
   Spark's ``multiLine`` parser reads it lazily (``FAILFAST``, no cache, no count:
   :mod:`sparkwing.lake._csv_multiline`).  Failing that, the record reader parses every split
   on the executors (``mapInArrow``) into strings with line numbers; one aggregate over the
   cache counts and infers types.

The header comes from Python (first MiB of the first file).  The returned ``df`` is typed and
derived from the cache, so later steps do not re-read the files; call
:meth:`SourceResult.release` when done.
Parquet/ORC without declared ``columns`` are neither cached nor scanned (footer counts).
JSON lines, SVMLight and ARFF are parsed on the executors by byte-range splits (see
``_line_formats``): a line-count pass for files larger than one split, a kinds pass for JSON
without ``columns`` (a check pass with them; either rides on the line-count pass) and a survey
pass for SVMLight (width, index base, plain lines), then one parse into the cache and one
aggregate over it -- or, for a file those passes prove clean, a lazy read (Spark's own JSON
reader where the pass proves it reads the values alike, else sparkwing's JSON parse, both
fail-fast; Spark's own libsvm reader), neither cached nor counted.

>>> ctx = SourceContext(settings, workspace, "loans", run_id, Path("."))   # doctest: +SKIP
>>> read_source(spark, "loans_raw", SourceSpec(uri="data/loan.csv"), ctx).rows_accepted  # doctest: +SKIP
999
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sparkwing.config import Settings, SourceSpec
from sparkwing.errors import NoNewData, SourceError, SparkwingError, java_cause
from sparkwing.lake._consumed import Selection, load_ledger, select_new
from sparkwing.lake._delimited import read_csv
from sparkwing.lake._fingerprint import fingerprint_files
from sparkwing.lake._line_formats import FormatNotes, read_arff, read_json, read_svmlight
from sparkwing.lake._quarantine import Settled, check_share, records_json, settle, sql_type
from sparkwing.lake._staging import staging_dir
from sparkwing.lake._svmlight import ZeroBased
from sparkwing.lake._uri import (
    SourceFile,
    configure_s3a,
    list_files,
        resolve_uri,
    spark_s3_scheme,
    stage_files,
    with_scheme,
)
from sparkwing.lake._write import write_frame
from sparkwing.workspace import Workspace, is_remote

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


@dataclass(frozen=True)
class SourceContext:
    """Where a run reads from and writes quarantine/staging to."""

    settings: Settings
    workspace: Workspace  # quarantine and staging live here
    pipeline: str
    run_id: str
    base_dir: Path  # relative source URIs resolve against it (the spec's folder)
    # incremental sources: the files this run picked before (a resume reads the same ones)
    incremental: Selection | None = None


@dataclass
class SourceResult:
    """A read source: accepted rows, counts (``rows_read = rows_accepted + rows_quarantined``)."""

    name: str
    df: DataFrame
    rows_read: int
    rows_accepted: int
    rows_quarantined: int
    quarantine_uri: str | None
    fingerprint: dict[str, Any]
    reasons: dict[str, int]  # reason -> count
    # JSON with declared columns: undeclared keys dropped from the data -> rows holding them
    extra_keys: dict[str, int] = field(default_factory=dict)
    zero_based: ZeroBased | None = None  # SVMLight: the index base and how it was chosen
    incremental: dict[str, Any] | None = None  # incremental sources: the files read (Selection)
    _cached: Any = field(default=None, repr=False, compare=False)

    def release(self) -> None:
        """Drop the cached parse behind ``df`` (after the last step that uses it)."""
        if self._cached is not None:
            self._cached.unpersist()
            self._cached = None


def fingerprint_source(spec: SourceSpec, ctx: SourceContext) -> dict[str, Any]:
    """URI, size, modification time or ETag of a source, without Spark.

    ``fingerprint_source(SourceSpec(uri="data/loan.csv"), ctx)["size_bytes"]``
    """
    uri = resolve_uri(spec.uri, ctx.base_dir)
    return fingerprint_files(uri, spec.resolved_format, _files(uri, spec, ctx, None))


# Compressions a file name may announce that the text readers do not undo (they gunzip ``.gz``).
_OTHER_CODECS = {
    ".bz2": "bzip2", ".xz": "xz", ".zst": "zstd", ".zstd": "zstd", ".lz4": "lz4", ".snappy": "snappy",
    ".deflate": "deflate", ".br": "brotli", ".lzo": "lzo", ".zip": "zip", ".7z": "7z",
}  # fmt: skip


def _check_codecs(name: str, files: list[SourceFile]) -> None:
    """A text file named as compressed by another codec than gzip is a file-level error: read
    as text its bytes would be quarantined line by line, and Spark's own readers (which
    decompress by name) would read other bytes than sparkwing's passes."""
    for f in files:
        low = f.uri.lower()
        for ext, codec in _OTHER_CODECS.items():
            if low.endswith(ext):
                raise SourceError(
                    f"source {name!r}: {f.uri} is named as {codec}-compressed; text sources are read "
                    "plain or gzip-compressed (.gz)",
                    source=name, hint="decompress it, or recompress it with gzip",
                )  # fmt: skip


def _files(uri: str, spec: SourceSpec, ctx: SourceContext, name: str | None) -> list[SourceFile]:
    files = list_files(uri, ctx.settings.s3)
    if not files:
        label = f"source {name!r}: " if name else ""
        raise SourceError(
            f"{label}not found: {uri}",
            source=name,
            hint="check the bucket, key and s3 settings"
            if is_remote(uri)
            else f"check the uri; relative paths resolve against {ctx.base_dir}",
        )
    return files


def read_source(spark: SparkSession, name: str, spec: SourceSpec, ctx: SourceContext) -> SourceResult:
    """Read one source; bad rows go to ``quarantine/<pipeline>/<run_id>/<name>/``.

    Raises :class:`SourceError` when the source is missing or unreadable, or when the
    quarantined share exceeds ``max_quarantine_share``.
    """
    fmt = spec.resolved_format
    uri = resolve_uri(spec.uri, ctx.base_dir)
    files = _files(uri, spec, ctx, name)
    if fmt not in ("parquet", "orc"):
        _check_codecs(name, files)
    selection = None
    if spec.incremental:
        selection = ctx.incremental or select_new(files, load_ledger(ctx.workspace, ctx.pipeline, name))
        if not selection.files:
            raise NoNewData(f"source {name!r}: no new files in {uri} ({selection.already} already consumed)",
                            source=name, hint="a later run reads the files that arrive")
        files = selection.files
    qdir = ctx.workspace.quarantine(ctx.pipeline, ctx.run_id, name)
    try:
        settled, notes = _parse(spark, name, spec, fmt, files, ctx)
    except SparkwingError:
        raise
    except Exception as exc:  # py4j/Spark errors share no base class; interrupts pass through
        raise SourceError(
            f"source {name!r}: cannot read {uri} as {fmt}: {java_cause(exc)}", source=name,
            hint="check the format and the file",
        ) from exc
    rows_read = settled.rows_read
    rows_bad = settled.rows_quarantined
    quarantine_uri = None
    try:
        if rows_bad:
            quarantine_uri = qdir
            if settled.bad is not None:
                bad = settled.bad.drop("_kind").coalesce(1).sortWithinPartitions("file", "line")
                write_frame(bad, qdir, "json", ctx.settings)
            if settled.records:
                data = records_json(settled.records)
                ctx.workspace.storage.write_atomic(qdir + "/records-00000.json", data)
        limit = spec.max_quarantine_share
        if limit is None:
            limit = ctx.settings.lake.max_quarantine_share
        check_share(name, rows_read, rows_bad, limit, qdir)
    except BaseException:
        settled.cached.unpersist()
        raise
    fingerprint = fingerprint_files(uri, fmt, files) | {
        "rows_read": rows_read,
        "rows_accepted": rows_read - rows_bad,
        "rows_quarantined": rows_bad,
    }
    return SourceResult(
        name=name, df=settled.df, rows_read=rows_read, rows_accepted=rows_read - rows_bad,
        rows_quarantined=rows_bad, quarantine_uri=quarantine_uri, fingerprint=fingerprint,
        reasons=settled.reasons, extra_keys=notes.extra_keys, zero_based=notes.zero_based,
        incremental=selection.to_dict() if selection is not None else None, _cached=settled.cached,
    )  # fmt: skip


def _parse(
    spark: SparkSession, name: str, spec: SourceSpec, fmt: str, files: list[SourceFile], ctx: SourceContext
) -> tuple[Settled, FormatNotes]:
    s3 = ctx.settings.s3
    declared = {c: sql_type(t, source=name, column=c) for c, t in spec.column_types.items()}
    if fmt == "json":
        formats = spec.column_formats
        typed = {c: (t, formats.get(c)) for c, t in declared.items()}
        paths = lambda: _spark_paths(spark, name, files, ctx)  # noqa: E731
        return read_json(spark, name, spec, files, s3, typed, spark_paths=paths)
    if fmt in ("arff", "svmlight"):  # "libsvm" is an alias, resolved by the spec
        if fmt == "arff":
            settled, notes = read_arff(spark, name, spec, files, s3)
        else:
            paths = lambda: _spark_paths(spark, name, files, ctx)  # noqa: E731
            settled, notes = read_svmlight(spark, name, spec, files, s3, spark_paths=paths)
        _check_declared(name, declared, settled.df.columns)
        _check_own_types(name, fmt, declared, settled.types)
        return settled, notes
    if fmt in ("csv", "tsv"):
        settled = read_csv(spark, name, spec, fmt, files, s3, lambda: _spark_paths(spark, name, files, ctx))
        return settled, FormatNotes()
    paths = _spark_paths(spark, name, files, ctx)
    df = spark.read.format(fmt).load(paths)  # parquet, orc
    _check_declared(name, declared, df.columns)
    if not declared:  # typed formats: nothing to quarantine, footers give the count
        return Settled(df, df, df.count(), 0), FormatNotes()
    return settle(df, source=name, declared=declared, infer=[], raw_as="json"), FormatNotes()


def _check_declared(name: str, declared: dict[str, str], columns: list[str]) -> None:
    missing = [c for c in declared if c not in columns]
    if missing:
        raise SourceError(
            f"source {name!r}: declared column(s) {', '.join(missing)} not in the data "
            f"(found: {', '.join(c for c in columns if not c.startswith('_sw_'))[:300]})",
            source=name,
            hint="fix 'columns' or the header",
        )


def _check_own_types(name: str, fmt: str, declared: dict[str, str], types: dict[str, str]) -> None:
    """ARFF and SVMLight type their own columns; ``columns`` may restate those types only."""
    wrong = [f"{c} is {types[c]}, declared {t}" for c, t in declared.items() if types.get(c) != t]
    if wrong:
        raise SourceError(
            f"source {name!r}: {fmt} gives its own column types: {'; '.join(wrong)[:300]}",
            source=name,
            hint="drop those entries from 'columns', or cast in a dataset step",
        )


def _spark_paths(spark: SparkSession, name: str, files: list[SourceFile], ctx: SourceContext) -> list[str]:
    """Paths Spark can open: local files as they are; S3 objects directly or via staging."""
    if not is_remote(files[0].uri):
        return [f.uri for f in files]
    scheme = spark_s3_scheme(spark, ctx.settings)
    if scheme is not None:
        configure_s3a(spark, ctx.settings.s3)
        return [with_scheme(f.uri, scheme) for f in files]
    staging = staging_dir(ctx.workspace, ctx.pipeline, ctx.run_id) / "sources" / name
    return [f.uri for f in stage_files(files, str(staging), ctx.settings.s3)]
