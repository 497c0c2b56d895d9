"""JSON lines (RFC 8259) in plain Python: one object per line, strict by default, typed per column.

Runs on the executors, one block of lines at a time.  A line is parsed by orjson (strict RFC
8259); only a line orjson rejects is parsed again to explain why (trailing data, NaN, single
quotes) or to accept it when an option allows (``allow_nan``, ``allow_single_quotes``).

With declared ``columns`` they are the read schema: each value must be of its column's JSON
kind (see :func:`converter`), a missing key is null, other keys are dropped and counted.
Without ``columns`` a first pass tallies the JSON kinds of every key (:class:`KeyKinds`) and
:func:`infer_types` picks one type per key; objects and arrays are kept as their JSON text.

>>> parse_object('{"a": 1, "b": [2]}', JsonOptions())
{'a': 1, 'b': [2]}
>>> parse_object('{"a": 1} {"a": 2}', JsonOptions())
Traceback (most recent call last):
...
sparkwing.lake._json.RowError: trailing data after JSON object
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from itertools import repeat
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from sparkwing.lake._dates import DatePattern

MAX_KEYS = 10_000  # distinct keys of an undeclared source; more is an error, not a schema
MAX_EXTRA_KEYS = 100  # distinct undeclared keys counted per source; the rest are summed
OTHER_KEYS = "(other keys)"
_BLANK = " \t\r\n"
_INT_RANGE = {
    "tinyint": (-(2**7), 2**7 - 1), "smallint": (-(2**15), 2**15 - 1),
    "int": (-(2**31), 2**31 - 1), "bigint": (-(2**63), 2**63 - 1),
}  # fmt: skip
_FLOAT_MAX = 3.4028234663852886e38
_DECIMAL = re.compile(r"^decimal\((\d+),(\d+)\)$")


class RowError(ValueError):
    """A line that cannot become a row; the message is the quarantine reason."""


@dataclass(frozen=True)
class JsonOptions:
    allow_single_quotes: bool = False
    allow_nan: bool = False
    exact_decimals: bool = False  # parse fractions as Decimal (a decimal column is declared)


class _NonFinite(Exception):
    pass


def _reject_constant(token: str) -> None:
    raise _NonFinite(token)


_STRICT = json.JSONDecoder(parse_constant=_reject_constant)


def is_blank(text: str) -> bool:
    """A line of JSON whitespace only: not a record (neither read nor quarantined)."""
    return not text.strip(_BLANK)


def parse_object(text: str, options: JsonOptions, *, first: bool = False) -> dict[str, Any]:
    """The object on one line; :class:`RowError` naming why the line is not exactly one object.

    ``first`` marks the first line of a file, where a UTF-8 byte order mark is allowed.
    """
    if first and text.startswith("\ufeff"):
        text = text[1:]
    try:
        value = _loads_decimal(text) if options.exact_decimals else orjson.loads(text)
    except (orjson.JSONDecodeError, ValueError) as exc:
        value = _lenient(text, options, exc)
    if not isinstance(value, dict):
        raise RowError(f"top-level JSON value is {_kind_name(value)}, not an object")
    return value


def _loads_decimal(text: str) -> Any:
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except _NonFinite as exc:
        raise ValueError(str(exc)) from None


def _lenient(text: str, options: JsonOptions, error: Exception) -> Any:
    """Accept a line an option allows, or raise the precise reason orjson's error stands for."""
    candidate = text
    if options.allow_single_quotes and "'" in text:
        try:
            candidate = _double_quoted(text)
        except RowError:
            candidate = text
    if candidate is not text or options.allow_nan or options.exact_decimals:
        try:
            return json.loads(
                candidate,
                parse_float=Decimal if options.exact_decimals else float,
                parse_constant=float if options.allow_nan else _reject_constant,
            )
        except (ValueError, _NonFinite):
            pass
    body = candidate.lstrip(_BLANK)
    try:
        value, end = _STRICT.raw_decode(body)
    except _NonFinite as exc:
        raise RowError(f"{exc} is not valid JSON (allow_nan: true accepts it)") from None
    except json.JSONDecodeError as exc:
        if (
            "enclosed in double quotes" in exc.msg
            and body[exc.pos : exc.pos + 1] == "'"
            or (exc.msg == "Expecting value" and body[exc.pos : exc.pos + 1] == "'")
        ):
            raise RowError(
                "single-quoted string is not valid JSON (allow_single_quotes: true accepts it)"
            ) from None
        raise RowError(f"invalid JSON: {_orjson_reason(error)}") from None
    if body[end:].strip(_BLANK):
        kind = "object" if isinstance(value, dict) else "value"
        raise RowError(f"trailing data after JSON {kind}")
    raise RowError(f"invalid JSON: {_orjson_reason(error)}")  # valid for Python's json, not RFC 8259


