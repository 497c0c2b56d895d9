"""The JSON first pass's fast path: the lines of a block written in its first line's shape.

Files written by one program repeat one shape: the same keys in the same order, each with a
value of one kind (or ``null``).  From a block's first line this module builds one regular
expression for that shape (:func:`shape_of`), and Arrow's RE2 engine matches it against every
line of the block in C++ (:func:`shaped`), in linear time and without building an object.
A matching line is then known without parsing it: an object orjson reads (strict RFC 8259),
with exactly these keys, no repeated key, each value of its key's kind, no run of 19 digits
(so no integer past 64 bits, nothing :func:`~sparkwing.lake._json._unproven` would flag) and
no nesting.  So the summary of the matching lines is the shape's, times their number; the
other lines take :meth:`~sparkwing.lake._json.JsonReader.kinds` (or ``check``), and the two
summaries combine into exactly what those methods give for the whole block
(:func:`kinds`, :func:`check`).

With declared columns a value must also be one its column's converter surely takes: integers
of a few digits for the integer types, numbers for ``double``, ``true``/``false`` for
``boolean``, strings for ``string``; any other declared type only ``null``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from sparkwing.lake._json import (
    _DEEP,
    BOOL,
    FLOAT,
    INT,
    MAX_EXTRA_KEYS,
    OTHER_KEYS,
    PLAIN_LINE_CHARS,
    STRING,
    JsonCheck,
    JsonReader,
    KeyKinds,
    kind_of,
)
from sparkwing.lake._lines import RawBlock, arrow_lines, strip_break

MAX_SHAPE_KEYS = 256  # a wider first line takes the line-by-line pass (a smaller regex stays fast)

# The digits each integer type surely holds (a 64-bit integer of 18 digits, an int of 9, ...).
_INT_DIGITS = {"tinyint": 2, "smallint": 4, "int": 9, "bigint": 18}
_WS = "[ \\t]*"  # JSON whitespace within a line


def _int(digits: int) -> str:
    return f"-?(?:0|[1-9][0-9]{{0,{digits - 1}}})"


# A number with a fraction or an exponent (orjson reads it as a float): at most 18 digits in
# each part, exponents of two digits, so never infinite and never a 19-digit run.
_FLOAT = f"{_int(18)}(?:\\.[0-9]{{1,18}}(?:[eE][+-]?[0-9]{{1,2}})?|[eE][+-]?[0-9]{{1,2}})"
# A string.  A character: anything but a quote, a backslash or a control character, or a
# simple escape; ``\uXXXX`` escapes but not of a surrogate (orjson rejects a lone one, and a
# pair is rare).  Digit runs end by 18 and no digit follows a \u escape (its hex digits could
# run on), so no run of 19 digits, as in the file's own text, is ever a match.
_CHAR = '(?:[^"\\\\\\x00-\\x1f0-9]|\\\\["\\\\/bfnrt])'
_UESC = "\\\\u(?:[0-9a-cA-Ce-fE-F][0-9a-fA-F]{3}|[dD][0-7][0-9a-fA-F]{2})"
_STRING = f'"(?:(?:[0-9]{{1,18}})?(?:{_UESC})*{_CHAR})*(?:[0-9]{{1,18}})?(?:{_UESC})*"'
_LONG_RUN = re.compile("[0-9]{19}")


@dataclass(frozen=True)
class Shape:
    """One line's keys (in order), the kind bit of each value (0: null), and the pattern of
    every line of that shape."""

    keys: tuple[str, ...]
    bits: tuple[int, ...]
    pattern: str

    @property
    def raw_pattern(self) -> str:
        """The pattern of a physical line of the shape, with its break (see :func:`shaped_raw`)."""
        return self.pattern[:-1] + "(?:\\r\\n|\\n|\\r)?$"


def _value(value: Any, sql: str | None) -> tuple[str, int] | None:
    """The pattern of values of ``value``'s kind (or null) and that kind's bit; None when the
    kind has no pattern here, or ``sql`` (a declared column's type) does not surely take it."""
    if value is None:
        return "null", 0
    bit = kind_of(value)
    if bit == BOOL and sql in (None, "boolean"):
        return "(?:true|false|null)", BOOL
    if bit == INT and sql in (None, "double", *_INT_DIGITS):
        return f"(?:{_int(_INT_DIGITS.get(sql or '', 18))}|null)", INT
    if bit == FLOAT and type(value) is float and sql in (None, "double"):
        return f"(?:{_FLOAT}|null)", FLOAT
    if bit == STRING and sql in (None, "string"):
        return f"(?:{_STRING}|null)", STRING
    return None


def _literal(text: str) -> str:
    """``text`` as an RE2 literal: ASCII punctuation and spaces as ``\\xHH``."""
    return "".join(c if c.isalnum() or ord(c) > 127 else f"\\x{ord(c):02x}" for c in text)


def shape_of(text: str, declared: dict[str, str] | None) -> Shape | None:
    """The shape of one line (an object of at most :data:`MAX_SHAPE_KEYS` scalar values), or
    None.  ``declared``: the declared columns' types (then other keys are extra keys, of any
    kind); None when every key is inferred.  The line itself need not match its pattern (a key
    written with escapes, a repeated key): :func:`shaped` then finds no line of it."""
    if len(text) > PLAIN_LINE_CHARS:
        return None
    try:
        obj = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    if type(obj) is not dict or len(obj) > MAX_SHAPE_KEYS:
        return None
    parts, bits = [], []
    for key, value in obj.items():
        sql = None if declared is None else declared.get(key)
        found = _value(value, sql)
        name = orjson.dumps(key).decode()
        if found is None or _LONG_RUN.search(name):
            return None
        parts.append(f"{_WS}{_literal(name)}{_WS}:{_WS}{found[0]}")
        bits.append(found[1])
    body = f"{_WS},".join(parts)
    return Shape(tuple(obj), tuple(bits), f"^{_WS}\\{{{body}{_WS}\\}}{_WS}$")


def _matches(lines: Any, pattern: str) -> Any:
    """RE2's verdict per line, or None when RE2 will not take the pattern (too large)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        return pc.match_substring_regex(lines, pattern).to_numpy(zero_copy_only=False)
    except pa.ArrowException:
        return None


def shaped(texts: list[str], shape: Shape) -> Any:
    """Which lines are of ``shape`` (a numpy bool array), or None when Arrow cannot take the
    texts.  Lines too long for Spark's reader to take alike, or long enough to hold a deep
    nesting's brackets in their strings, are not (as :func:`~sparkwing.lake._json.plain_lines`
    and :func:`~sparkwing.lake._json._unproven` would judge them)."""
    import numpy as np
    import pyarrow as pa

    try:
        lines = pa.array(texts, pa.string())
    except (pa.ArrowException, UnicodeEncodeError):
        return None
    lengths = np.fromiter(map(len, texts), np.int64, len(texts))
    match = _matches(lines, shape.pattern)
    return _plain(match, lengths, lambda k: texts[k].count("[") + texts[k].count("{"))


def shaped_raw(pieces: list[bytes], shape: Shape) -> Any:
    """:func:`shaped` of physical lines of valid UTF-8 (each with its break, or none), not
    decoded: RE2 reads the bytes one by one (Latin-1), which on valid UTF-8 matches what it
    matches in the text (the pattern's characters outside ASCII match their own bytes, and
    the bytes of any other such character are taken one by one by the classes that take it).
    A line's length is its bytes here: at least its characters (so never more is taken)."""
    lines, lengths, _ = arrow_lines(pieces)
    return _plain(
        _matches(lines, shape.raw_pattern), lengths, lambda k: pieces[k].count(b"[") + pieces[k].count(b"{")
    )


