"""The names of data formats: one vocabulary for sources, tables and score outputs.

A source may be written under an alias (``libsvm`` is SVMLight); everything after the spec
sees the canonical name only.

>>> canonical_format("libsvm"), format_for_path("data/loan.csv.gz")
('svmlight', 'csv')
"""

from __future__ import annotations

from typing import Literal, get_args

SourceFormat = Literal["csv", "tsv", "parquet", "orc", "json", "svmlight", "arff"]
"""What the lake reads (canonical names)."""

FormatAlias = Literal["libsvm"]
FORMAT_ALIASES: dict[str, SourceFormat] = {"libsvm": "svmlight"}

SourceFormatName = Literal[SourceFormat, FormatAlias]
"""What a spec may write in ``sources.*.format``: a canonical name or an alias."""

TableFormat = Literal["parquet", "orc"]
"""What a warehouse table is stored as."""

OutputFormat = Literal["parquet", "orc", "csv"]
"""What a score with ``output:`` writes to the lake."""

SOURCE_FORMATS: tuple[SourceFormat, ...] = get_args(SourceFormat)
TABLE_FORMATS: tuple[TableFormat, ...] = get_args(TableFormat)
OUTPUT_FORMATS: tuple[OutputFormat, ...] = get_args(OutputFormat)

DRIVER_PARSED: tuple[SourceFormat, ...] = ("arff", "svmlight")
"""Parsed in Python on the driver, then handed to Spark: a driver-local file is fine."""

EXTENSIONS: dict[str, SourceFormat] = {
    ".csv": "csv", ".tsv": "tsv", ".txt": "csv", ".parquet": "parquet", ".orc": "orc",
    ".json": "json", ".jsonl": "json", ".ndjson": "json", ".svm": "svmlight",
    ".svmlight": "svmlight", ".libsvm": "svmlight", ".arff": "arff",
}  # fmt: skip
"""File extension (after any ``.gz``) to the format it implies."""


def canonical_format(name: str) -> SourceFormat:
    """The canonical name of a source format or alias; ValueError for an unknown one."""
    key = name.strip().lower()
    if key in FORMAT_ALIASES:
        return FORMAT_ALIASES[key]
    if key in SOURCE_FORMATS:
        return key  # type: ignore[return-value]  # narrowed by the membership test
    known = ", ".join([*SOURCE_FORMATS, *FORMAT_ALIASES])
    raise ValueError(f"unknown format {name!r}; known: {known}")


def format_for_path(uri: str) -> SourceFormat | None:
    """The format a file name's extension implies (``.gz`` is looked through), or None."""
    name = uri.lower().removesuffix(".gz")
    for ext, fmt in EXTENSIONS.items():
        if name.endswith(ext):
            return fmt
    return None