def _orjson_reason(error: Exception) -> str:
    """orjson's message without its position (the raw line is in the record; a reason that
    names a class of error counts usefully in the run record)."""
    return re.sub(r": line \d+ column \d+ \(char \d+\)$", "", str(error))


def _double_quoted(text: str) -> str:
    """``text`` with every single-quoted string rewritten as a double-quoted JSON string."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c not in "'\"":
            out.append(c)
            i += 1
            continue
        j, buf = i + 1, []
        while j < n and text[j] != c:
            if text[j] == "\\" and j + 1 < n:
                if c == "'" and text[j + 1] == "'":
                    buf.append("'")
                else:
                    buf.append(text[j : j + 2])
                j += 2
                continue
            buf.append('\\"' if c == "'" and text[j] == '"' else text[j])
            j += 1
        if j >= n:
            raise RowError("unterminated string")
        out.append('"' + "".join(buf) + '"')
        i = j + 1
    return "".join(out)


def _kind_name(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return "a number"


def shown(value: Any) -> str:
    """A JSON value as a reason shows it: ``2.5``, ``"abc"``, ``true``, ``an object``."""
    if isinstance(value, (dict, list)):
        return _kind_name(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    text = orjson.dumps(value).decode()
    return text if len(text) <= 60 else text[:57] + "..."


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def as_text(value: Any) -> str:
    """The string a non-string JSON value becomes in a string column: its compact JSON text."""
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    return orjson.dumps(value).decode()


Converter = Callable[[Any], Any]


def converter(sql: str, *, pattern: str | None, zone: ZoneInfo) -> Converter:
    """A function from a JSON value to the value of a ``sql``-typed column.

    Raises :class:`RowError` with the reason (without the column name).  ``null`` is null for
    every type.  Integers take JSON numbers with an integral value in range; ``double``/``float``
    take any number; ``decimal(p,s)`` takes numbers that fit exactly; ``boolean`` takes
    ``true``/``false``; ``date``/``timestamp`` take strings in ``pattern`` (ISO by default);
    ``string`` takes strings as they are and any other value as its compact JSON text.
    """
    if sql in _INT_RANGE:
        return _int_converter(sql)
    if sql in ("double", "float"):
        return _float_converter(sql)
    if m := _DECIMAL.match(sql):
        return _decimal_converter(sql, int(m.group(1)), int(m.group(2)))
    if sql == "boolean":
        return _bool_value
    if sql == "string":
        return lambda v: None if v is None else as_text(v)
    if sql in ("date", "timestamp"):
        parsed = DatePattern.compile(pattern, kind=sql)

        def temporal(value: Any) -> Any:
            if value is None:
                return None
            try:
                if sql == "date":
                    return parsed.date(_date_text(value, sql))
                return parsed.timestamp(_date_text(value, sql), zone)
            except RowError:
                raise
            except ValueError as exc:
                raise RowError(str(exc)) from None

        return temporal
    raise ValueError(f"no JSON converter for type {sql!r}")


def _date_text(value: Any, sql: str) -> str:
    if not isinstance(value, str):
        raise RowError(f"{shown(value)} is not a {sql}")
    return value


def _bool_value(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise RowError(f"{shown(value)} is not a boolean")


def _int_converter(sql: str) -> Converter:
    lo, hi = _INT_RANGE[sql]
    article = "an" if sql == "int" else "a"

    def convert(value: Any) -> int | None:
        if value is None:
            return None
        if type(value) is int:
            number = value
        elif isinstance(value, (float, Decimal)) and _is_number(value):
            if not (math.isfinite(value) and value == int(value)):
                raise RowError(f"{shown(value)} is not {article} {sql}")
            number = int(value)
        else:
            raise RowError(f"{shown(value)} is not {article} {sql}")
        if not lo <= number <= hi:
            raise RowError(f"{shown(value)} is out of range for {sql}")
        return number

    return convert


def _float_converter(sql: str) -> Converter:
    def convert(value: Any) -> float | None:
        if value is None:
            return None
        if not _is_number(value):
            raise RowError(f"{shown(value)} is not a {sql}")
        number = float(value)
        if sql == "float" and math.isfinite(number) and abs(number) > _FLOAT_MAX:
            raise RowError(f"{shown(value)} is out of range for float")
        return number

    return convert


def _decimal_converter(sql: str, precision: int, scale: int) -> Converter:
    step = Decimal(1).scaleb(-scale)

    def convert(value: Any) -> Decimal | None:
        if value is None:
            return None
        if not _is_number(value):
            raise RowError(f"{shown(value)} is not a {sql}")
        number = value if isinstance(value, Decimal) else Decimal(str(value))
        try:
            exact = number.quantize(step)
        except InvalidOperation:
            raise RowError(f"{shown(value)} does not fit {sql}") from None
        if exact != number or (exact and exact.adjusted() + 1 > precision - scale):
            raise RowError(f"{shown(value)} does not fit {sql}")
        return exact

    return convert


# --- inference (columns not declared) -------------------------------------------------------

BOOL, INT, FLOAT, STRING, NESTED = 1, 2, 4, 8, 16


def kind_of(value: Any) -> int:
    """The kind bit of a JSON value (0 for null)."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT if -(2**63) <= value < 2**63 else FLOAT
    if isinstance(value, (float, Decimal)):
        return FLOAT
    if isinstance(value, str):
        return STRING
    return NESTED


