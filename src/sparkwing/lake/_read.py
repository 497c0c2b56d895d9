"""Read a source into Spark: resolve the URI, parse, quarantine bad rows, fingerprint.

Passes over the data for CSV/TSV (the hot path), with at most one non-empty null marker:

1. Spark's ``inferSchema`` pass for the undeclared columns (skipped when ``columns`` declares
   them all) -- the same pass a hand-written ``inferSchema=True`` job pays.
2. Spark parses the files with those types (PERMISSIVE, corrupt-record column) into a
   MEMORY_AND_DISK cache; one aggregate over it counts rows and malformed rows.  A value that
   does not parse to its type makes its row malformed; only those rows are re-split to name
   the failing column.
3. Only when rows were quarantined: a group-by for the reasons and a write of the bad rows,
   both over the filtered cache.

The header comes from Python (first MiB of the first file).  With several null markers
(Spark's parser honours one) every column is read as a string and types are inferred by one
aggregate over the cache instead (slower).  The returned ``df`` is typed and derived from the
cache, so later steps do not re-read the files; call :meth:`SourceResult.release` when done.
JSON lines add Spark's schema inference pass; Parquet/ORC without declared ``columns`` are
neither cached nor scanned (footer counts).  ARFF and SVMLight are parsed on the driver.

>>> ctx = SourceContext(settings, workspace, "loans", run_id, Path("."))   # doctest: +SKIP
>>> read_source(spark, "loans_raw", SourceSpec(uri="data/loan.csv"), ctx).rows_accepted  # doctest: +SKIP
999
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sparkwing.config import DRIVER_PARSED, Settings, SourceSpec
from sparkwing.errors import SourceError, SparkwingError
from sparkwing.lake._delimited import (
    delimiter_for,
    header_names,
    read_csv_strings,
    read_csv_typed,
    single_null_marker,
)
from sparkwing.lake._driver import read_arff, read_svmlight
from sparkwing.lake._fingerprint import fingerprint_files
from sparkwing.lake._quarantine import BAD, FILE, Settled, check_share, records_json, settle, sql_type
from sparkwing.lake._uri import (
    SourceFile,
    configure_s3a,
    list_files,
    read_head,
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
    qdir = ctx.workspace.quarantine(ctx.pipeline, ctx.run_id, name)
    try:
        settled, driver_bad = _parse(spark, name, spec, fmt, files, ctx)
    except SparkwingError:
        raise
    except Exception as exc:  # py4j/Spark errors share no base class; interrupts pass through
        raise SourceError(
            f"source {name!r}: cannot read {uri} as {fmt}: {_first_line(exc)}", source=name,
            hint="check the format and the file",
        ) from exc
    rows_read = settled.rows_read + len(driver_bad)
    rows_bad = settled.rows_quarantined + len(driver_bad)
    quarantine_uri = None
    try:
        if rows_bad:
            quarantine_uri = qdir
            if settled.bad is not None:
                write_frame(settled.bad.coalesce(1), qdir, "json", ctx.settings)
            if driver_bad:
                ctx.workspace.storage.write_atomic(qdir + "/driver-00000.json", records_json(driver_bad))
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
        reasons=settled.reasons, _cached=settled.cached,
    )  # fmt: skip


def _parse(
    spark: SparkSession, name: str, spec: SourceSpec, fmt: str, files: list[SourceFile], ctx: SourceContext
) -> tuple[Settled, list[dict[str, Any]]]:
    s3 = ctx.settings.s3
    declared = {c: sql_type(t, source=name, column=c) for c, t in (spec.columns or {}).items()}
    if fmt in DRIVER_PARSED:
        reader = read_arff if fmt == "arff" else read_svmlight
        parsed = reader(spark, name, spec, files, s3)
        _check_declared(name, declared, parsed.df.columns)
        settled = settle(parsed.df, source=name, declared=declared, infer=[], raw_as="json")
        for k, v in parsed.reasons.items():
            settled.reasons[k] = settled.reasons.get(k, 0) + v
        return settled, parsed.bad
    paths = _spark_paths(spark, name, files, ctx)
    if fmt in ("csv", "tsv"):
        delimiter = delimiter_for(spec, fmt)
        names = _csv_names(name, spec, files[0], delimiter, s3)
        _check_declared(name, declared, names)
        file_uri = files[0].uri if len(files) == 1 else None
        if single_null_marker(spec) is not None:  # Spark's own typed parser: the fast path
            df, detail = read_csv_typed(spark, paths, names, spec, delimiter, declared, file_uri)
            return settle(df, source=name, declared={}, infer=[], delimiter=delimiter, bad_detail=detail), []
        df = read_csv_strings(spark, paths, names, spec, delimiter, file_uri)
        infer = [c for c in names if c not in declared]
        return settle(df, source=name, declared=declared, infer=infer, delimiter=delimiter), []
    if fmt == "json":
        from pyspark.sql import functions as F

        reader = spark.read.options(mode="PERMISSIVE", columnNameOfCorruptRecord=BAD, encoding=spec.encoding)
        df = reader.json(paths)
        _check_declared(name, declared, df.columns)
        df = df.withColumn(FILE, F.input_file_name())
        return settle(df, source=name, declared=declared, infer=[], raw_as="json"), []
    df = spark.read.format(fmt).load(paths)  # parquet, orc
    _check_declared(name, declared, df.columns)
    if not declared:  # typed formats: nothing to quarantine, footers give the count
        return Settled(df, df, df.count(), 0), []
    return settle(df, source=name, declared=declared, infer=[], raw_as="json"), []


def _csv_names(name: str, spec: SourceSpec, first: SourceFile, delimiter: str, s3: Any) -> list[str]:
    head = read_head(first, s3)
    names = header_names(head, delimiter=delimiter, quote=spec.quote, encoding=spec.encoding, where=first.uri)
    if spec.header:
        return names
    if spec.columns:  # no header: the declared columns name the fields, in order
        return list(spec.columns)
    return [f"_c{i}" for i in range(len(names))]


def _check_declared(name: str, declared: dict[str, str], columns: list[str]) -> None:
    missing = [c for c in declared if c not in columns]
    if missing:
        raise SourceError(
            f"source {name!r}: declared column(s) {', '.join(missing)} not in the data "
            f"(found: {', '.join(c for c in columns if not c.startswith('_sw_'))[:300]})",
            source=name,
            hint="fix 'columns' or the header",
        )


def _spark_paths(spark: SparkSession, name: str, files: list[SourceFile], ctx: SourceContext) -> list[str]:
    """Paths Spark can open: local files as they are; S3 objects directly or via staging."""
    if not is_remote(files[0].uri):
        return [f.uri for f in files]
    scheme = spark_s3_scheme(spark, ctx.settings)
    if scheme is not None:
        configure_s3a(spark, ctx.settings.s3)
        return [with_scheme(f.uri, scheme) for f in files]
    staging = ctx.workspace.staging(ctx.pipeline, ctx.run_id, f"sources/{name}")
    return [f.uri for f in stage_files(files, staging, ctx.settings.s3)]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("Traceback", "at ", "py4j")):
            return line[:300]
    return type(exc).__name__
