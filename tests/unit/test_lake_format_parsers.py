"""JSON lines, SVMLight and ARFF parsers and the date patterns they share: no JVM."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sparkwing.errors import ConfigError
from sparkwing.lake._arff import ArffReader, ArffRowError, parse_arff_header, parse_arff_row
from sparkwing.lake._dates import DatePattern
from sparkwing.lake._json import (
    MAX_EXTRA_KEYS,
    OTHER_KEYS,
    JsonCheck,
    JsonColumn,
    JsonOptions,
    JsonReader,
    KeyKinds,
    RowError,
    _column,
    converter,
    infer_types,
    merge_extra_keys,
    parse_object,
    plain_lines,
    spark_alike,
)
from sparkwing.lake._lines import LineFormat, LineReader
from sparkwing.lake._svmlight import (
    SvmlightReader,
    SvmlightStats,
    decide_zero_based,
    inferred_width,
    parse_svmlight_line,
)

UTC = ZoneInfo("UTC")
STRICT = JsonOptions()

# --- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("M/d/yy", "3/7/21", dt.date(2021, 3, 7)),
        ("M/d/yy", "12/31/99", dt.date(2099, 12, 31)),
        ("dd.MM.yyyy", "01.02.2020", dt.date(2020, 2, 1)),
        ("d MMM yyyy", "5 Feb 2020", dt.date(2020, 2, 5)),
        ("yyyyMMdd", "20200229", dt.date(2020, 2, 29)),
        (None, "2021-01-31", dt.date(2021, 1, 31)),
    ],
)
def test_date_patterns(pattern, text, expected):
    assert DatePattern.compile(pattern).date(text) == expected


@pytest.mark.parametrize(
    ("pattern", "text", "reason"),
    [
        (None, "2021-13-40", "'2021-13-40' is not a valid date (yyyy-MM-dd)"),
        (None, "2021-02-30", "'2021-02-30' is not a valid date (yyyy-MM-dd)"),
        (None, "20210102", "is not a valid date"),  # ISO basic form is not the declared pattern
        ("MM/dd/yyyy", "1/2/2021", "'1/2/2021' is not a valid date (MM/dd/yyyy)"),
        ("M/d/yy", "3/7/2021", "is not a valid date (M/d/yy)"),
    ],
)
def test_bad_dates_name_value_and_pattern(pattern, text, reason):
    with pytest.raises(ValueError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        DatePattern.compile(pattern).date(text)


def test_timestamps_zone_offsets_and_fractions():
    iso = DatePattern.compile(None, kind="timestamp")
    paris = ZoneInfo("Europe/Paris")
    assert iso.timestamp("2021-06-01T12:00:00", paris) == dt.datetime(2021, 6, 1, 10, tzinfo=dt.timezone.utc)
    assert iso.timestamp("2021-06-01 12:00:00.5Z", paris).microsecond == 500000
    assert iso.timestamp("2021-06-01T12:00+02:00", UTC).hour == 10
    us = DatePattern.compile("M/d/yyyy h:mm a", kind="timestamp")
    assert us.timestamp("6/1/2021 1:05 PM", UTC) == dt.datetime(2021, 6, 1, 13, 5, tzinfo=dt.timezone.utc)
    assert us.timestamp("6/1/2021 12:05 am", UTC).hour == 0
    for bad in ("2021-06-01T25:00:00", "2021-06-01T12:00:00.1234567", "2021-06-01T12:00+25:00"):
        with pytest.raises(ValueError, match="is not a valid timestamp"):
            iso.timestamp(bad, UTC)


def test_unknown_pattern_letters_are_config_errors():
    with pytest.raises(ConfigError, match="unsupported letter 'Q'"):
        DatePattern.compile("yyyy-Q")
    with pytest.raises(ConfigError, match="unterminated quote"):
        DatePattern.compile("yyyy'T")


@settings(deadline=None)
@given(st.dates(min_value=dt.date(1000, 1, 1)))
def test_dates_round_trip_through_their_pattern(day):
    assert DatePattern.compile("yyyy-MM-dd").date(day.isoformat()) == day
    assert DatePattern.compile("d/M/yyyy").date(f"{day.day}/{day.month}/{day.year:04d}") == day


# --- JSON lines ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"a": 1} {"a": 2}', "trailing data after JSON object"),
        ('{"a": 1}{"a": 2}', "trailing data after JSON object"),
        ('{"a": 1} x', "trailing data after JSON object"),
        ("[1, 2]", "top-level JSON value is an array, not an object"),
        ('"text"', "top-level JSON value is a string, not an object"),
        ("12", "top-level JSON value is a number, not an object"),
        ("{'a': 1}", "single-quoted string is not valid JSON (allow_single_quotes: true accepts it)"),
        ('{"a": NaN}', "NaN is not valid JSON (allow_nan: true accepts it)"),
        ('{"a": -Infinity}', "-Infinity is not valid JSON"),
        ('{"a": 1,}', "invalid JSON: "),
        ('{"a": 1', "invalid JSON: "),
        ('{"a": "\\ud800"}', "invalid JSON: "),
        ('\ufeff{"a": 1}', "invalid JSON: "),  # a BOM is only allowed on a file's first line
    ],
)
def test_json_lines_that_are_not_one_object(line, reason):
    with pytest.raises(RowError) as info:
        parse_object(line, STRICT)
    assert str(info.value).startswith(reason)


def test_json_options_allow_single_quotes_and_nan():
    loose = JsonOptions(allow_single_quotes=True, allow_nan=True)
    assert parse_object("{'a': 'it\\'s \"q\"', \"b\": 'x'}", loose) == {"a": 'it\'s "q"', "b": "x"}
    nan = parse_object('{"a": NaN, "b": Infinity}', loose)
    assert nan["a"] != nan["a"] and nan["b"] == float("inf")
    with pytest.raises(RowError, match="trailing data"):
        parse_object("{'a': 1} {'a': 2}", loose)
    assert parse_object('\ufeff{"a": 1}', STRICT, first=True) == {"a": 1}


@settings(deadline=None)
@given(
    st.dictionaries(
        st.text(max_size=8),
        st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), st.text(max_size=20),
                  st.floats(allow_nan=False, allow_infinity=False)),
        max_size=6,
    )
)  # fmt: skip
def test_any_serialised_object_parses_back_and_two_never_do(obj):
    line = orjson.dumps(obj).decode()
    assert parse_object(line, STRICT) == obj
    with pytest.raises(RowError, match="trailing data after JSON object"):
        parse_object(line + " " + line, STRICT)


@pytest.mark.parametrize(
    ("sql", "value", "expected"),
    [
        ("int", 7, 7), ("int", 2.0, 2), ("bigint", 2**62, 2**62), ("int", None, None),
        ("double", 2, 2.0), ("double", 2.5, 2.5), ("float", 1.5, 1.5),
        ("boolean", True, True), ("string", "x", "x"), ("string", 12, "12"),
        ("string", {"b": [1, 2]}, '{"b":[1,2]}'), ("string", True, "true"),
        ("date", "2021-03-04", dt.date(2021, 3, 4)),
        ("decimal(5,2)", Decimal("1.5"), Decimal("1.50")), ("decimal(5,2)", 12, Decimal("12.00")),
    ],
)  # fmt: skip
def test_json_values_that_fit_their_column(sql, value, expected):
    assert converter(sql, pattern=None, zone=UTC)(value) == expected


@pytest.mark.parametrize(
    ("sql", "value", "reason"),
    [
        ("int", 2.5, "2.5 is not an int"),
        ("int", "2", '"2" is not an int'),
        ("int", True, "true is not an int"),
        ("int", 2**31, "2147483648 is out of range for int"),
        ("bigint", 1e30, "1e+30 is out of range for bigint"),
        ("double", "1.5", '"1.5" is not a double'),
        ("double", [1], "an array is not a double"),
        ("boolean", 1, "1 is not a boolean"),
        ("boolean", "true", '"true" is not a boolean'),
        ("date", "2021-13-40", "'2021-13-40' is not a valid date (yyyy-MM-dd)"),
        ("date", 20210101, "20210101 is not a date"),
        ("decimal(5,2)", Decimal("1.234"), "1.234 does not fit decimal(5,2)"),
        ("decimal(5,2)", Decimal("1234"), "1234 does not fit decimal(5,2)"),
        ("float", 1e39, "1e+39 is out of range for float"),
    ],
)
def test_json_values_that_do_not_fit_are_named(sql, value, reason):
    with pytest.raises(ValueError) as info:
        converter(sql, pattern=None, zone=UTC)(value)
    assert str(info.value) == reason


def lines(*texts: str) -> list[tuple[int, str]]:
    return list(enumerate(texts, 1))


def test_json_block_with_declared_columns_projects_and_counts_extra_keys():
    reader = JsonReader(
        (JsonColumn("id", "int"), JsonColumn("day", "date", "M/d/yy")), STRICT, "UTC", declared=True
    )
    block = reader.parse(
        lines(
            '{"id": 1, "day": "1/2/21", "station": "x"}',
            "",
            '{"id": 2.5, "day": "1/2/21"}',
            '{"id": 3}  {"id": 4}',
            '  {"id": 5, "station": null, "extra": 1}\r',
            '{"id": 6, "day": "13/2/21"}',
        ),
        reader.converters(),
    )
    assert {k: v.to_pylist() for k, v in block.columns.items()} == {
        "id": [1, 5],
        "day": [dt.date(2021, 1, 2), None],
    }
    assert block.bad == [
        (3, '{"id": 2.5, "day": "1/2/21"}', "id: 2.5 is not an int"),
        (4, '{"id": 3}  {"id": 4}', "trailing data after JSON object"),
        (6, '{"id": 6, "day": "13/2/21"}', "day: '13/2/21' is not a valid date (M/d/yy)"),
    ]
    assert block.extra_keys == {"station": 2, "extra": 1} and block.lines == [1, 5]


def test_extra_key_counts_are_bounded():
    parts = [{f"k{i}": 1 for i in range(MAX_EXTRA_KEYS)}, {"late": 2, "k1": 1}]
    total = merge_extra_keys(parts)
    assert len(total) == MAX_EXTRA_KEYS + 1 and total[OTHER_KEYS] == 2 and total["k1"] == 2


def test_json_inference_rules():
    reader = JsonReader((), STRICT, "UTC", declared=False)
    kinds = reader.kinds(
        lines(
            '{"i": 1, "f": 1, "b": true, "s": "x", "m": 1, "o": {"x": 1}, "n": null}',
            '{"i": 2, "f": 2.5, "b": false, "s": "y", "m": "two", "o": [1], "n": null, "late": 1}',
            "not json",
        )
    )
    assert list(kinds.kinds) == ["i", "f", "b", "s", "m", "o", "n", "late"]  # first appearance
    assert infer_types(kinds) == {
        "i": "bigint", "f": "double", "b": "boolean", "s": "string", "m": "string",
        "o": "string", "n": "string", "late": "bigint",
    }  # fmt: skip
    merged = KeyKinds({"i": 4}).merge(kinds)
    assert infer_types(merged)["i"] == "double"


# Lines a JSON-lines file may hold, the hostile ones first: each must read exactly as the
# line-by-line path reads it, wherever it falls in a block.
HOSTILE_JSON = [
    '{"a": 1, "a": 2}', '{"a": 1} {"a": 2}', '{"a": 1},{"a": 2}', "{'a': 1}", "{\"a\": 'x'}",
    '{"a": NaN}', '{"a": Infinity}', '{"a": -Infinity}', '{"a": 18446744073709551615}',
    '{"a": 18446744073709551616}', '{"a": 9223372036854775808}', '{"a": -9223372036854775809}',
    '{"a": 9223372036854775807}', '{"a": 1e400}', '{"a": -1e400}', '{"a": 1e-400}',
    '{"a": {"b": [1, {"c": null}]}}', '{"a": [1, "x", true]}', '{"a": "\\u00e9\\ud83d\\ude00"}',
    '{"a": "\\ud800"}', '{"a": "caf\u00e9 \u2028"}', '\ufeff{"a": 1}', "", "   ", "\t", '{"b": 1}', "{}",
    '{"a": "x"}', '{"a": true}', '{"a": 2.5}', '{"a": null}', '{"a": -0}', '{"a": -0.0}', '{"a": 1E2}',
    "[1]", "1", '"s"', "null", '{"a": 1,}', '{"a": 01}', '{"a": .5}', '{"a": +1}', '{"a": "tab\there"}',
    '{"a": 1} // c', '{"a": 1}\x00', '{"a":', "}", '{"a": "12345678901234567890"}',
    '{"a": 1.2345678901234567890123}', '{"a": ' + "[" * 260 + "]" * 260 + "}",
    '{"a": ' + "[" * 150 + "]" * 150 + "}", '{"A": 1}', '{"_sw_x": 1}',
]  # fmt: skip
CLEAN_JSON = st.builds(
    lambda a, b, c: orjson.dumps({"a": a, "b": b, "c": c}).decode(),
    st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False, allow_infinity=False) | st.none(),
    st.text(max_size=5) | st.booleans(),
    st.integers(-10, 10),
)
JSON_BLOCKS = st.lists(st.sampled_from(HOSTILE_JSON) | CLEAN_JSON, max_size=12)
JSON_OPTIONS = st.sampled_from([STRICT, JsonOptions(allow_single_quotes=True, allow_nan=True),
                                JsonOptions(allow_nan=True)])  # fmt: skip


@settings(deadline=None, max_examples=300)
@given(JSON_BLOCKS, JSON_OPTIONS)
def test_json_block_parse_equals_the_line_by_line_path(texts, options):
    """A block orjson parses whole is what the line-by-line path keeps, line for line."""
    reader = JsonReader((), options, "UTC", declared=False)
    records = lines(*texts)
    bad_fast: list = []
    bad_exact: list = []
    good, objs = reader._parsed(records, bad_fast)
    exact = list(reader._objects(records, bad_exact))
    assert good == [(n, t) for n, t, _ in exact]
    # repr: NaN equals itself, -0.0 is not 0.0, 1 is not 1.0, key order counts
    assert repr(objs) == repr([o for _, _, o in exact]) and bad_fast == bad_exact


def _rows(reader: JsonReader, records) -> tuple[list, list]:
    block = reader.parse(records, reader.converters())
    names = list(block.columns)
    if not names:
        return [(line, {}) for line in block.lines], block.bad
    values = zip(*(block.columns[n].to_pylist() for n in names), strict=True)
    rows = [(line, dict(zip(names, v, strict=True))) for line, v in zip(block.lines, values, strict=True)]
    return rows, block.bad


@settings(deadline=None, max_examples=200)
@given(JSON_BLOCKS, JSON_OPTIONS)
def test_inferred_json_block_equals_line_by_line_and_a_clean_proof_holds(texts, options):
    """Inference then parse: a block gives the rows and records its lines give one at a time,
    and when the inference pass calls the lines clean, the parse quarantines none of them."""
    records = lines(*texts)
    probe = JsonReader((), options, "UTC", declared=False)
    kinds = probe.kinds(records)
    cols = tuple(JsonColumn(k, t) for k, t in infer_types(kinds).items())
    reader = JsonReader(cols, options, "UTC", declared=False)
    try:
        rows, bad = _rows(reader, records)
    except (orjson.JSONEncodeError, TypeError, OverflowError, UnicodeEncodeError):  # fails both ways
        assert not kinds.clean
        return
    singles: list = []
    single_bad: list = []
    for rec in records:
        r, b = _rows(reader, [rec])
        singles += r
        single_bad += b
    assert repr((rows, bad)) == repr((singles, single_bad))
    assert kinds.rows == len(rows) + len(bad) and kinds.rejected <= len(bad)
    if kinds.clean:
        assert bad == []


JSON_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**64), 2**64),
    st.sampled_from([2**53, 2**53 + 1, -(2**63), 2**63 - 1]), st.floats(),
    st.sampled_from([-0.0, 1e308, 2.0]), st.text(max_size=3), st.just([1]), st.just({"x": 1}),
)  # fmt: skip
JSON_SQL = st.sampled_from(["bigint", "int", "tinyint", "double", "boolean", "string", "float", "date"])


@settings(deadline=None, max_examples=300)
@given(
    st.lists(JSON_SQL, min_size=1, max_size=3),
    st.lists(st.dictionaries(st.sampled_from(["c0", "c1", "c2", "x"]), JSON_VALUES, max_size=4), max_size=8),
)
def test_struct_conversion_equals_column_by_column(sqls, objs):
    """All columns in one Arrow conversion give exactly what the column-by-column path gives,
    or decline (then the column path runs)."""
    columns = tuple(JsonColumn(f"c{i}", sql) for i, sql in enumerate(sqls))
    reader = JsonReader(columns, STRICT, "UTC", declared=True)
    fast = reader._struct_columns(objs)
    if fast is None:
        return
    failed: dict = {}
    for column, (name, convert) in zip(columns, reader.converters(), strict=True):
        exact = _column([o.get(name) for o in objs], column.sql, name, convert, failed)
        assert fast[name].type == exact.type and repr(fast[name].to_pylist()) == repr(exact.to_pylist())
    assert failed == {}


def test_json_clean_proof_reads_a_first_line_byte_order_mark_as_orjson_does():
    reader = JsonReader((), STRICT, "UTC", declared=False)
    assert reader.kinds(lines('\ufeff{"a": 1}', '{"a": 2}')).clean
    assert not reader.kinds(lines("\ufeff{'a': 1}", '{"a": 2}')).clean


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ('{"a": 9223372036854775807, "b": -9223372036854775808}', True),
        ('{"a": 9223372036854775808}', False),  # an int orjson keeps, out of range for bigint
        ('{"a": 18446744073709551615}', False),
        ('{"a": "12345678901234567890"}', False),  # conservative: digits in a string count
        ('{"a": ' + "[" * 300 + "]" * 300 + "}", False),  # too deep to keep as text
        ('{"a": 1} {"a": 2}', False),
        ('{"a": 1, "a": "x"}', True),
        ('{"a": NaN}', False),  # accepted by an option: not proven, whatever it holds
        ("\ufeff{\"a\": 1}", False),  # a byte order mark past the first line is quarantined
        ('{"a": "\\ud800"}', False),
    ],
)
def test_json_clean_proof(text, clean):
    options = JsonOptions(allow_nan=True, allow_single_quotes=True)
    kinds = JsonReader((), options, "UTC", declared=False).kinds(lines('{"a": 1}', text, ""))
    assert kinds.clean is clean and kinds.rows == 2


DECLARED_JSON = [
    '{"a": 2.5, "b": 1}', '{"a": 3000000000}', '{"a": -2147483649}', '{"a": 2147483647, "x": 1}',
    '{"a": 10.0}', '{"a": true}', '{"a": "7"}', '{"b": "2021-13-40"}', '{"b": "2021-02-29"}',
    '{"b": "2020-02-29", "y": [1], "x": 2}', '{"b": 20200101}', '{"c": "x", "c": 1}', '{"c": 1, "c": "x"}',
    '{"c": [1, {"d": null}]}', '{"c": 1e400}', '{"a": null, "b": null, "c": null}', '{"z": 1}',
    '{"a": 1, "b": "2020-01-01", "c": "s"}', '{"a": -0.0}', '{"a": 1, "a": 2.5}', '{"a": 2.5, "a": 1}',
]  # fmt: skip
DECLARED_SQL = st.sampled_from(["int", "bigint", "tinyint", "double", "float", "string", "boolean", "date",
                                "decimal(5,2)"])  # fmt: skip


@settings(deadline=None, max_examples=300)
@given(
    st.lists(st.sampled_from(DECLARED_JSON + HOSTILE_JSON) | CLEAN_JSON, max_size=12),
    DECLARED_SQL, DECLARED_SQL, DECLARED_SQL, JSON_OPTIONS,
)  # fmt: skip
def test_declared_json_check_is_exactly_what_the_parse_quarantines(texts, sql_a, sql_b, sql_c, options):
    """The check pass of declared columns calls a block clean exactly when the parse pass
    quarantines none of its lines (unless an option let a line through: then never clean),
    counts its records as the parse does, and counts the undeclared keys as the parse does."""
    columns = (JsonColumn("a", sql_a), JsonColumn("b", sql_b), JsonColumn("c", sql_c))
    exact = any(c.sql.startswith("decimal") for c in columns)
    reader = JsonReader(columns, JsonOptions(options.allow_single_quotes, options.allow_nan, exact),
                        "UTC", declared=True)  # fmt: skip
    records = lines(*texts)
    try:
        block = reader.parse(records, reader.converters())
    except (orjson.JSONEncodeError, TypeError, OverflowError, UnicodeEncodeError):
        # The parse fails: the check fails too, or does not call the block clean (the file
        # then takes the counted read, which fails the same way).
        try:
            assert not reader.check(records, reader.converters()).clean
        except (orjson.JSONEncodeError, TypeError, OverflowError, UnicodeEncodeError):
            pass
        return
    check = reader.check(records, reader.converters())
    assert check.rows == len(block.lines) + len(block.bad)
    assert bool(check.rejected) == bool(block.bad)
    if check.clean:
        assert block.bad == [] and merge_extra_keys(check.extra) == block.extra_keys
    elif not check.rejected:
        assert check.unproven


def test_declared_json_check_counts_extra_keys_per_block_like_the_parse():
    reader = JsonReader((JsonColumn("a", "int"),), STRICT, "UTC", declared=True)
    many = [orjson.dumps({"a": 1, **{f"k{i}": i}}).decode() for i in range(MAX_EXTRA_KEYS + 5)]
    first = reader.check(lines(*many[:60]), reader.converters())
    second = reader.check(lines(*many[50:], '{"a": 2, "k0": 1}'), reader.converters())
    total = JsonCheck().merge(first).merge(second)
    parses = [reader.parse(lines(*many[:60]), reader.converters()),
              reader.parse(lines(*many[50:], '{"a": 2, "k0": 1}'), reader.converters())]  # fmt: skip
    assert total.clean and total.rows == 60 + len(many) - 50 + 1
    assert merge_extra_keys(total.extra) == merge_extra_keys(p.extra_keys for p in parses)
    assert merge_extra_keys(total.extra)[OTHER_KEYS] == 5 and merge_extra_keys(total.extra)["k0"] == 2
    assert not reader.check(lines('{"a": 2147483648}'), reader.converters()).clean
    assert not reader.check(lines('{"a": 2.5}'), reader.converters()).clean
    assert reader.check(lines('{"a": 2.0}', '{"a": -2147483648}'), reader.converters()).clean


# --- SVMLight --------------------------------------------------------------------------------


KEYS = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=4)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), st.text(max_size=6),
                    st.floats(allow_nan=False, allow_infinity=False))  # fmt: skip
NESTED = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=6,
)


def _escaped(value, ascii_only: bool, slashes: bool) -> str:
    text = json.dumps(value, ensure_ascii=ascii_only, separators=(",", ":"))
    return text.replace("/", "\\/") if slashes else text


@settings(deadline=None, max_examples=400)
@given(
    st.lists(st.tuples(KEYS, NESTED), max_size=6), st.booleans(), st.booleans(),
    st.lists(st.integers(0, 5), max_size=2),
)  # fmt: skip
def test_a_repeated_key_is_found_whatever_the_escapes(items, ascii_only, slashes, repeats):
    """plain_lines says a line repeats no key exactly when it does not, for any keys and
    values (nested ones, quotes and backslashes in strings, ``\\uXXXX`` and ``\\/`` escapes),
    at the top level as in a nested object."""
    items = list(dict(items).items())
    repeated = [items[r % len(items)] for r in repeats] if items else []
    written = [(k, "first" if k == "" else 0) for k, _ in repeated] + items

    def obj_text(pairs) -> str:
        return "{" + ",".join(f"{_escaped(k, ascii_only, slashes)}: {_escaped(v, ascii_only, slashes)}"
                              for k, v in pairs) + "}"  # fmt: skip

    for text in (obj_text(written), '{"outer": ' + obj_text(written) + ', "n": "\\\\"}'):
        obj = orjson.loads(text)
        assert plain_lines([(2, text)], [obj]) == (not repeated), text
    assert not plain_lines([(1, "\ufeff{}")], [{}])  # a byte order mark on a first line


def test_spark_alike_takes_only_kinds_spark_reads_the_same():
    from sparkwing.lake._json import BOOL, FLOAT, INT, NESTED, STRING

    ok = [("i", "bigint", INT), ("j", "int", INT), ("d", "double", INT | FLOAT), ("b", "boolean", BOOL),
          ("s", "string", STRING), ("n", "string", 0), ("m", "bigint", 0)]  # fmt: skip
    assert spark_alike([(n, t) for n, t, _ in ok], {n: k for n, _, k in ok})
    for sql, kind in [("bigint", FLOAT), ("string", INT), ("string", NESTED), ("double", STRING),
                      ("boolean", INT), ("float", FLOAT), ("date", STRING), ("decimal(5,2)", FLOAT),
                      ("string", STRING | BOOL)]:  # fmt: skip
        assert not spark_alike([("c", sql)], {"c": kind}), (sql, kind)
    assert not spark_alike([], {}) and not spark_alike([("", "bigint")], {"": INT})



@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("1 3:1 2:1", "feature indices not increasing (got 2 after 3)"),
        ("1 2:1 2:3", "feature index repeated (got 2)"),
        ("1 ²:1", "feature index is not a non-negative integer"),
        ("1_0 1:1", "label is not a number"),
        ("1 1:1_0", "feature value is not a number"),
    ],
)
def test_svmlight_index_order_and_strict_numbers(line, reason):
    with pytest.raises(ValueError, match=re.escape(reason)):
        parse_svmlight_line(line)


SVM = ["1 1:0.5 3:2", "0 2:1 # note", "", "# only a comment", "1 qid:3 0:1 1:1", "x 1:1", "1 7:1", "-1 4:2"]


def test_svmlight_one_based_by_default_quarantines_index_0_with_its_line():
    stats = SvmlightReader().stats(lines(*SVM))
    assert (stats.rows, stats.rows_with_index_0, stats.max_index, stats.max_line) == (5, 1, 7, 7)
    decision = decide_zero_based(None, stats)
    assert (decision.zero_based, decision.how) == (False, "default")
    width, _ = inferred_width(stats, False)
    block = SvmlightReader(zero_based=False, width=width).parse(lines(*SVM))
    assert block.labels.tolist() == [1.0, 0.0, 1.0, -1.0] and block.lines == [1, 2, 7, 8]
    assert [(line, reason.split(" (")[0]) for line, _, reason in block.bad] == [
        (5, "feature index 0 in a one-based file"), (6, "label is not a number"),
    ]  # fmt: skip
    assert block.bad[0][1] == "1 qid:3 0:1 1:1"
    dense = block.dense(width)
    assert dense.shape == (4, 7) and dense[0].tolist() == [0.5, 0, 2, 0, 0, 0, 0] and dense[3, 3] == 2


def test_svmlight_n_features_quarantines_wider_rows_only():
    block = SvmlightReader(zero_based=False, width=4).parse(lines(*SVM))
    assert [(line, reason) for line, _, reason in block.bad][-1] == (
        7,
        "feature index beyond n_features 4 (got 7)",
    )
    assert len(block.labels) == 3


def test_svmlight_zero_based_auto_needs_a_majority():
    few = SvmlightStats()
    for i in range(10):
        few.add(i + 1, {0: 1.0, 3: 1.0} if i == 0 else {1: 1.0, 3: 1.0})
    assert decide_zero_based("auto", few).zero_based is False
    many = SvmlightStats()
    for i in range(10):
        many.add(i + 1, {0: 1.0} if i < 6 else {2: 1.0})
    auto = decide_zero_based("auto", many)
    assert (auto.zero_based, auto.how, auto.rows_with_index_0, auto.rows_with_features) == (
        True,
        "auto",
        6,
        10,
    )
    assert decide_zero_based(True, few).to_dict()["how"] == "declared"
    assert inferred_width(many, True) == (3, 7)


@settings(deadline=None)
@given(
    st.lists(st.dictionaries(st.integers(1, 50), st.floats(-1e6, 1e6), max_size=8), min_size=1, max_size=20)
)
def test_svmlight_rows_round_trip_into_dense_columns(rows):
    texts = ["1 " + " ".join(f"{i}:{v!r}" for i, v in sorted(r.items())) for r in rows]
    stats = SvmlightReader().stats(lines(*texts))
    width, _ = inferred_width(stats, False)
    block = SvmlightReader(width=width).parse(lines(*texts))
    assert not block.bad and len(block.labels) == len(rows)
    dense = block.dense(width)
    for k, r in enumerate(rows):
        assert {i + 1: v for i, v in enumerate(dense[k].tolist()) if v} == {i: v for i, v in r.items() if v}


def reference_svmlight(text: str, start: int, end: int) -> tuple[float, dict[int, float]] | str | None:
    """What one line must become: (label, features), a reason, or None (not a record)."""
    try:
        parsed = parse_svmlight_line(text)
    except ValueError as exc:
        return str(exc)
    if parsed is None:
        return None
    if parsed[1] and (min(parsed[1]) < start or max(parsed[1]) >= end):
        return "range"
    return parsed


TOKENS = st.one_of(
    st.integers(0, 12).map(lambda i: f"{i}:1.5"), st.integers(0, 12).map(lambda i: f"{i}:-2e3"),
    st.sampled_from(["qid:4", "3:x", "a:1", ":1", "4", "#c", "7:nan", "2:.5", "1:+1"]),
)  # fmt: skip
LINES = st.builds(
    lambda label, toks: " ".join([label] + toks),
    st.sampled_from(["1", "-1", "0.5", "+1", "x", "nan", ""]),
    st.lists(TOKENS, max_size=6),
)


@settings(deadline=None)
@given(st.lists(LINES, max_size=30), st.booleans())
def test_svmlight_vectorised_path_equals_the_exact_parser(texts, zero_based):
    start, width = (0 if zero_based else 1), 10
    block = SvmlightReader(zero_based=zero_based, width=width).parse(lines(*texts))
    dense = block.dense(width)
    got = {}
    for k, line in enumerate(block.lines):
        got[line] = (block.labels[k], {i + start: v for i, v in enumerate(dense[k].tolist()) if v != 0})
    bad = {line: reason for line, _, reason in block.bad}
    for line, text in lines(*texts):
        want = reference_svmlight(text, start, start + width)
        if want is None:
            assert line not in got and line not in bad
        elif isinstance(want, str):
            assert line in bad and (want == "range" or bad[line] == want)
        else:
            label, feats = got[line]
            assert label == want[0] or (label != label and want[0] != want[0])
            assert feats == {i: v for i, v in want[1].items() if v != 0} or any(
                v != v for v in feats.values()
            )


class _Exact(LineFormat):
    """The reference: lines as LineFormat decodes them, each parsed by the exact parser."""

    def __init__(self, reader: SvmlightReader, encoding: str) -> None:
        self.reader, self.encoding = reader, encoding

    def parse_block(self, records):
        start = 0 if self.reader.zero_based else 1
        exact = self.reader._exact(records, start, start + self.reader.width)
        return exact


def exact_reference(reader: SvmlightReader, data: bytes, encoding: str = "utf-8"):
    """(rows, bad): rows as (line, label, {index: value}) in line order, from the exact path only."""
    import io

    fmt = _Exact(reader, encoding)
    start = 0 if reader.zero_based else 1
    rows, bad = [], []
    for block in fmt.parse_records(LineReader(io.BytesIO(data), 0, 1, "mem"), -1):
        bad += block.bad
        if not hasattr(block, "counts"):  # only undecodable lines in the batch
            continue
        k = 0
        for line, label, n in zip(block.lines, block.labels, block.counts, strict=True):
            cols = [c + start for c in block.cols[k : k + n]]
            feats = dict(zip(cols, block.values[k : k + n], strict=True))
            rows.append((line, label, feats))
            k += n
    return rows, sorted(bad)


def vectorised(reader: SvmlightReader, data: bytes, encoding: str = "utf-8", limit: int = 7):
    """The same from :meth:`SvmlightReader.parse_raw` over :meth:`LineReader.take` batches."""
    import io

    lines = LineReader(io.BytesIO(data), 0, 1, "mem")
    start = 0 if reader.zero_based else 1
    rows, bad = [], []
    while True:
        first, pieces = lines.take(-1, limit)
        if not pieces:
            break
        block = reader.parse_raw(first, pieces, encoding)
        for k, line in enumerate(block.lines):
            lo, hi = block.offsets[k], block.offsets[k + 1]
            cols = [int(c) + start for c in block.cols[lo:hi]]
            feats = dict(zip(cols, block.values[lo:hi].tolist(), strict=True))
            rows.append((line, float(block.labels[k]), feats))
        bad += block.bad
    return rows, sorted(bad)


def bits(rows):
    """Rows with every float as its bit pattern (nan, -0.0 and inf compare exactly)."""
    import struct

    def b(x: float) -> bytes:
        return struct.pack("<d", x)

    return [(line, b(label), [(i, b(v)) for i, v in feats.items()]) for line, label, feats in rows]


HOSTILE = [
    "1 1:0.5 3:2", "0 2:1 # note", "", "# only a comment", "1 qid:3 0:1 1:1", "x 1:1", "1 7:1", "-1 4:2",
    "+1 1:1 2:-0 3:+.5", "1e0 1:1e400 2:1e-400", "-1 1:nan 2:inf", "1 1:1_0", "1_0 1:1", "1 0x1:1",
    "1 1:0x10", "1\t2:3\t4:5  ", "  1 2:3   ", "1 3:1 2:1", "1 2:1 2:2", "1 99999999999999999999:1",
    "1 1000000000000000:1", "1 2:1 qid:5 3:1", "1 2: 3:1", "1 :1", "1 2", "1 \u00b2:1", "1 2:3 # \u00b2 ü",
    "2.5", "   ", "\t# c", "1 1:1\x0b2:2", "1 1:1\x0c", "1 1:00001.50000 2:1.", "-.5e-3 4:.5E+2",
    "0 qid:abc 1:1", "1 qid:1:2 2:1", "1 1:1e99999", "1 1:1e9999 2:-1e-9999",
    "1 1:" + "1" * 40 + "." + "3" * 40,
    "1 1:0.1000000000000000055511151231257827021181583404541015625", "1 001:1 02:2", "1 1:1#c", "1#c 1:1",
    "1 1:-", "1 1:.", "1 1:e5", "1 1:1e", "1 1:1e+", "1 1:+-1", "1 1:1.2.3", "1 1:1ee2", "nan 1:1", "inf",
    "-0 1:-0.0", "qid:1 1:1", "1 qid", "1 qid:", "1 q:1", "1 1:1 qi:2", "1 1::2", "1 1:2:3", "1:1 2:2",
    "1 1:1\x00", "\ufeff1 1:1", "1 10:1 9:1", "1 0:1", "1 0:1 0:2", "1 2:3e5 3:3E-5 4:-3.e+5",
]  # fmt: skip
BREAKS = st.sampled_from(["\n", "\r\n", "\r"])
NUMBERS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr), st.integers(-(10**20), 10**20).map(str),
    st.sampled_from(["1.", ".5", "+1", "-0", "1e5", "1E-5", "+.5e+3", "00.10", "5e", "1e400", "1.5.", "--1"]),
)  # fmt: skip
TOKEN = st.one_of(
    st.builds(lambda i, v: f"{i}:{v}", st.integers(0, 14), NUMBERS),
    st.sampled_from(["qid:7", "#x", "# 1:2", "\t", "  ", "\x0b", "é:1", "3:\u00e9", "1:", ":2", "7"]),
)
LINE = st.builds(lambda label, toks: " ".join([label, *toks]), st.one_of(NUMBERS, st.sampled_from(["", "x"])),
                 st.lists(TOKEN, max_size=6))  # fmt: skip


def check_same(reader: SvmlightReader, data: bytes, encoding: str = "utf-8", limit: int = 7) -> None:
    want_rows, want_bad = exact_reference(reader, data, encoding)
    got_rows, got_bad = vectorised(reader, data, encoding, limit)
    assert bits(got_rows) == bits(want_rows)
    assert got_bad == want_bad


@pytest.mark.parametrize("zero_based", [False, True])
@pytest.mark.parametrize("width", [0, 3, 10, 10**15])
@pytest.mark.parametrize("brk", ["\n", "\r\n", "\r"])
def test_svmlight_raw_path_equals_the_exact_parser_on_hostile_lines(zero_based, width, brk):
    data = brk.join(HOSTILE).encode("utf-8", "surrogatepass")
    for limit in (1, 5, 1000):
        check_same(SvmlightReader(zero_based, width), data, limit=limit)
        check_same(SvmlightReader(zero_based, width), data + brk.encode(), limit=limit)
    check_same(SvmlightReader(zero_based, width), b"\xef\xbb\xbf1 1:1\n\xff 1:1\n1 2:\xe9\n1 1:2", "utf-8")
    check_same(SvmlightReader(zero_based, width), "1 1:2\n\u00e9 1:1\n".encode("latin-1"), "latin-1")
    check_same(SvmlightReader(zero_based, width), "1 1:2\n0 2:1\n".encode("utf-16-le"), "utf-16-le")


@settings(deadline=None, max_examples=300)
@given(
    st.lists(st.tuples(LINE, BREAKS), max_size=25),
    st.booleans(),
    st.sampled_from([0, 5, 13]),
    st.integers(1, 9),
)
def test_svmlight_raw_path_equals_the_exact_parser(lines, zero_based, width, limit):
    data = "".join(t + b for t, b in lines).encode()
    check_same(SvmlightReader(zero_based, width), data, limit=limit)


@settings(deadline=None, max_examples=200)
@given(st.lists(st.tuples(LINE, BREAKS), max_size=25))
def test_svmlight_vectorised_stats_equal_the_exact_count(lines):
    data = "".join(t + b for t, b in lines).encode()
    pieces = data.splitlines(keepends=True)
    records = [(k + 1, p.rstrip(b"\r\n").decode()) for k, p in enumerate(pieces) if p.rstrip(b"\r\n")]
    want = SvmlightReader().stats_exact(records)
    assert SvmlightReader().stats_raw(1, pieces, "utf-8") == want
    assert SvmlightReader().stats(records) == want


def test_svmlight_parse_pass_ships_vectors_and_bad_rows_carry_an_empty_one(tmp_path):
    from sparkwing.lake._line_formats import SvmlightLines
    from sparkwing.lake._lines import parse_local, plan_splits
    from sparkwing.lake._uri import SourceFile

    path = tmp_path / "s.svm"
    path.write_bytes(b"1 1:0.5 3:2\r\nx 1:1\n\n1 2:1 2:2\r\xff 1:1\n-1 4:2 # c")
    fmt = SvmlightLines(SvmlightReader(False, 4), "label", "utf-8")
    table = parse_local(fmt, plan_splits([SourceFile(str(path), path.stat().st_size)]))
    rows = sorted(table.to_pylist(), key=lambda r: r["_sw_line"])
    assert [(r["_sw_line"], r["label"], r["_sw_reason"] is None) for r in rows] == [
        (1, 1.0, True), (2, None, False), (4, None, False), (5, None, False), (6, -1.0, True),
    ]  # fmt: skip
    assert rows[0]["_sw_features"] == {"type": 0, "size": 4, "indices": [0, 2], "values": [0.5, 2.0]}
    assert rows[4]["_sw_features"] == {"type": 0, "size": 4, "indices": [3], "values": [2.0]}
    assert all(r["_sw_features"] == {"type": 0, "size": 4, "indices": [], "values": []} for r in rows[1:4])
    assert rows[3]["_sw_bad"] == "\\xff 1:1" and rows[3]["_sw_reason"] == "not valid utf-8 text"


# --- ARFF ------------------------------------------------------------------------------------

ARFF = [
    "% comment",
    "@relation r",
    "@attribute x numeric",
    "@attribute c {a, 'b c', 'd,e'}",
    "@attribute s string",
    "@attribute t date 'dd/MM/yyyy HH:mm'",
    "@attribute n integer",
    "@data",
]


def arff_header():
    return parse_arff_header(ARFF)


def test_arff_quoted_nominals_escapes_and_dates():
    h = arff_header()
    row = parse_arff_row("1, 'd,e', 'line\\nnext\\ttab \\'q\\'', '02/03/2021 04:05', 12345678901234567", h)
    assert row == [1.0, "d,e", "line\nnext\ttab 'q'", dt.datetime(2021, 3, 2, 4, 5, tzinfo=dt.timezone.utc),
                   12345678901234567]  # fmt: skip
    assert parse_arff_row("?, ?, ?, ?, ?", h) == [None] * 5


def test_arff_sparse_rows_with_quotes_and_comments():
    h = arff_header()
    assert parse_arff_row("{1 'd,e', 2 'x, y'} % tail", h) == [0.0, "d,e", "x, y", None, 0]
    assert parse_arff_row("{}", h) == [0.0, "a", None, None, 0]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("{2 x, 1 a}", "sparse indices not increasing (got 1 after 2)"),
        ("{1 a, 1 b}", "sparse indices not increasing (got 1 after 1)"),
        ("{9 x}", "sparse index 9 out of range (5 attributes)"),
        ("{1 a", "sparse row without closing '}'"),
        ("{0 1}, {5}", "instance weights are not supported"),
        ("1, a, x, ?, 1, {2}", "instance weights are not supported"),
        ("1_0, a, x, ?, 1", "x: not a number"),
        (
            "1, a, x, '31/02/2021 00:00', 1",
            "t: not a date (got '31/02/2021 00:00', expected dd/MM/yyyy HH:mm)",
        ),
        ("1, a, x, ?, 99999999999999999999", "n: out of range for bigint"),
        ("1, a, x, ?, 2.5", "n: not an integer"),
        ("1, a, x", "wrong number of values (expected 5, got 3)"),
    ],
)
def test_arff_bad_rows(line, reason):
    with pytest.raises(ArffRowError) as info:
        parse_arff_row(line, arff_header())
    assert str(info.value).startswith(reason)


def test_arff_reader_skips_the_header_and_keeps_line_numbers():
    h = arff_header()
    data = ARFF + ["1, a, x, ?, 1", "", "2, zz, y, ?, 2", "% c", "3, 'b c', z, ?, 3"]
    block = ArffReader(h, "UTC").parse(lines(*data), h.data_line)
    assert block.columns[0] == [1.0, 3.0] and block.columns[1] == ["a", "b c"]
    assert block.bad == [(11, "2, zz, y, ?, 2", "c: not in the nominal domain (got 'zz')")]
    assert block.lines == [9, 13]


def test_arff_header_errors_for_unsupported_things():
    from sparkwing.errors import SourceError

    with pytest.raises(SourceError, match="relational attribute 'bag' is not supported"):
        parse_arff_header(["@relation r", "@attribute bag relational", "@data"])
    with pytest.raises(SourceError, match="line 2: attribute 'd': .*unsupported letter"):
        parse_arff_header(["@relation r", "@attribute d date 'yyyy-QQ'", "@data"])
    with pytest.raises(SourceError, match="text after @data"):
        parse_arff_header(["@relation r", "@attribute a numeric", "@data 1"])


@pytest.mark.parametrize(
    ("reason", "kind"),
    [
        ("id: 2.5 is not an int", "id: not an int"),
        ('amount: "12" is not a double', "amount: not a double"),
        ("o: an object is not a boolean", "o: not a boolean"),
        ("n: 3000000000 is out of range for int", "n: out of range for int"),
        ("p: 1.234 does not fit decimal(5,2)", "p: does not fit decimal(5,2)"),
        ("day: '2021-13-40' is not a valid date (yyyy-MM-dd)", "day: not a valid date (yyyy-MM-dd)"),
        ("c: not in the nominal domain (got 'q r')", "c: not in the nominal domain"),
        ("x: not a number (got 'zz')", "x: not a number"),
        ("t: not a date (got '1/2/21', expected yyyy-MM-dd)", "t: not a date"),
        ("label is not a number (got 'x')", "label is not a number"),
        ("wrong number of values (expected 5, got 3)", "wrong number of values (expected 5, got 3)"),
        ("feature indices not increasing (got 2 after 3)", "feature indices not increasing"),
        ("feature index beyond n_features 4 (got 7)", "feature index beyond n_features 4"),
        ("trailing data after JSON object", "trailing data after JSON object"),
    ],
)
def test_reason_kinds_drop_the_value(reason, kind):
    from sparkwing.lake._line_formats import reason_kind

    assert reason_kind(reason) == kind


_JAVA_TRIM = "".join(chr(c) for c in range(33))  # String.trim drops every char <= U+0020


def spark_libsvm(text: str) -> tuple[float, dict[int, float]] | None:
    """Spark's libsvm reader on one line (``MLUtils.parseLibSVMRecord`` after ``trim``), with
    Python's ``float`` for Java's ``toDouble`` (the same on the plain grammar)."""
    line = text.strip(_JAVA_TRIM)
    if not line or line.startswith("#"):
        return None
    items = line.split(" ")
    feats = {}
    for item in (x for x in items[1:] if x):
        parts = item.split(":")
        feats[int(parts[0])] = float(parts[1])
    assert list(feats) == sorted(set(feats))  # Spark requires strictly increasing indices
    return float(items[0]), feats


def check_plain(data: bytes, width: int) -> bool:
    """When the survey calls ``data`` clean for a one-based read of ``width`` features, the
    exact parser accepts every record, the survey counted them, and Spark's reader agrees."""
    pieces = data.splitlines(keepends=True)
    stats = SvmlightReader().stats_raw(1, pieces, "utf-8")
    if not stats.clean_for(False, width):
        return False
    texts = [(k + 1, p.rstrip(b"\r\n").decode()) for k, p in enumerate(pieces) if p.rstrip(b"\r\n")]
    exact = SvmlightReader(False, width)._exact(texts, 1, 1 + width)
    assert exact.bad == [] and len(exact.lines) == stats.records
    spark = [r for r in (spark_libsvm(t) for _, t in texts) if r is not None]
    ours = [(exact.labels[k].hex(), exact.counts[k]) for k in range(len(exact.lines))]
    assert [(label.hex(), len(f)) for label, f in spark] == ours  # hex: -0.0 is not 0.0
    flat = [(i - 1, v.hex()) for _, f in spark for i, v in f.items()]
    assert flat == [(c, v.hex()) for c, v in zip(exact.cols, exact.values, strict=True)]
    return True