_KIND_BITS: dict[type, int] = {
    type(None): 0, bool: BOOL, int: INT, float: FLOAT, Decimal: FLOAT, str: STRING,
    dict: NESTED, list: NESTED,
}  # fmt: skip


@dataclass
class KeyKinds:
    """The JSON kinds seen under every key, in order of first appearance (one split or merged)."""

    kinds: dict[str, int] = field(default_factory=dict)
    too_many: bool = False
    # What the parse pass will make of the same lines: records (non-blank lines), those it
    # quarantines as not one object (or undecodable), and whether some value might not fit
    # its inferred column (an integer outside int64, a nesting too deep to keep as JSON text).
    rows: int = 0
    rejected: int = 0
    unproven: bool = False
    plain: bool = True  # every line is one Spark's JSON reader splits and decodes alike (plain_lines)

    @property
    def clean(self) -> bool:
        """The parse pass with :func:`infer_types`' columns quarantines no record (and raises
        nothing): every record is an object, every value fits its column."""
        return not (self.rejected or self.unproven or self.too_many)

    def add(self, obj: dict[str, Any]) -> None:
        kinds = self.kinds
        for key, value in obj.items():
            bit = _KIND_BITS.get(type(value))
            if bit is None or bit == INT:
                bit = kind_of(value)
            if key in kinds:
                kinds[key] |= bit
            elif len(kinds) < MAX_KEYS:
                kinds[key] = bit
            else:
                self.too_many = True

    def add_shape(self, keys: tuple[str, ...], types: tuple[type, ...]) -> None:
        """Like :meth:`add` for an object with these keys and value types."""
        kinds = self.kinds
        for key, tp in zip(keys, types, strict=True):
            bit = _KIND_BITS.get(tp, NESTED)
            if key in kinds:
                kinds[key] |= bit
            elif len(kinds) < MAX_KEYS:
                kinds[key] = bit
            else:
                self.too_many = True

    def merge(self, other: KeyKinds) -> KeyKinds:
        for key, bits in other.kinds.items():
            if key in self.kinds:
                self.kinds[key] |= bits
            elif len(self.kinds) < MAX_KEYS:
                self.kinds[key] = bits
            else:
                self.too_many = True
        self.too_many |= other.too_many
        self.rows += other.rows
        self.rejected += other.rejected
        self.unproven |= other.unproven
        self.plain &= other.plain
        return self


