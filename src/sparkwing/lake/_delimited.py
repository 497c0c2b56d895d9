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
    from pyspark.sql import Column, DataFrame, SparkSession

_SPLIT = "_sw_split"  # corrupt column of the re-split of a bad line


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
    spark: SparkSession, paths: list[str], names: list[str], spec: SourceSpec, delimiter: str,
    file_uri: str | None = None,
) -> DataFrame:
    """All columns as strings (null markers → null), plus ``_sw_bad`` and ``_sw_file``.

    ``file_uri`` names the file of a single-file source (else Spark reports each row's file).
    """
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
        (F.when(F.col(q(n)).isin(nulls), F.lit(None)).otherwise(F.col(q(n))) if nulls else F.col(q(n)))
        .alias(n)
        for n in names
    ]
    # input_file_name() costs a little on every row; a single-file source knows its file.
    file = F.lit(file_uri) if file_uri else F.input_file_name()
    return df.select(*cols, F.col(BAD), file.alias(FILE))


def single_null_marker(spec: SourceSpec) -> str | None:
    """The one non-empty null marker Spark's typed parser can honour, "" if none, None if several."""
    markers = [v for v in spec.null_values if v != ""]
    return (markers[0] if markers else "") if len(markers) <= 1 else None


def read_csv_typed(
    spark: SparkSession,
    paths: list[str],
    names: list[str],
    spec: SourceSpec,
    delimiter: str,
    declared: dict[str, str],
    file_uri: str | None = None,
) -> tuple[DataFrame, list[tuple[str, Column]]]:
    """Typed columns parsed by Spark itself (the fast path), plus ``_sw_bad``/``_sw_file``.

    Undeclared column types come from Spark's ``inferSchema`` pass (the same pass a hand-written
    job pays).  A value that does not parse to its type makes the row corrupt; the returned
    (reason, condition) pairs re-split such a line to name the column that failed.
    """
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    null = single_null_marker(spec)
    opts = {
        "header": str(spec.header).lower(), "sep": delimiter, "quote": spec.quote,
        "escape": spec.escape, "encoding": spec.encoding, "nullValue": null or "",
    }  # fmt: skip
    inferred: list[T.StructField] = []
    if any(n not in declared for n in names):
        inferred = spark.read.options(**opts, inferSchema="true").csv(paths).schema.fields
    fields = []
    for i, n in enumerate(names):
        if n in declared:
            dtype = T._parse_datatype_string(declared[n])
        else:
            dtype = inferred[i].dataType if i < len(inferred) else T.StringType()
        fields.append(T.StructField(n, dtype))
    schema = T.StructType(fields + [T.StructField(BAD, T.StringType())])
    df = (
        spark.read.schema(schema)
        .options(**opts, mode="PERMISSIVE", columnNameOfCorruptRecord=BAD)
        .csv(paths)
    )
    file = F.lit(file_uri) if file_uri else F.input_file_name()
    df = df.select(*[F.col(q(n)) for n in names], F.col(BAD), file.alias(FILE))
    # SQL, so that try_cast can reach into the re-split struct (pyspark 3.5 has no Column.try_cast).
    split_opts = {**{k: v for k, v in opts.items() if k != "header"}, "columnNameOfCorruptRecord": _SPLIT}
    ddl = ", ".join(f"{q(n)} STRING" for n in names) + f", {_SPLIT} STRING"
    options = ", ".join(f"{_sql_str(k)}, {_sql_str(v)}" for k, v in split_opts.items())
    split = f"from_csv({BAD}, {_sql_str(ddl)}, map({options}))"
    detail = []
    for f in fields:
        if isinstance(f.dataType, T.StringType):
            continue
        sql = f.dataType.simpleString()
        value = f"{split}.{q(f.name)}"
        cond = (
            f"{split}.{_SPLIT} IS NULL AND {value} IS NOT NULL AND {value} != {_sql_str(null or '')} "
            f"AND try_cast({value} AS {sql}) IS NULL"
        )
        detail.append((f"cannot cast {f.name} to {sql}", F.expr(cond)))
    return df, detail


def _sql_str(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
