"""Score a local CSV or Parquet file with a MOJO in pure Python (``sparkwing.mojo``; no JVM).

Streams in batches, so memory stays bounded; reads cells as Spark's ``predict`` reader does
(an empty cell or ``NA`` is missing) and writes the same columns as the Spark path.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from sparkwing.config import DriftSpec
from sparkwing.errors import ScoringError, SourceError
from sparkwing.mojo import MojoModel, RowWarning, class_column
from sparkwing.monitor import ProfileCounts, compare, count_columns, domains_of
from sparkwing.registry import ModelCard
from sparkwing.score._report import InputReport

BATCH = 20_000
MISSING = ("", "NA")  # cells read as missing (Spark's predict reader: nullValue="NA", empty)


def is_parquet(path: Path) -> bool:
    return path.suffix.lower() in (".parquet", ".pq")


def score_file_local(
    model: MojoModel,
    src: Path,
    dst: Path,
    *,
    keep: Sequence[str] = (),
    tags: dict[str, Any] | None = None,
    strict_label: str | None = None,
    card: ModelCard | None = None,
    drift_label: str | None = None,
) -> InputReport:
    """Score ``src`` into ``dst`` (CSV, or Parquet by extension): ``keep`` columns, the model's
    outputs (``predict``, ``p0``, ``p1``, ...), then ``tags`` (e.g. model_name, model_version).

    With ``strict_label`` (the model's name for the message) any missing feature, unseen level
    or unparseable value is a ``ScoringError`` and nothing is written.  With a ``card`` that has
    a profile, the report's ``drift`` compares the input (and the predictions) with it.
    """
    if not src.is_file():
        raise SourceError(f"input not found: {src}", source=str(src), hint="give a CSV or Parquet file")
    header, batches = _read(src)
    absent = [c for c in keep if c not in header]
    if absent:
        raise ScoringError(f"--keep: the input has no column(s) {', '.join(absent)}",
                           hint=f"its columns: {', '.join(header)}")
    features = model.info.feature_names
    report = InputReport(missing_features=[f for f in features if f not in header])
    tags = tags or {}
    names = [*keep, *model.info.output_names, *tags]
    clash = [n for n in [*model.info.output_names, *tags] if n in keep]
    if clash:
        raise ScoringError(f"--keep names column(s) {clash} that scoring adds", hint="rename them")
    tmp = dst.with_name(f".{dst.name}.tmp")
    dst.parent.mkdir(parents=True, exist_ok=True)
    writer = _ParquetOut(tmp, names) if is_parquet(dst) else _CsvOut(tmp, names)
    profile = card.profile if card is not None else None
    counts = ProfileCounts.empty(profile) if profile is not None else None
    domains = domains_of(card.features) if card is not None else {}
    predicted = _prediction_output(card, model) if card is not None else None
    try:
        for records in batches:
            warnings: list[RowWarning] = []
            frame = model.predict(records, warnings=warnings)
            _count(report, warnings, records)
            report.rows += len(records)
            columns: dict[str, list[Any]] = {k: [r.get(k) for r in records] for k in keep}
            for name in model.info.output_names:
                columns[name] = frame[name].tolist()
            for name, value in tags.items():
                columns[name] = [value] * len(records)
            writer.write(columns, len(records))
            if counts is not None and profile is not None:
                counts.add(count_columns(
                    profile, {f.name: [r.get(f.name) for r in records] for f in profile.features},
                    len(records),
                    predictions=frame[predicted].tolist() if predicted else None, domains=domains,
                ))
        writer.close()
        if counts is not None and profile is not None:
            report.drift = compare(profile, counts, DriftSpec(), model=drift_label or str(card and card.name),
                                   source=str(src))
        if strict_label is not None:
            report.raise_if_dirty(strict_label)
        os.replace(tmp, dst)
    finally:
        writer.close()
        tmp.unlink(missing_ok=True)
    return report


def _prediction_output(card: ModelCard, model: MojoModel) -> str | None:
    """The output the profile's prediction summary is about: the second class's probability
    (binary), else the prediction itself."""
    names = list(model.info.output_names)
    binary = card.task == "binary" and card.classes and len(card.classes) == 2
    want = class_column(str(card.classes[1])) if binary and card.classes else "predict"
    return want if want in names else None


def _count(report: InputReport, warnings: list[RowWarning], records: list[dict[str, Any]]) -> None:
    for w in warnings:
        # mojo's RowWarning: "unknown level '...'" for a categorical; otherwise a numeric value
        # that is not a number ("not a number: ...", "unsupported type ...").
        counts = report.unseen_levels if w.message.startswith("unknown level") else report.unparseable
        counts[w.column] = counts.get(w.column, 0) + 1
        report.add_example(w.column, records[w.row].get(w.column))


def _read(src: Path) -> tuple[list[str], Iterator[list[dict[str, Any]]]]:
    if is_parquet(src):
        return _read_parquet(src)
    return _read_csv(src)


def _read_csv(src: Path) -> tuple[list[str], Iterator[list[dict[str, Any]]]]:
    fh = src.open(newline="", encoding="utf-8")
    reader = csv.reader(fh)
    header = next(reader, None)
    if header is None:
        fh.close()
        raise SourceError(f"input CSV is empty: {src}", source=str(src),
                          hint="the first line must name the columns")

    def batches() -> Iterator[list[dict[str, Any]]]:
        with fh:
            batch: list[dict[str, Any]] = []
            for line_no, cells in enumerate(reader, 2):
                if len(cells) != len(header):
                    raise SourceError(f"{src}:{line_no}: {len(cells)} cells, the header has {len(header)}",
                                      source=str(src), hint="is it a CSV with a header row?")
                batch.append({h: c for h, c in zip(header, cells, strict=True) if c not in MISSING})
                if len(batch) >= BATCH:
                    yield batch
                    batch = []
            if batch:
                yield batch

    return header, batches()


def _read_parquet(src: Path) -> tuple[list[str], Iterator[list[dict[str, Any]]]]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(src)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a bad file
        raise SourceError(f"cannot read Parquet {src}: {exc}", source=str(src)) from None
    header = list(pf.schema_arrow.names)

    def batches() -> Iterator[list[dict[str, Any]]]:
        for batch in pf.iter_batches(batch_size=BATCH):
            yield batch.to_pylist()

    return header, batches()


class _CsvOut:
    def __init__(self, path: Path, names: list[str]) -> None:
        self._fh = path.open("w", newline="", encoding="utf-8")
        self._csv = csv.writer(self._fh)
        self._csv.writerow(names)
        self._names = names

    def write(self, columns: dict[str, list[Any]], n: int) -> None:
        cols = [columns[k] for k in self._names]
        for i in range(n):
            self._csv.writerow([_cell(c[i]) for c in cols])

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()


class _ParquetOut:
    def __init__(self, path: Path, names: list[str]) -> None:
        self._path, self._names = path, names
        self._writer: Any = None
        self._closed = False

    def write(self, columns: dict[str, list[Any]], n: int) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.table({k: columns[k] for k in self._names})
        if self._writer is None:
            self._writer = pq.ParquetWriter(self._path, table.schema)
        self._writer.write_table(table.cast(self._writer.schema))

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._writer is not None:
            self._writer.close()
        else:  # no rows: an empty file with the column names
            import pyarrow as pa
            import pyarrow.parquet as pq

            pq.write_table(pa.table({k: pa.array([], pa.string()) for k in self._names}), self._path)


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return "" if v != v else repr(v)
    return str(v)