def infer_types(kinds: KeyKinds) -> dict[str, str]:
    """One Spark SQL type per key: only booleans → boolean, only integers → bigint, integers
    and fractions → double, anything else (strings, objects, arrays, mixed kinds, all null)
    → string, where non-string values are kept as their compact JSON text."""
    out = {}
    for key, bits in kinds.kinds.items():
        if bits == BOOL:
            out[key] = "boolean"
        elif bits == INT:
            out[key] = "bigint"
        elif bits and not bits & ~(INT | FLOAT):
            out[key] = "double"
        else:
            out[key] = "string"
    return out


# --- Arrow columns --------------------------------------------------------------------------

_NONE = type(None)
_TEXTS = frozenset({str, _NONE})
# The Python kinds a column holds when every value fits as it is (Arrow converts those exactly).
_FAST_KINDS: dict[str, frozenset[type]] = {
    **dict.fromkeys(("tinyint", "smallint", "int", "bigint"), frozenset({int, _NONE})),
    "double": frozenset({int, float, _NONE}), "boolean": frozenset({bool, _NONE}),
    "string": frozenset({str, _NONE}),
}  # fmt: skip


def arrow_type(sql: str) -> Any:
    """The Arrow type Spark reads as the Spark SQL type ``sql``."""
    import pyarrow as pa

    if m := _DECIMAL.match(sql):
        return pa.decimal128(int(m.group(1)), int(m.group(2)))
    return {
        "tinyint": pa.int8(), "smallint": pa.int16(), "int": pa.int32(), "bigint": pa.int64(),
        "float": pa.float32(), "double": pa.float64(), "boolean": pa.bool_(), "string": pa.string(),
        "date": pa.date32(), "timestamp": pa.timestamp("us", tz="UTC"),
    }[sql]  # fmt: skip


def _column(values: list[Any], sql: str, name: str, convert: Converter, failed: dict[int, str]) -> Any:
    """One column as an Arrow array; rows whose value does not fit are recorded in ``failed``."""
    import pyarrow as pa

    typ = arrow_type(sql)
    fast = _FAST_KINDS.get(sql)
    if fast is not None and fast.issuperset(map(type, values)):
        try:
            return pa.array(values, type=typ)  # exact for these kinds; overflow raises
        except (pa.ArrowInvalid, OverflowError):
            pass
    if sql in ("date", "timestamp") and _TEXTS.issuperset(map(type, values)):
        # Dates and timestamps repeat: convert each distinct text once.
        memo: dict[Any, Any] = {}
        for text in set(values):
            try:
                memo[text] = convert(text)
            except RowError as exc:
                memo[text] = exc
        out = [memo[v] for v in values]
        if not any(isinstance(v, RowError) for v in memo.values()):
            return pa.array(out, type=typ)
        for i, value in enumerate(out):
            if isinstance(value, RowError):
                failed.setdefault(i, f"{name}: {value}")
                out[i] = None
        return pa.array(out, type=typ)
    out = []
    for i, value in enumerate(values):
        try:
            out.append(convert(value))
        except RowError as exc:
            failed.setdefault(i, f"{name}: {exc}")
            out.append(None)
    return pa.array(out, type=typ)


def _rejects(objs: list[dict[str, Any]], name: str, sql: str, convert: Converter, kinds: set[type]) -> bool:
    """Some value under ``name`` that :func:`_column` would record as failed (raising what
    :func:`_column` raises); ``kinds`` are the Python types of those values.

    :func:`_column` fails a value exactly when its converter raises :class:`RowError` (its
    Arrow shortcuts fall back to the converter whenever Arrow declines).  The values of a
    column's exact Python kinds (:data:`_FAST_KINDS`) pass their converter, except an integer
    out of its column's range; any other column runs its converter on every distinct value.
    """
    fast = _FAST_KINDS.get(sql)
    if fast is not None and fast.issuperset(kinds):
        if sql not in _INT_RANGE:
            return False
        lo, hi = _INT_RANGE[sql]
        numbers: list[Any] = [o.get(name) for o in objs]
        if _NONE in kinds:
            numbers = [v for v in numbers if v is not None]
        return bool(numbers) and not (lo <= min(numbers) and max(numbers) <= hi)
    values = [o.get(name) for o in objs]
    distinct = set(values) if sql in ("date", "timestamp") and _TEXTS.issuperset(kinds) else values
    for value in distinct:
        try:
            convert(value)
        except RowError:
            return True
    return False


