"""CSV/TSV into Spark in one parse: every column read as a string, then try-cast or inferred.

The header is read in Python from the first file (no Spark pass); Spark then parses the files
once with that all-string schema plus a corrupt-record column (PERMISSIVE mode), so lines with
the wrong number of fields or broken quotes keep their raw text instead of failing the job.

>>> header_names(b'"a","b",b\\n1,2,3\\n', delimiter=",", quote='"', encoding="utf-8")
['a', 'b', 'b_2']
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from sparkwing.config import SourceSpec
from sparkwing.errors import SourceError
from sparkwing.lake._quarantine import BAD, FILE, q

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def delimiter_for(spec: SourceSpec, fmt: str) -> str:
    return spec.delimiter or ("\t" if fmt == "tsv" else ",")


def first_line(head: bytes, *, encoding: str, where: str) -> str:
    """The first line of a text file, or :class:`SourceError` when it does not look like text."""
    if b"\x00" in head[:8192]:
        raise SourceError(f"{where}: looks like a binary file, not text", hint="check the format")
    end = head.find(b"\n")
    if end < 0 and len(head) >= (1 << 20):
        raise SourceError(f"{where}: no line break in the first MiB; not a text file?")
    line = head if end < 0 else head[:end]
    try:
        return line.decode(encoding).removeprefix("\ufeff").rstrip("\r")
    except (UnicodeDecodeError, LookupError) as exc:
        raise SourceError(f"{where}: first line is not {encoding} text ({exc.__class__.__name__})") from None


def header_names(head: bytes, *, delimiter: str, quote: str, encoding: str, where: str = "") -> list[str]:
    """Column names from the header line; blanks become ``_c<i>``, repeats get ``_2``, ``_3``."""
    line = first_line(head, encoding=encoding, where=where)
    try:
        fields = next(csv.reader(io.StringIO(line), delimiter=delimiter, quotechar=quote or None), [])
    except csv.Error as exc:
        raise SourceError(f"{where}: unreadable header line ({exc})") from None
    names: list[str] = []
    for i, raw in enumerate(fields):
        name = raw.strip() or f"_c{i}"
        base, k = name, 2
        while name in names:
            name, k = f"{base}_{k}", k + 1
        names.append(name)
    if not names:
        raise SourceError(f"{where}: empty header line", hint="set header: false if there is none")
    return names


def read_csv_strings(
    spark: SparkSession, paths: list[str], names: list[str], spec: SourceSpec, delimiter: str
) -> DataFrame:
    """All columns as strings (null markers → null), plus ``_sw_bad`` and ``_sw_file``."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    schema = T.StructType(
        [T.StructField(n, T.StringType()) for n in names] + [T.StructField(BAD, T.StringType())]
    )
    df = (
        spark.read.schema(schema)
        .options(
            header=str(spec.header).lower(),
            sep=delimiter,
            quote=spec.quote,
            escape=spec.escape,
            encoding=spec.encoding,
            mode="PERMISSIVE",
            columnNameOfCorruptRecord=BAD,
        )
        .csv(paths)
    )
    nulls = [v for v in spec.null_values if v != ""]  # Spark already reads empty cells as null
    cols = [
        (F.when(F.col(q(n)).isin(nulls), F.lit(None)).otherwise(F.col(q(n))) if nulls else F.col(q(n))).alias(n)
        for n in names
    ]
    return df.select(*cols, F.col(BAD), F.input_file_name().alias(FILE))