CLEAN_LINE = st.builds(
    lambda label, idx, vals, pad: pad
    + " ".join([label, *(f"{i}:{v}" for i, v in zip(sorted(idx), vals, strict=False))]),
    NUMBERS, st.sets(st.integers(1, 14), max_size=6), st.lists(NUMBERS, min_size=6, max_size=6),
    st.sampled_from(["", " ", "  "]),
)  # fmt: skip


@settings(deadline=None, max_examples=300)
@given(st.lists(st.tuples(st.one_of(LINE, CLEAN_LINE, CLEAN_LINE), BREAKS), max_size=20))
def test_svmlight_survey_calls_clean_only_what_spark_reads_as_the_exact_parser(lines):
    check_plain("".join(t + b for t, b in lines).encode(), 14)


@pytest.mark.parametrize(
    "line",
    ["1 3:1 # c", "# only a comment", "1 qid:3 2:1", "1\t2:1", "1 0:1", "1 2:1 2:2", "1 3:1 2:1",
     "1 2:abc", "yes 2:1", "1 2:nan", "1 2:1_0", "1 2:1e99999", "1 caf\u00e9:1", "\ufeff1 2:1", "1 15:1",
     "1 2=1", "1 2:1\x0b"],
)  # fmt: skip
def test_svmlight_survey_sends_hostile_lines_to_the_exact_path(line):
    clean = "1 1:0.5 3:2\r\n\n  -1 4:1e3\r+1   007:.5\n2\n"
    assert check_plain(clean.encode(), 14)
    assert not check_plain((clean + line + "\n").encode(), 14)