@dataclass
class JsonCheck:
    """The check pass of a declared-columns source (one block, one split or merged).

    ``extra`` holds the undeclared-key counts of each block that has some, in file order (as
    the parse pass notes them), so the driver sums them exactly as it sums the parse pass's.
    """

    rows: int = 0  # records (non-blank lines)
    rejected: int = 0  # > 0: some record would be quarantined (the count is a lower bound)
    unproven: bool = False  # some line only an option (allow_nan, allow_single_quotes) let through
    extra: list[dict[str, int]] = field(default_factory=list)
    # The kind bits seen under each declared column (a missing key is a null), and whether
    # every line is plain (:func:`plain_lines`): what :func:`spark_alike` decides from.
    kinds: dict[str, int] = field(default_factory=dict)
    plain: bool = True

    @property
    def clean(self) -> bool:
        """The parse pass quarantines no record of these lines."""
        return not (self.rejected or self.unproven)

    def merge(self, other: JsonCheck) -> JsonCheck:
        self.rows += other.rows
        self.rejected += other.rejected
        self.unproven |= other.unproven
        self.extra += other.extra
        for name, bits in other.kinds.items():
            self.kinds[name] = self.kinds.get(name, 0) | bits
        self.plain &= other.plain
        return self


# --- one block of lines ---------------------------------------------------------------------


@dataclass(frozen=True)
class JsonColumn:
    name: str
    sql: str  # Spark SQL type
    pattern: str | None = None  # date/timestamp pattern


