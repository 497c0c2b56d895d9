"""The JSON first pass's fast path (:mod:`sparkwing.lake._json_shape`) gives exactly what the
line-by-line pass gives for a block: every field of the summary, key order included."""

from __future__ import annotations

import json

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sparkwing.lake import _json_shape as shape
from sparkwing.lake._json import MAX_EXTRA_KEYS, OTHER_KEYS, JsonColumn, JsonOptions, JsonReader
from tests.unit.test_lake_format_parsers import DECLARED_JSON, HOSTILE_JSON

STRICT = JsonOptions()
# Values of each kind, the awkward ones among them: digit runs of 18 and 19 in strings and
# numbers, escapes (a \u escape before a digit, surrogates), -0, exponents, long integers.
INTS = st.one_of(
    st.integers(-(10**20), 10**20), st.sampled_from([0, -0, 10**17, 10**18, 2**31, -(2**31) - 1, 99, 100])
)
FLOATS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([-0.0, 1e5, 1.5e-7, 1e100, 1e-100, 123456789012345678.5, 0.1]),
)
STRINGS = st.one_of(
    st.text(max_size=6),
    st.sampled_from(["1" * 18, "1" * 19, "a" + "2" * 18 + "b", "\u00e9" * 3, "\U0001f600", "\\", '"', "\x00",
                     "[" * 5, "12345678901234567890", "\u0031\u0032"]),
)  # fmt: skip
SCALAR = st.one_of(st.none(), st.booleans(), INTS, FLOATS, STRINGS)
KEYS = st.sampled_from(["a", "b", "c", "x", "k \u00e9", 'q"t', "1234567890123456789", ""])


def _write(obj: dict, style: int) -> str:
    """An object as one line, in one of several writers' styles."""
    if style == 1:
        return json.dumps(obj)  # ensure_ascii: \\u escapes; spaces after separators
    if style in (0, 2):  # (orjson's style; orjson itself writes no integer past 64 bits)
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return " " + json.dumps(obj, separators=(" , ", " : ")).replace("{", "{ \t", 1) + "\t "


@st.composite
def blocks(draw) -> list[str]:
    """Lines mostly of one shape (the first line's keys with values of the same kinds, or
    null), some of other shapes and some hostile, in a few writers' styles."""
    keys = draw(st.lists(KEYS, min_size=0, max_size=4, unique=True))
    first = {k: draw(SCALAR) for k in keys}
    style = draw(st.integers(0, 3))
    out = []
    for _ in range(draw(st.integers(1, 12))):
        pick = draw(st.integers(0, 9))
        if pick < 6:
            obj = {}
            for k, v in first.items():
                kinds = {bool: st.booleans(), int: INTS, float: FLOATS, str: STRINGS}
                same = kinds.get(type(v), st.none())
                obj[k] = draw(st.one_of(st.none(), same))
            out.append(_write(obj, style if pick else draw(st.integers(0, 3))))
        elif pick < 8:
            other = draw(st.lists(KEYS, max_size=4, unique=True))
            out.append(_write({k: draw(SCALAR) for k in other}, style))
        else:
            out.append(draw(st.sampled_from(HOSTILE_JSON + DECLARED_JSON)))
    if draw(st.booleans()):
        out.insert(0, _write(first, style))
    return out


def _records(texts: list[str]) -> list[tuple[int, str]]:
    return [(k + 2, t) for k, t in enumerate(texts) if t]


def _kinds_fields(k) -> tuple:
    return (list(k.kinds.items()), k.too_many, k.rows, k.rejected, k.unproven, k.plain)


@settings(deadline=None, max_examples=500)
@given(blocks())
def test_shaped_kinds_equal_the_line_by_line_kinds(texts):
    records = _records(texts)
    reader = JsonReader((), STRICT, "UTC", declared=False)
    try:
        want = reader.kinds(records)
    except (orjson.JSONEncodeError, TypeError):
        return
    assert _kinds_fields(shape.kinds(reader, records)) == _kinds_fields(want)


SQL = st.sampled_from(["int", "bigint", "tinyint", "smallint", "double", "float", "string", "boolean",
                       "date"])  # fmt: skip


@settings(deadline=None, max_examples=500)
@given(blocks(), st.lists(st.tuples(st.sampled_from("abcz"), SQL), min_size=1, max_size=3))
def test_shaped_check_equals_the_line_by_line_check(texts, columns):
    records = _records(texts)
    cols = tuple(JsonColumn(n, t) for n, t in dict(columns).items())
    reader = JsonReader(cols, STRICT, "UTC", declared=True)
    converters = reader.converters()
    try:
        want = reader.check(records, converters)
    except (orjson.JSONEncodeError, TypeError):
        return
    got = shape.check(reader, records, converters)
    assert got == want and [list(e.items()) for e in got.extra] == [list(e.items()) for e in want.extra]