def _survey_both(data: bytes, monkeypatch) -> tuple[tuple, tuple]:
    """The survey with its regex fast path (:func:`plain_spans`) and with every line sent to
    :func:`scan_raw` instead: every field, ``plain`` and ``records`` included."""
    import numpy as np

    import sparkwing.lake._svmlight as S

    pieces = data.splitlines(keepends=True)

    def fields(st: S.SvmlightStats) -> tuple:
        return (st.rows, st.rows_with_index_0, st.max_index, st.max_line, st.max_index_no_0,
                st.max_line_no_0, st.plain, st.records)  # fmt: skip

    fast = fields(SvmlightReader().stats_raw(3, pieces, "utf-8"))
    with monkeypatch.context() as m:
        m.setattr(S, "plain_spans", lambda numbers, p: (S._Spans.empty(), np.arange(len(p))))
        slow = fields(SvmlightReader().stats_raw(3, pieces, "utf-8"))
    return fast, slow


@settings(deadline=None, max_examples=300)
@given(st.lists(st.tuples(st.one_of(LINE, CLEAN_LINE, st.sampled_from(HOSTILE)), BREAKS), max_size=25))
def test_svmlight_survey_fast_path_counts_as_the_byte_scan(lines):
    with pytest.MonkeyPatch.context() as mp:
        fast, slow = _survey_both("".join(t + b for t, b in lines).encode("utf-8", "surrogatepass"), mp)
    assert fast == slow