def _plain(match: Any, lengths: Any, brackets: Callable[[int], int]) -> Any:
    """``match`` less the lines over :data:`PLAIN_LINE_CHARS` and the long ones with
    :data:`_DEEP` brackets or more (``brackets(k)``: line ``k``'s count)."""
    import numpy as np

    if match is None:
        return None
    match &= lengths <= PLAIN_LINE_CHARS
    for k in np.flatnonzero(match & (lengths >= 2 * _DEEP)):
        match[k] = brackets(int(k)) < _DEEP
    return match


class _Texts:
    """A block's records as decoded ``(line, text)``."""

    def __init__(self, records: list[tuple[int, str]]) -> None:
        self.items = records

    def __len__(self) -> int:
        return len(self.items)

    def first(self) -> str:
        return self.items[0][1]

    def match(self, shape: Shape) -> Any:
        return shaped([t for _, t in self.items], shape)

    def without(self, match: Any) -> _Texts:
        return _Texts([r for r, ok in zip(self.items, match.tolist(), strict=True) if not ok])

    def records(self) -> list[tuple[int, str]]:
        return self.items


class _Raw:
    """A block's records as physical lines of valid UTF-8 (:meth:`LineFormat.raw_blocks`)."""

    def __init__(self, block: RawBlock) -> None:
        self.block = block

    def __len__(self) -> int:
        return len(self.block.pieces)

    def first(self) -> str:
        return strip_break(self.block.pieces[0]).decode("utf-8")

    def match(self, shape: Shape) -> Any:
        return shaped_raw(self.block.pieces, shape)

    def without(self, match: Any) -> _Raw:
        import numpy as np

        keep = np.flatnonzero(~match).tolist()
        numbers, pieces = self.block.numbers, self.block.pieces
        return _Raw(RawBlock([numbers[k] for k in keep], [pieces[k] for k in keep]))

    def records(self) -> list[tuple[int, str]]:
        return self.block.records()


