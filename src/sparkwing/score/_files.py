"""``sparkwing predict MODEL INPUT -o OUTPUT``: score one CSV or Parquet file."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sparkwing.config import SparkScorer
from sparkwing.errors import ScoringError, SourceError
from sparkwing.registry import ModelVersion
from sparkwing.score._batch import score_batch
from sparkwing.score._drift import batch_drift
from sparkwing.score._report import InputReport

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def predict_file(
    spark: SparkSession,
    version: ModelVersion,
    input_path: str | Path,
    output_path: str | Path,
    *,
    allow_missing: bool = False,
    scorer: SparkScorer = "mojo",
) -> int:
    """Score ``input_path`` (CSV with a header, or Parquet) into one file at ``output_path``.

    The output format follows its extension (``.parquet`` or CSV); returns the row count.

    >>> predict_file(spark, reg.get("loan_default@production"), "new.csv", "scores.csv")  # doctest: +SKIP
    1000
    """
    return score_file_spark(spark, version, Path(input_path), Path(output_path),
                            allow_missing=allow_missing, scorer=scorer).rows


def score_file_spark(
    spark: SparkSession,
    version: ModelVersion,
    src: Path,
    dst: Path,
    *,
    keep: Sequence[str] | None = None,
    allow_missing: bool = False,
    strict: bool = False,
    scorer: SparkScorer = "mojo",
) -> InputReport:
    """Score one file with Spark; the output holds ``keep`` (default: every input column), the
    prediction columns, ``model_name`` and ``model_version``.  ``strict``: refuse any value the
    model cannot use (before writing anything)."""
    if not src.exists():
        raise SourceError(f"input not found: {src}", source=str(src), hint="give a CSV or Parquet file")
    df = _read(spark, src)
    if keep is not None:
        absent = [c for c in keep if c not in df.columns]
        if absent:
            raise ScoringError(f"--keep: the input has no column(s) {', '.join(absent)}",
                               hint=f"its columns: {', '.join(df.columns)}")
    result = score_batch(spark, df, version, allow_missing=allow_missing or strict, scorer=scorer)
    from pyspark import StorageLevel

    scored = result.df.persist(StorageLevel.MEMORY_AND_DISK)  # scored once: for drift, then written
    report = InputReport(rows=result.rows, missing_features=list(result.missing_features),
                         unseen_levels=dict(result.unseen_levels), unparseable=dict(result.unparseable),
                         examples=dict(result.examples))
    try:
        if strict:
            report.raise_if_dirty(version.ref)
        report.drift = batch_drift(scored, version, source=str(src))
        _write_selected(scored, df.columns, dst, keep)
    finally:
        scored.unpersist()
    return report


def _write_selected(out: DataFrame, columns: list[str], dst: Path, keep: Sequence[str] | None) -> None:
    if keep is not None:
        added = [c for c in out.columns if c not in columns]
        out = out.select(*[f"`{c}`" for c in [*keep, *added]])
    _write_one(out, dst)


def _read(spark: SparkSession, path: Path) -> DataFrame:
    if path.suffix.lower() in (".parquet", ".pq") or path.is_dir():
        return spark.read.parquet(str(path.resolve()))
    # Strings stay strings: score_batch casts each feature to its training type.
    return spark.read.csv(str(path.resolve()), header=True, inferSchema=False, nullValue="NA")


def _write_one(df: DataFrame, dst: Path) -> None:
    """Spark writes a folder of parts; collapse it into the single file the user asked for."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".sparkwing-predict-", dir=dst.parent))
    try:
        out = tmp / "out"
        if dst.suffix.lower() in (".parquet", ".pq"):
            df.coalesce(1).write.parquet(str(out))
            parts = sorted(out.glob("part-*.parquet"))
        else:
            df.coalesce(1).write.csv(str(out), header=True)
            parts = sorted(out.glob("part-*.csv"))
        if len(parts) != 1:
            raise ScoringError(f"expected one output part, found {len(parts)}", hint=str(out))
        shutil.move(str(parts[0]), dst)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