def test_svmlight_survey_fast_path_takes_plain_lines_only(monkeypatch):
    """Plain lines are counted by the regex pass, and each kind of line it must not take
    (tabs, comments, qid, index 0 first, repeated or decreasing indices, long exponents or
    indices, other bytes) leaves it for the byte scan, with the same stats."""
    import numpy as np

    from sparkwing.lake._svmlight import plain_spans

    plain = ["1 1:0.5 3:2", "  -1 2:1e-4  ", "+.5 7:1. 9:-.25E+12", "0", "", "   ", "2 000:1 0012:3",
             "1 999999999999999:1"]  # fmt: skip
    pieces = [(x + "\n").encode() for x in plain] + [b"1 5:1\r\n", b"1 6:1\r", b"1 4:1"]
    spans, rest = plain_spans(np.arange(len(pieces)) + 1, pieces)
    assert list(rest) == [] and spans.records == 9
    assert list(spans.lines) == [1, 2, 3, 7, 8, 9, 10, 11]
    assert list(spans.tops) == [3, 2, 9, 12, 10**15 - 1, 5, 6, 4]
    not_plain = ["1\t2:3", "1 2:3 # c", "1 qid:2 3:1", "1 3:1 2:1", "1 2:1 2:2", "1 1:1e12345",
                 "1 1000000000000000:1", "1 1:1\x0b", "1 1:+-1", "1 1:0x1", "\ufeff1 1:1", "1 1:é", "1 :1",
                 "1 1::1", "1 1:1:1", "1:1", "1 1:nan", "1 1:1_0"]  # fmt: skip
    pieces = [(x + "\n").encode() for x in not_plain]
    spans, rest = plain_spans(np.arange(len(pieces)), pieces)
    assert list(rest) == list(range(len(not_plain))) and spans.records == 0
    fast, slow = _survey_both("\n".join(plain + not_plain).encode(), monkeypatch)
    assert fast == slow and fast[6] is False