@dataclass
class JsonBlock:
    """Parsed lines: typed column values, bad lines, undeclared keys seen in accepted rows."""

    columns: dict[str, Any]  # name -> Arrow array of the accepted rows
    lines: list[int] = field(default_factory=list)  # line of each accepted row
    bad: list[tuple[int, str, str]] = field(default_factory=list)  # (line, raw, reason)
    extra_keys: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class JsonReader:
    """Turns lines into typed columns; built on the driver, pickled to the executors."""

    columns: tuple[JsonColumn, ...]
    options: JsonOptions
    zone: str
    declared: bool  # declared columns: count other keys; inferred: every key is a column

    def converters(self) -> list[tuple[str, Converter]]:
        zone = ZoneInfo(self.zone)
        return [(c.name, converter(c.sql, pattern=c.pattern, zone=zone)) for c in self.columns]

    def parse(self, lines: Iterable[tuple[int, str]], converters: list[tuple[str, Converter]]) -> JsonBlock:
        """Typed Arrow columns of the lines that are objects whose values fit their columns.

        Column by column: when every value is already of the column's Python kind (the common
        case) Arrow converts the whole column at once; otherwise each value goes through its
        converter and the first failing column (in declared order) names the row's reason.
        """
        import pyarrow as pa

        bad: list[tuple[int, str, str]] = []
        good, objs = self._parsed(lines, bad)
        failed: dict[int, str] = {}
        arrays = self._struct_columns(objs)
        if arrays is None:
            arrays = {}
            for column, (name, convert) in zip(self.columns, converters, strict=True):
                values = [o.get(name) for o in objs]
                arrays[name] = _column(values, column.sql, name, convert, failed)
        keep: list[int] | range = range(len(objs))
        if failed:
            mask = pa.array([i not in failed for i in range(len(objs))])
            arrays = {n: a.filter(mask) for n, a in arrays.items()}
            bad += [(good[i][0], good[i][1], reason) for i, reason in failed.items()]
            bad.sort()
            keep = [i for i in range(len(objs)) if i not in failed]
        block = JsonBlock(arrays, [good[i][0] for i in keep], bad)
        if self.declared:
            block.extra_keys = self._extra_keys(objs[i] for i in keep)
        return block

    def _extra_keys(self, objs: Iterable[dict[str, Any]]) -> dict[str, int]:
        """The undeclared keys of these objects, counted (at most :data:`MAX_EXTRA_KEYS` names)."""
        known = {c.name for c in self.columns}
        extra: dict[str, int] = {}
        for obj in objs:
            if known.issuperset(obj):
                continue
            for key in obj:
                if key not in known:
                    if key in extra or len(extra) < MAX_EXTRA_KEYS:
                        extra[key] = extra.get(key, 0) + 1
                    else:
                        extra[OTHER_KEYS] = extra.get(OTHER_KEYS, 0) + 1
        return extra

    def check(self, lines: Iterable[tuple[int, str]], converters: list[tuple[str, Converter]]) -> JsonCheck:
        """The check pass over one block (declared columns): what :meth:`parse` would make of
        these lines, without building a column.

        The same objects (:meth:`_parsed`), then per column whether some value would fail
        (:func:`_rejects`); ``rejected`` is non-zero exactly when :meth:`parse` would
        quarantine a line.  The extra keys are counted as :meth:`parse` counts them, and
        exactly so when nothing is rejected (then every row is kept).
        """
        records = lines if isinstance(lines, list) else list(lines)
        bad: list[tuple[int, str, str]] = []
        lenient: list[int] = []
        _, objs = self._parsed(records, bad, lenient)
        rejected = len(bad)
        bits: dict[str, int] = {}
        if not rejected:
            # The Python types under each column, from the block's distinct shapes (as
            # :meth:`_struct_columns` finds them): a missing key is a null.
            kinds: dict[str, set[type]] = {c.name: set() for c in self.columns}
            for keys, types in {(tuple(o), tuple(map(type, o.values()))) for o in objs}:
                present = dict(zip(keys, types, strict=True))
                for name, seen in kinds.items():
                    seen.add(present.get(name, _NONE))
            for column, (name, convert) in zip(self.columns, converters, strict=True):
                if _rejects(objs, name, column.sql, convert, kinds[name]):
                    rejected = 1  # one is enough: the file is not clean
                    break
            for name, seen in kinds.items():
                bits[name] = 0
                for tp in seen:
                    bits[name] |= _KIND_BITS.get(tp, NESTED)
        extra = self._extra_keys(objs) if not rejected else {}
        text = _BlockText.of(records) if not rejected else None
        plain = text is not None and not _unproven(text) and plain_lines(records, objs, text)
        # A line only Python's json accepts (an option allowed it): not proven, as for inference.
        return JsonCheck(len(objs) + len(bad), rejected, bool(lenient), [extra] if extra else [], bits, plain)

    def _struct_columns(self, objs: list[dict[str, Any]]) -> dict[str, Any] | None:
        """Every column in one Arrow conversion, or None when that is not provably what
        :func:`_column` gives: only when every key is a column and every value is already
        of its column's exact Python kind (:data:`_FAST_KINDS`: the distinct key/type shapes
        of the block say so), and Arrow raises nothing (an int out of range, an int a double
        cannot hold exactly: then the column-by-column path decides)."""
        import pyarrow as pa

        fast = {c.name: _FAST_KINDS.get(c.sql) for c in self.columns}
        if not objs or any(k is None for k in fast.values()):
            return None
        seen: dict[str, set[type]] = {}
        for keys, types in {(tuple(o), tuple(map(type, o.values()))) for o in objs}:
            for key, tp in zip(keys, types, strict=True):
                seen.setdefault(key, set()).add(tp)
        for key, tps in seen.items():
            kinds = fast.get(key)
            if kinds is None or not kinds.issuperset(tps):
                return None
        struct = pa.struct([pa.field(c.name, arrow_type(c.sql)) for c in self.columns])
        try:
            array = pa.array(objs, type=struct)
        except (pa.ArrowException, OverflowError, TypeError, ValueError):
            return None
        return dict(zip(fast, array.flatten(), strict=True))

    def _parsed(
        self,
        lines: Iterable[tuple[int, str]],
        bad: list[tuple[int, str, str]] | None,
        lenient: list[int] | None = None,
    ) -> tuple[list[tuple[int, str]], list[dict[str, Any]]]:
        """The (line, text) and object of each line that is one object (as :meth:`_objects`).

        The common block, every line an object orjson accepts, is parsed in one pass over
        the texts; any other block goes line by line through :meth:`_objects`.  Same result:
        a line orjson accepts is exactly what :meth:`_objects` keeps.
        """
        records = lines if isinstance(lines, list) else list(lines)
        if not self.options.exact_decimals:
            try:
                objs = list(map(orjson.loads, [text for _, text in records]))
            except (orjson.JSONDecodeError, ValueError):
                pass
            else:
                if set(map(type, objs)) <= {dict}:
                    return records, objs
        good: list[tuple[int, str]] = []
        objs = []
        for line, text, obj in self._objects(records, bad, lenient):
            objs.append(obj)
            good.append((line, text))
        return good, objs

    def _objects(
        self,
        lines: Iterable[tuple[int, str]],
        bad: list[tuple[int, str, str]] | None,
        lenient: list[int] | None = None,
    ) -> Iterator[tuple[int, str, dict[str, Any]]]:
        """(line, text, object) of each line that is one object; other non-blank lines → ``bad``.

        orjson first (the hot path); only a line it rejects goes through :func:`parse_object`
        (the lines it accepts are noted in ``lenient``).
        """
        options = self.options
        loads = _loads_decimal if options.exact_decimals else orjson.loads
        for line, text in lines:
            try:
                obj = loads(text)
            except (orjson.JSONDecodeError, ValueError):
                if is_blank(text):
                    continue
                obj = None
            if type(obj) is not dict:
                try:
                    obj = parse_object(text, options, first=line == 1)
                except RowError as exc:
                    if bad is not None:
                        bad.append((line, text, str(exc)))
                    continue
                # (a first line orjson reads after its byte order mark is not lenient)
                bom = line == 1 and text[:1] == "\ufeff" and _orjson_object(text[1:])
                if lenient is not None and not bom:
                    lenient.append(line)
            yield line, text, obj

    def kinds(self, lines: Iterable[tuple[int, str]]) -> KeyKinds:
        """The inference pass over one split: kinds per key of every line that is an object.

        A line that is not an object does not vote (the parse pass quarantines it).
        """
        # Rows of one source mostly share a shape: tally distinct (keys, value types) pairs,
        # in order of first appearance, then fold each shape into the kinds once.
        records = lines if isinstance(lines, list) else list(lines)
        bad: list[tuple[int, str, str]] = []
        lenient: list[int] = []
        _, objs = self._parsed(records, bad, lenient)
        # A line only Python's json accepts (an option allowed it) may hold what orjson never
        # gives (an integer past 64 bits, a lone surrogate): not proven.
        text = _BlockText.of(records)
        unproven = bool(lenient) or _unproven(text)
        kinds = KeyKinds(rows=len(objs) + len(bad), rejected=len(bad), unproven=unproven)
        kinds.plain = not unproven and plain_lines(records, objs, text)
        # One pass in C over the block (its size bounds the memory): keys and value types.
        values = map(tuple, map(map, repeat(type), map(dict.values, objs)))
        for keys, types in dict.fromkeys(zip(map(tuple, objs), values, strict=True)):
            kinds.add_shape(keys, types)
        return kinds