MAX_SHAPES = 4  # shapes tried per block: a null in the first line leaves its key's kind open


def _split(
    lines: _Texts | _Raw, declared: dict[str, str] | None
) -> tuple[list[tuple[Shape, int]], Any] | None:
    """The shapes of the block, each with its count of lines, and the lines of none; None
    when the first line has no shape it matches (then the block takes the line-by-line pass).

    The first shape is the first line's; each next one is that of the first line no shape
    took so far, so a key first appears, in line order, in the first shape holding it, and a
    key of the leftover records after every shape's first line: the kinds and the extra keys
    come out in the order the line-by-line pass finds them.
    """
    shapes: list[tuple[Shape, int]] = []
    rest = lines
    while len(rest) and len(shapes) < MAX_SHAPES:
        shape = shape_of(rest.first(), declared)
        match = None if shape is None else rest.match(shape)
        if shape is None or match is None or not match[0]:
            break
        shapes.append((shape, int(match.sum())))
        rest = rest.without(match)
    return (shapes, rest) if shapes else None


def kinds(reader: JsonReader, records: list[tuple[int, str]]) -> KeyKinds:
    """:meth:`JsonReader.kinds` of a block (inferred columns), the shaped lines counted at once."""
    return _kinds(reader, _Texts(records))


def kinds_raw(reader: JsonReader, block: RawBlock) -> KeyKinds:
    """:func:`kinds` of a block of physical lines of valid UTF-8, the shaped ones not decoded."""
    return _kinds(reader, _Raw(block))


def _kinds(reader: JsonReader, lines: _Texts | _Raw) -> KeyKinds:
    found = None if reader.options.exact_decimals else _split(lines, None)
    if found is None:
        return reader.kinds(lines.records())
    shapes, rest = found
    out = KeyKinds()
    for shape, n in shapes:
        out.merge(KeyKinds(dict(zip(shape.keys, shape.bits, strict=True)), rows=n))
    return out.merge(reader.kinds(rest.records())) if len(rest) else out


def check(reader: JsonReader, records: list[tuple[int, str]], converters: list[Any]) -> JsonCheck:
    """:meth:`JsonReader.check` of a block (declared columns), the shaped lines counted at once."""
    return _check(reader, _Texts(records), converters)


def check_raw(reader: JsonReader, block: RawBlock, converters: list[Any]) -> JsonCheck:
    """:func:`check` of a block of physical lines of valid UTF-8, the shaped ones not decoded."""
    return _check(reader, _Raw(block), converters)


def _check(reader: JsonReader, lines: _Texts | _Raw, converters: list[Any]) -> JsonCheck:
    declared = {c.name: c.sql for c in reader.columns}
    found = None if reader.options.exact_decimals else _split(lines, declared)
    if found is None:
        return reader.check(lines.records(), converters)
    shapes, rest = found
    rows, bits, extra = 0, dict.fromkeys(declared, 0), dict[str, int]()
    for shape, n in shapes:
        rows += n
        for key, bit in zip(shape.keys, shape.bits, strict=True):
            if key in declared:
                bits[key] |= bit
            else:
                extra[key] = extra.get(key, 0) + n
    if len(extra) >= MAX_EXTRA_KEYS:  # the cap decides which names: count line by line
        return reader.check(lines.records(), converters)
    if not len(rest):
        return JsonCheck(rows, extra=[extra] if extra else [], kinds=bits)
    slow = reader.check(rest.records(), converters)
    # (the kinds are known unless a line is not an object: then the check has none)
    kinds_ = {c: bits[c] | slow.kinds.get(c, 0) for c in declared} if slow.kinds else {}
    if slow.rejected:
        return JsonCheck(rows + slow.rows, slow.rejected, slow.unproven, [], kinds_, False)
    for part in slow.extra:  # one dict: the rest's keys, counted in line order
        if OTHER_KEYS in part or len(extra.keys() | part.keys()) >= MAX_EXTRA_KEYS:
            return reader.check(lines.records(), converters)  # the cap decides: count in order
        for key, count in part.items():
            extra[key] = extra.get(key, 0) + count
    return JsonCheck(rows + slow.rows, 0, slow.unproven, [extra] if extra else [], kinds_, slow.plain)
