"""Driver-side parsers (ARFF, SVMLight, CSV header) and type names: no JVM."""

from __future__ import annotations

import datetime as dt

import pytest

from sparkwing.errors import ConfigError, SourceError
from sparkwing.lake._arff import ArffRowError, parse_arff_header, parse_arff_row, split_values
from sparkwing.lake._delimited import header_names
from sparkwing.lake._quarantine import check_share, sql_type
from sparkwing.lake._svmlight import parse_svmlight_line

HEADER = """% a comment
@RELATION 'my data'

@attribute age numeric
@attribute 'kind of thing' {a, 'b c', d}
@attribute name string
@attribute when date "yyyy-MM-dd HH:mm:ss"
@attribute n integer
@data
"""


def header():
    return parse_arff_header(HEADER.splitlines())


def test_arff_header_types_and_domain():
    h = header()
    assert h.relation == "my data"
    assert [(a.name, a.kind, a.spark_type) for a in h.attributes] == [
        ("age", "numeric", "double"),
        ("kind of thing", "nominal", "string"),
        ("name", "string", "string"),
        ("when", "date", "timestamp"),
        ("n", "integer", "bigint"),
    ]
    assert h.attributes[1].domain == ("a", "b c", "d")
    assert h.data_line == 9


def test_arff_rows_missing_quotes_comments_sparse():
    h = header()
    assert parse_arff_row("1.5, 'b c', x, '2020-01-02 03:04:05', 7 % tail", h) == [
        1.5, "b c", "x", dt.datetime(2020, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc), 7
    ]  # fmt: skip
    assert parse_arff_row(r"?, d, 'it\'s', ?, ?", h) == [None, "d", "it's", None, None]
    assert parse_arff_row("% only a comment", h) is None
    assert parse_arff_row("   ", h) is None
    # Sparse: omitted numerics are 0, omitted nominals take the first level.
    assert parse_arff_row("{0 2.5, 2 'hi'}", h) == [2.5, "a", "hi", None, 0]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("1, a, x", "wrong number of values"),
        ("abc, a, x, ?, 1", "age: not a number"),
        ("1, z, x, ?, 1", "kind of thing: not in the nominal domain"),
        ("1, a, x, 'yesterday', 1", "when: not a date"),
        ("1, a, x, ?, 1.5", "n: not an integer"),
        ("1, 'a, x, ?, 1", "unterminated quote"),
    ],
)
def test_arff_bad_rows_name_the_reason(line, reason):
    with pytest.raises(ArffRowError, match=reason):
        parse_arff_row(line, header())


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("@relation r\n@attribute a numeric\n@attribute b {x, y\n@data\n", "line 3"),
        ("@relation r\n@attribute a blob\n@data\n", "line 2"),
        ("@relation r\n@attribute a numeric\nhello\n@data\n", "line 3"),
        ("@attribute a numeric\n@data\n", "line 1"),
        ("@relation r\n@data\n", "line 2"),
        ("@relation r\n@attribute a numeric\n@attribute a real\n@data\n", "line 3"),
        ("@relation r\n@attribute a numeric\n", "no @data"),
    ],
)
def test_broken_arff_header_names_the_line(text, where):
    with pytest.raises(SourceError, match=where):
        parse_arff_header(text.splitlines())


def test_split_values_keeps_commas_in_quotes():
    assert split_values("'a,b', \"c\", ?, d") == ["a,b", "c", None, "d"]


def test_svmlight_lines():
    assert parse_svmlight_line("1 3:1 10:0.5") == (1.0, {3: 1.0, 10: 0.5})
    assert parse_svmlight_line("-1 qid:4 1:2 # comment") == (-1.0, {1: 2.0})
    assert parse_svmlight_line("+1") == (1.0, {})
    assert parse_svmlight_line("# only a comment") is None
    assert parse_svmlight_line("") is None


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("x 1:2", "label is not a number"),
        ("1 12", "not index:value"),
        ("1 a:2", "feature index is not a non-negative integer"),
        ("1 -3:2", "feature index is not a non-negative integer"),
        ("1 2:x", "feature value is not a number"),
        ("1 2:1 2:3", "feature index repeated"),
    ],
)
def test_svmlight_bad_lines(line, reason):
    with pytest.raises(ValueError, match=reason):
        parse_svmlight_line(line)


def test_header_names_dedupe_blank_and_bom():
    head = '\ufeff"id",name,,name\r\n1,2,3,4\n'.encode()
    assert header_names(head, delimiter=",", quote='"', encoding="utf-8") == ["id", "name", "_c2", "name_2"]
    assert header_names(b"a\tb\n", delimiter="\t", quote='"', encoding="utf-8") == ["a", "b"]


def test_header_of_binary_file_is_a_source_error():
    with pytest.raises(SourceError, match="binary"):
        header_names(b"\x00\x01\x02garbage", delimiter=",", quote='"', encoding="utf-8", where="x.csv")
    with pytest.raises(SourceError, match="not utf-8 text"):
        header_names(b"\xff\xfe\xfa,\n", delimiter=",", quote='"', encoding="utf-8", where="x.csv")


def test_sql_types():
    assert sql_type("Integer") == "int"
    assert sql_type("long") == "bigint"
    assert sql_type("decimal(10, 2)") == "decimal(10,2)"
    with pytest.raises(ConfigError, match="'x'.*unknown type 'blob'"):
        sql_type("blob", source="s", column="x")


def test_quarantine_share_limit():
    check_share("s", 100, 5, 0.05, "/q")  # at the limit is fine
    check_share("s", 0, 0, 0.0, "/q")
    with pytest.raises(SourceError, match=r"source 's': 6 of 100 rows \(6.0%\) quarantined.*see /q"):
        check_share("s", 100, 6, 0.05, "/q")


def test_uncompressed_cache_restores_the_session_setting_even_on_error():
    from sparkwing.lake._quarantine import uncompressed_cache

    class Conf(dict):
        def set(self, k, v):
            self[k] = v

    class Session:
        conf = Conf({"spark.sql.inMemoryColumnarStorage.compressed": "true"})

    spark = Session()
    with pytest.raises(RuntimeError), uncompressed_cache(spark):
        assert spark.conf["spark.sql.inMemoryColumnarStorage.compressed"] == "false"
        raise RuntimeError("job failed")
    assert spark.conf["spark.sql.inMemoryColumnarStorage.compressed"] == "true"