def _orjson_object(text: str) -> bool:
    try:
        return type(orjson.loads(text)) is dict
    except orjson.JSONDecodeError:
        return False


_LONG_DIGITS = re.compile(r"-?[0-9]{19,}")
_AS_ZERO, _ZEROS = bytes.maketrans(b"123456789", b"000000000"), b"0" * 19
_DEEP = 200  # orjson keeps JSON text of at most ~254 levels; fewer brackets than this cannot reach it


@dataclass(frozen=True)
class _BlockText:
    """A block's lines joined once, for the proofs that scan them all."""

    texts: list[str]
    joined: str
    longest: int

    @classmethod
    def of(cls, records: list[tuple[int, str]]) -> _BlockText:
        texts = [t for _, t in records]
        return cls(texts, "\n".join(texts), max(map(len, texts), default=0))


def _unproven(text: _BlockText) -> bool:
    """Some line might hold a value that does not fit its inferred column: a run of 19 or
    more digits outside int64 (an integer orjson keeps exact, a bigint column rejects), or
    enough brackets for a nesting orjson cannot write back as text.  Conservative: digits in
    a string or a fraction, brackets in a string count too."""
    joined = text.joined
    # Every digit as 0, then a plain substring search: ~10x a regex scan of the block.
    if _ZEROS in joined.encode("utf-8", "surrogatepass").translate(_AS_ZERO):
        for m in _LONG_DIGITS.finditer(joined):
            digits = m.group()
            if len(digits.lstrip("-")) > 19 or not -(2**63) <= int(digits) < 2**63:
                return True
    if text.longest < 2 * _DEEP:
        return False
    return any(len(t) >= 2 * _DEEP and t.count("[") + t.count("{") >= _DEEP for t in text.texts)