def test_a_file_of_one_shape_is_counted_without_the_line_by_line_pass(monkeypatch):
    """The common file: every line of the first line's shape (nulls anywhere), so the
    line-by-line pass never runs; a line of another shape goes to it alone."""
    lines = [orjson.dumps({"id": i, "x": None if i % 3 else i / 7, "s": f"r{i}", "b": i % 2 == 0}).decode()
             for i in range(1, 200)]  # fmt: skip
    records = _records(lines)
    reader = JsonReader((), STRICT, "UTC", declared=False)
    want = reader.kinds(records)
    seen: list[int] = []
    real = JsonReader.kinds

    def spy(self, recs):
        seen.append(len(recs))
        return real(self, recs)

    monkeypatch.setattr(JsonReader, "kinds", spy)
    got = shape.kinds(reader, records)
    assert seen == [] and _kinds_fields(got) == _kinds_fields(want) and got.rows == 199 and got.plain
    odd = _records([*lines[:5], '{"id": 1.5, "x": null, "s": "r", "b": true}', *lines[5:9]])
    got = shape.kinds(reader, odd)
    assert seen == [] and _kinds_fields(got) == _kinds_fields(real(reader, odd))  # a second shape
    odd = _records([*lines[:5], "[1]", '{"id": 1.5}', '{"id": 1.5, "x": 2}', "{}", *lines[5:9]])
    got = shape.kinds(reader, odd)
    assert seen == [4] and _kinds_fields(got) == _kinds_fields(real(reader, odd))


@pytest.mark.parametrize(
    "line",
    [
        '{"a": "1234567890123456789"}',  # 19 digits: what _unproven flags
        '{"a": "\\u00319"}',  # a \\u escape's hex digits run on into a digit
        '{"a": 1234567890123456789}',
        '{"a": "\\ud83d\\ude00"}',  # a surrogate pair (orjson takes it; the shape does not)
        '{"a": 1e100}',  # a three-digit exponent
        '{"a": 01}', '{"a": 1,}', '{"a": 1} {"a": 2}', '{"a": 1, "a": 2}', '\ufeff{"a": 1}', '{"a": 1}\x00',
        '{"a": "x\ty"}', '{"a": NaN}', "{'a': 1}",
    ],
)  # fmt: skip
def test_lines_the_shape_leaves_to_the_line_by_line_pass(line):
    sh = shape.shape_of('{"a": 1}' if "1" in line and '"' not in line.split(":")[1] else '{"a": "s"}', None)
    assert sh is not None and not shape.shaped([line], sh)[0]


def test_extra_keys_past_the_cap_are_counted_line_by_line():
    reader = JsonReader((JsonColumn("a", "int"),), STRICT, "UTC", declared=True)
    wide = orjson.dumps({"a": 1, **{f"k{i}": i for i in range(MAX_EXTRA_KEYS + 3)}}).decode()
    records = _records([wide] * 3)
    got = shape.check(reader, records, reader.converters())
    assert got == reader.check(records, reader.converters()) and got.extra[0][OTHER_KEYS] == 9


def _raw_block(records: list[tuple[int, str]], breaks: list[str]):
    from sparkwing.lake._lines import RawBlock

    pieces = [(t + breaks[k % len(breaks)]).encode() for k, (_, t) in enumerate(records)]
    if pieces and breaks[-1] == "":  # the file's last line, without a break
        pieces[-1] = records[-1][1].encode()
    return RawBlock([n for n, _ in records], pieces)


BREAK_LISTS = st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=1, max_size=3).map(lambda b: [*b, ""])


@settings(deadline=None, max_examples=300)
@given(blocks(), BREAK_LISTS)
def test_raw_lines_are_summarised_as_their_texts(texts, breaks):
    """Physical lines (not decoded: RE2 over their bytes) give what their texts give, for
    inferred and declared columns alike."""
    records = [(n, t) for n, t in _records(texts) if "\r" not in t and "\n" not in t]
    try:
        records = [(n, t) for n, t in records if t.encode()]
    except UnicodeEncodeError:  # a lone surrogate: no UTF-8 file holds it
        return
    raw = _raw_block(records, breaks)
    assert raw.records() == records
    reader = JsonReader((), STRICT, "UTC", declared=False)
    try:
        want = reader.kinds(records)
    except (orjson.JSONEncodeError, TypeError):
        return
    assert _kinds_fields(shape.kinds_raw(reader, raw)) == _kinds_fields(want)
    declared = JsonReader((JsonColumn("a", "int"), JsonColumn("b", "string")), STRICT, "UTC", declared=True)
    conv = declared.converters()
    got, want_check = shape.check_raw(declared, raw, conv), declared.check(records, conv)
    assert got == want_check
    assert [list(e.items()) for e in got.extra] == [list(e.items()) for e in want_check.extra]


def test_raw_lines_of_one_shape_with_other_characters():
    """Keys and strings outside ASCII, read byte by byte by RE2, still match (and only)
    their own shape."""
    reader = JsonReader((), STRICT, "UTC", declared=False)
    texts = ['{"clé": "été ☃ \U0001f600", "n": 1}', '{"clé": "ü", "n": 2}', '{"cle": "u", "n": 3}',
             '{"clé": "x", "n": 4}']  # fmt: skip
    records = _records(texts)
    raw = _raw_block(records, ["\r\n", ""])
    assert shape.shaped_raw(raw.pieces, shape.shape_of(texts[0], None)).tolist() == [True, True, False, True]
    assert _kinds_fields(shape.kinds_raw(reader, raw)) == _kinds_fields(reader.kinds(records))


def test_a_pattern_re2_refuses_leaves_the_block_to_the_line_by_line_pass(monkeypatch):
    import pyarrow as pa
    import pyarrow.compute as pc

    def refuse(*args, **kwargs):
        raise pa.ArrowInvalid("Invalid regular expression: pattern too large - compile failed")

    records = _records(['{"a": 1}', '{"a": 2.5}'])
    reader = JsonReader((), STRICT, "UTC", declared=False)
    want = _kinds_fields(reader.kinds(records))
    monkeypatch.setattr(pc, "match_substring_regex", refuse)
    assert _kinds_fields(shape.kinds(reader, records)) == want
    assert _kinds_fields(shape.kinds_raw(reader, _raw_block(records, ["\n", ""]))) == want
