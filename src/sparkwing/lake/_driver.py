"""Formats parsed on the driver in plain Python (ARFF, SVMLight): small by nature, exact errors.

Each file is read whole (through boto3 for S3), parsed line by line; good rows become a Spark
DataFrame via Arrow, bad lines become quarantine records with their line number and reason.

>>> svmlight_names(3, zero_based=False, prefix="f")
['f1', 'f2', 'f3']
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sparkwing.config import S3Settings, SourceSpec
from sparkwing.errors import SourceError
from sparkwing.lake._arff import ArffHeader, ArffRowError, parse_arff_header, parse_arff_row
from sparkwing.lake._svmlight import parse_svmlight_line
from sparkwing.lake._uri import SourceFile, read_all

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

_DETAIL = re.compile(r"\s*\(.*\)$")


@dataclass
class Parsed:
    df: DataFrame
    bad: list[dict[str, Any]] = field(default_factory=list)

    @property
    def reasons(self) -> dict[str, int]:
        # "age: not a number (got 'x')" counts under "age: not a number".
        return dict(Counter(_DETAIL.sub("", r["reason"]) for r in self.bad))


def _text(file: SourceFile, spec: SourceSpec, s3: S3Settings) -> str:
    data = read_all(file, s3)
    if b"\x00" in data[:8192]:
        raise SourceError(f"{file.uri}: looks like a binary file, not {spec.resolved_format}")
    try:
        return data.decode(spec.encoding, errors="replace")
    except LookupError:
        raise SourceError(f"{file.uri}: unknown encoding {spec.encoding!r}") from None


def _bad(source: str, file: SourceFile, line: int, reason: str, raw: str) -> dict[str, Any]:
    return {"source": source, "file": file.uri, "line": line, "reason": reason, "raw": raw[:10_000]}


def _frame(spark: SparkSession, columns: dict[str, list[Any]], ddl: dict[str, str]) -> DataFrame:
    import pandas as pd
    from pyspark.sql import types as T

    schema = T.StructType([T.StructField(n, T._parse_datatype_string(t)) for n, t in ddl.items()])
    pdf = pd.DataFrame({n: pd.Series(v, dtype="object") for n, v in columns.items()})
    key = "spark.sql.execution.arrow.pyspark.enabled"
    before = spark.conf.get(key, "false") or "false"
    spark.conf.set(key, "true")  # Arrow makes wide frames (126 SVMLight features) fast
    try:
        return spark.createDataFrame(pdf, schema)
    finally:
        spark.conf.set(key, before)


def read_arff(
    spark: SparkSession, name: str, spec: SourceSpec, files: list[SourceFile], s3: S3Settings
) -> Parsed:
    """ARFF files (one header each; all must declare the same attributes)."""
    header: ArffHeader | None = None
    rows: list[list[object]] = []
    bad: list[dict[str, Any]] = []
    for file in files:
        lines = _text(file, spec, s3).splitlines()
        try:
            this = parse_arff_header(lines)
        except SourceError as exc:
            raise SourceError(
                f"source {name!r}: {file.uri}: {exc.message}", source=name, hint=exc.hint
            ) from None
        if header is not None and this.attributes != header.attributes:
            raise SourceError(f"source {name!r}: {file.uri} declares other attributes than {files[0].uri}")
        header = this
        for lineno in range(this.data_line, len(lines)):
            try:
                row = parse_arff_row(lines[lineno], this)
            except ArffRowError as exc:
                bad.append(_bad(name, file, lineno + 1, str(exc), lines[lineno]))
                continue
            if row is not None:
                rows.append(row)
    assert header is not None
    attrs = header.attributes
    columns = {a.name: [r[i] for r in rows] for i, a in enumerate(attrs)}
    df = _frame(spark, columns, {a.name: a.spark_type for a in attrs})
    for a in attrs:
        if a.kind == "nominal":  # keep the domain: H2O and model cards use the level order
            df = df.withMetadata(a.name, {"sparkwing": {"nominal": list(a.domain)}})
    return Parsed(df, bad)


def svmlight_names(width: int, *, zero_based: bool, prefix: str) -> list[str]:
    start = 0 if zero_based else 1
    return [f"{prefix}{i}" for i in range(start, start + width)]


def read_svmlight(
    spark: SparkSession, name: str, spec: SourceSpec, files: list[SourceFile], s3: S3Settings
) -> Parsed:
    """SVMLight/LibSVM files as ``label, f1..fn`` (absent features are 0.0)."""
    parsed: list[tuple[float, dict[int, float]]] = []
    bad: list[dict[str, Any]] = []
    for file in files:
        for lineno, line in enumerate(_text(file, spec, s3).splitlines(), 1):
            try:
                row = parse_svmlight_line(line)
            except ValueError as exc:
                bad.append(_bad(name, file, lineno, str(exc), line))
                continue
            if row is not None:
                parsed.append(row)
    indices = [i for _, feats in parsed for i in feats]
    zero_based = bool(indices) and min(indices) == 0
    start = 0 if zero_based else 1
    width = spec.n_features or (max(indices) - start + 1 if indices else 0)
    if spec.n_features:
        keep = []
        for label, feats in parsed:
            over = [i for i in feats if i >= start + width]
            if over:
                raw = " ".join([f"{label:g}"] + [f"{i}:{v:g}" for i, v in feats.items()])
                reason = f"feature index beyond n_features (got {over[0]} > {start + width - 1})"
                bad.append(_bad(name, files[0], 0, reason, raw))
            else:
                keep.append((label, feats))
        parsed = keep
    names = svmlight_names(width, zero_based=zero_based, prefix=spec.feature_prefix)
    if spec.label_column in names:
        raise SourceError(f"source {name!r}: label column {spec.label_column!r} clashes with a feature name")
    columns: dict[str, list[Any]] = {spec.label_column: [lab for lab, _ in parsed]}
    for k, col in enumerate(names):
        idx = start + k
        columns[col] = [feats.get(idx, 0.0) for _, feats in parsed]
    return Parsed(_frame(spark, columns, dict.fromkeys(columns, "double")), bad)