# --- Spark's own JSON reader for a proven-clean file ---------------------------------------

PLAIN_LINE_CHARS = 1 << 22  # far under Jackson's limits on one string (20 M chars) and number
# The kinds a column may hold for Spark's JSON reader (Jackson, with the schema given) to read
# each value as the parse pass does: integers in range as themselves, numbers as the nearest
# double (both round correctly), booleans, strings as their decoded text.  Not here: a number
# or an object under a string column (Spark keeps the token's own text, the parse pass its
# compact JSON), a fraction under an integer column (Spark rejects ``3.0``), float (Jackson
# rounds the text to float once, the parse pass via a double), dates, timestamps, decimals.
_SPARK_KINDS = {
    **dict.fromkeys(("tinyint", "smallint", "int", "bigint"), INT),
    "double": INT | FLOAT, "boolean": BOOL, "string": STRING,
}  # fmt: skip


def plain_lines(
    records: list[tuple[int, str]], objs: list[dict[str, Any]], text: _BlockText | None = None
) -> bool:
    """Lines Spark's JSON reader takes as the parse pass does, whatever their values, when
    ``objs`` are their objects: no byte order mark on a file's first line (the parse pass
    skips it), no line long enough to reach Jackson's length limits, and no object that
    repeats a key (the parse pass keeps the last value; Spark converts every one, so a first
    value of another kind would fail its read).  The line breaks are alike: both split at
    LF, CR LF and CR.

    >>> plain_lines([(1, '{"a": 1, "b": "x"}')], [{"a": 1, "b": "x"}])
    True
    >>> plain_lines([(1, '{"a": "x", "a": 1}')], [{"a": 1}])
    False
    """
    if records and records[0][0] == 1 and records[0][1][:1] == "\ufeff":
        return False
    text = text or _BlockText.of(records)
    if text.longest > PLAIN_LINE_CHARS:
        return False
    try:
        again = orjson.dumps(objs).decode()
    except (orjson.JSONEncodeError, TypeError):
        return False
    # A repeated key is one string more in the lines than in the objects written back.
    return _strings(text.joined) == _strings(again)


def _strings(text: str) -> int:
    """The JSON strings in ``text``: its quotes, less the escaped ones (after dropping the
    escaped backslashes, a backslash before a quote escapes it)."""
    if "\\" not in text:
        return text.count('"') // 2
    text = text.replace("\\\\", "")
    return (text.count('"') - text.count('\\"')) // 2


def spark_alike(columns: Iterable[tuple[str, str]], kinds: dict[str, int]) -> bool:
    """Whether Spark's JSON reader, given these ``(name, Spark SQL type)`` columns as its
    schema, reads every value as the parse pass does, when ``kinds`` are the kind bits seen
    under each column (:data:`_SPARK_KINDS`) in lines proven clean and plain.

    >>> spark_alike([("id", "bigint"), ("x", "double")], {"id": INT, "x": INT | FLOAT})
    True
    >>> spark_alike([("s", "string")], {"s": STRING | INT})  # 1 would be "1", 1.50 "1.50"
    False
    """
    cols = list(columns)
    return bool(cols) and all(
        name and sql in _SPARK_KINDS and not kinds.get(name, 0) & ~_SPARK_KINDS[sql] for name, sql in cols
    )


def merge_extra_keys(parts: Iterable[dict[str, int]]) -> dict[str, int]:
    """Per-split undeclared-key counts summed, keeping at most :data:`MAX_EXTRA_KEYS` names."""
    total: dict[str, int] = {}
    for part in parts:
        for key, n in part.items():
            if key in total or len(total) < MAX_EXTRA_KEYS or key == OTHER_KEYS:
                total[key] = total.get(key, 0) + n
            else:
                total[OTHER_KEYS] = total.get(OTHER_KEYS, 0) + n
    return total
