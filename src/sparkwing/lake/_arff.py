"""ARFF (Weka) in plain Python: the header becomes a typed schema, data lines become rows.

The header is read on the driver from the head of each file; data lines are parsed on the
executors, one block at a time (:class:`ArffReader`).  Types: ``numeric``/``real`` → double,
``integer`` → bigint, ``{a, b}`` nominal → string with its domain, ``string`` → string,
``date [pattern]`` → timestamp (Java pattern letters, Weka's default
``yyyy-MM-dd'T'HH:mm:ss``; no offset means the Spark session time zone).  ``?`` is missing,
values may be quoted with ``'`` or ``"`` (``\\n``, ``\\t``, ``\\r`` and ``\\<char>`` escapes), ``%``
starts a comment, sparse rows ``{3 x, 7 'y z'}`` are read (omitted numbers are 0, omitted
nominals their first level, omitted strings and dates missing).

>>> h = parse_arff_header(["@relation r", "@attribute a numeric", "@attribute c {x,y}", "@data"])
>>> parse_arff_row("1.5, 'y'", h)
[1.5, 'y']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sparkwing.errors import ConfigError, SourceError
from sparkwing.lake._dates import DatePattern

DEFAULT_DATE = "yyyy-MM-dd'T'HH:mm:ss"
_UTC = ZoneInfo("UTC")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}
_INT64 = (-(2**63), 2**63 - 1)


class ArffRowError(ValueError):
    """A data line that cannot become a row; the message is the quarantine reason."""


@dataclass(frozen=True)
class ArffAttribute:
    name: str
    kind: str  # numeric | integer | nominal | string | date
    domain: tuple[str, ...] = ()
    date_format: str | None = None  # Java pattern letters

    @property
    def spark_type(self) -> str:
        return {"numeric": "double", "integer": "bigint", "date": "timestamp"}.get(self.kind, "string")


@dataclass(frozen=True)
class ArffHeader:
    relation: str
    attributes: list[ArffAttribute] = field(default_factory=list)
    data_line: int = 0  # 1-based line number of ``@data``


def _read_value(text: str, i: int, stops: str) -> tuple[str | None, int]:
    """One value starting at ``i`` (after blanks); returns it and the index of the stop char.

    Quoted values are unquoted (with escapes); an unquoted ``?`` is None.
    """
    n = len(text)
    while i < n and text[i] in " \t":
        i += 1
    if i < n and text[i] in "'\"":
        q, i, buf = text[i], i + 1, []
        while i < n and text[i] != q:
            if text[i] == "\\" and i + 1 < n:
                i += 1
                buf.append(_ESCAPES.get(text[i], text[i]))
            else:
                buf.append(text[i])
            i += 1
        if i >= n:
            raise ArffRowError("unterminated quote")
        i += 1
        while i < n and text[i] in " \t":
            i += 1
        if i < n and text[i] not in stops:
            raise ArffRowError(f"text after a quoted value (got {text[i : i + 20]!r})")
        return "".join(buf), i
    j = i
    while j < n and text[j] not in stops:
        j += 1
    raw = text[i:j].strip()
    return (None if raw == "?" else raw), j


def split_values(text: str, sep: str = ",") -> list[str | None]:
    """Split on ``sep`` outside quotes; quoted values are unquoted, ``?`` becomes None.

    Whitespace around values is dropped and an unquoted ``%`` ends the line.
    """
    out: list[str | None] = []
    i, n = 0, len(text)
    while True:
        value, i = _read_value(text, i, sep + "%")
        out.append(value)
        if i >= n or text[i] == "%":
            return out
        i += 1  # the separator


def _sparse_values(text: str, attrs: list[ArffAttribute]) -> list[str | None]:
    """``{3 x, 7 'y z'} % note`` as a full row: indices strictly increasing and in range."""
    raw = [_sparse_default(a) for a in attrs]
    width, n, last = len(attrs), len(text), -1
    i = 1
    while True:
        while i < n and text[i] in " \t":
            i += 1
        if i < n and text[i] == "}" and last < 0:
            break  # {} : every value omitted
        j = i
        while j < n and text[j].isdigit() and text[j].isascii():
            j += 1
        if j == i or j >= n or text[j] not in " \t":
            raise ArffRowError(f"bad sparse item (got {text[i : i + 40].split(',')[0].strip()!r})")
        index = int(text[i:j])
        if index >= width:
            raise ArffRowError(f"sparse index {index} out of range ({width} attributes)")
        if index <= last:
            raise ArffRowError(f"sparse indices not increasing (got {index} after {last})")
        raw[index], i = _read_value(text, j, ",}")
        last = index
        if i >= n:
            raise ArffRowError("sparse row without closing '}'")
        if text[i] == "}":
            break
        i += 1
    rest = text[i + 1 :].strip()
    if rest.startswith(","):
        raise ArffRowError("instance weights are not supported")
    if rest and not rest.startswith("%"):
        raise ArffRowError(f"text after a sparse row (got {rest[:20]!r})")
    return raw


def _name_and_rest(text: str, lineno: int) -> tuple[str, str]:
    text = text.strip()
    if text[:1] in "'\"":
        end = text.find(text[0], 1)
        if end < 0:
            raise SourceError(f"ARFF header line {lineno}: unterminated quoted name")
        return text[1:end], text[end + 1 :].strip()
    parts = text.split(None, 1)
    if not parts:
        raise SourceError(f"ARFF header line {lineno}: missing name")
    return parts[0], parts[1].strip() if len(parts) > 1 else ""


def _attribute(text: str, lineno: int) -> ArffAttribute:
    name, rest = _name_and_rest(text, lineno)
    low = rest.lower()
    if rest.startswith("{"):
        if not rest.rstrip().endswith("}"):
            raise SourceError(f"ARFF header line {lineno}: nominal domain of {name!r} has no closing '}}'")
        try:
            values = split_values(rest.strip()[1:-1])
        except ArffRowError as exc:
            raise SourceError(f"ARFF header line {lineno}: {exc} in the domain of {name!r}") from None
        return ArffAttribute(name, "nominal", tuple(v for v in values if v is not None))
    if low in ("numeric", "real"):
        return ArffAttribute(name, "numeric")
    if low == "integer":
        return ArffAttribute(name, "integer")
    if low == "string":
        return ArffAttribute(name, "string")
    if low.startswith("date"):
        fmt = rest[4:].strip().strip("'\"") or DEFAULT_DATE
        try:
            DatePattern.compile(fmt, kind="timestamp")
        except ConfigError as exc:
            raise SourceError(f"ARFF header line {lineno}: attribute {name!r}: {exc.message}") from None
        return ArffAttribute(name, "date", date_format=fmt)
    if low.startswith("relational"):
        raise SourceError(
            f"ARFF header line {lineno}: relational attribute {name!r} is not supported",
            hint="flatten the relational attribute into plain attributes",
        )
    raise SourceError(
        f"ARFF header line {lineno}: unknown type {rest or '<none>'!r} for attribute {name!r}",
        hint="types are numeric, real, integer, string, date or a {nominal, list}",
    )


def parse_arff_header(lines: Iterable[str]) -> ArffHeader:
    """Read lines up to and including ``@data``; raise :class:`SourceError` naming a bad line."""
    relation: str | None = None
    attrs: list[ArffAttribute] = []
    lineno = 0
    for lineno, line in enumerate(lines, 1):
        text = line.strip()
        if lineno == 1:
            text = text.removeprefix("\ufeff").strip()
        if not text or text.startswith("%"):
            continue
        keyword = text.split(None, 1)[0].lower()
        if keyword == "@relation":
            relation = _name_and_rest(text[len("@relation") :], lineno)[0]
        elif keyword == "@attribute":
            if relation is None:
                raise SourceError(f"ARFF header line {lineno}: @attribute before @relation")
            attr = _attribute(text[len("@attribute") :], lineno)
            if any(a.name == attr.name for a in attrs):
                raise SourceError(f"ARFF header line {lineno}: attribute {attr.name!r} declared twice")
            attrs.append(attr)
        elif keyword == "@data":
            if not attrs:
                raise SourceError(f"ARFF header line {lineno}: @data before any @attribute")
            if text[len("@data") :].strip() and not text[len("@data") :].strip().startswith("%"):
                raise SourceError(
                    f"ARFF header line {lineno}: text after @data (put rows on their own lines)"
                )
            return ArffHeader(relation or "", attrs, lineno)
        else:
            raise SourceError(
                f"ARFF header line {lineno}: expected @relation, @attribute or @data, got {text[:40]!r}"
            )
    raise SourceError(f"ARFF header has no @data line (read {lineno} lines)", hint="is this an ARFF file?")


Convert = Callable[[str], object]


def _number(value: str) -> float:
    if "_" in value:  # Python's float() accepts 1_000; Weka does not
        raise ValueError(value)
    return float(value)


def _converter(attr: ArffAttribute, zone: ZoneInfo) -> Convert:
    name = attr.name
    if attr.kind == "numeric":

        def numeric(value: str) -> object:
            try:
                return _number(value)
            except ValueError:
                raise ArffRowError(f"{name}: not a number (got {value[:40]!r})") from None

        return numeric
    if attr.kind == "integer":

        def integer(value: str) -> object:
            try:
                number = int(value) if "_" not in value else None
            except ValueError:
                number = None
            if number is None:
                try:
                    real = _number(value)
                except ValueError:
                    raise ArffRowError(f"{name}: not an integer (got {value[:40]!r})") from None
                if not real.is_integer():
                    raise ArffRowError(f"{name}: not an integer (got {value[:40]!r})")
                number = int(real)
            if not _INT64[0] <= number <= _INT64[1]:
                raise ArffRowError(f"{name}: out of range for bigint (got {value[:40]!r})")
            return number

        return integer
    if attr.kind == "nominal":
        domain = frozenset(attr.domain)

        def nominal(value: str) -> object:
            if value not in domain:
                raise ArffRowError(f"{name}: not in the nominal domain (got {value[:40]!r})")
            return value

        return nominal
    if attr.kind == "date":
        pattern = DatePattern.compile(attr.date_format or DEFAULT_DATE, kind="timestamp")

        def date(value: str) -> object:
            try:
                return pattern.timestamp(value, zone)
            except ValueError:
                raise ArffRowError(
                    f"{name}: not a date (got {value[:40]!r}, expected {pattern.label})"
                ) from None

        return date
    return str


def _sparse_default(attr: ArffAttribute) -> str | None:
    """What an omitted sparse value means: 0, the first nominal level, or missing."""
    if attr.kind in ("numeric", "integer"):
        return "0"
    return attr.domain[0] if attr.kind == "nominal" and attr.domain else None


def _raw_values(text: str, attrs: list[ArffAttribute]) -> list[str | None]:
    n = len(attrs)
    if text.startswith("{"):
        return _sparse_values(text, attrs)
    if "'" in text or '"' in text or "%" in text:
        raw = split_values(text)
    else:  # the common case: no quotes, no comment
        raw = [None if v == "?" else v for v in (v.strip() for v in text.split(","))]
    if len(raw) != n:
        last = raw[-1] if raw else None
        if len(raw) == n + 1 and last and last.startswith("{") and last.endswith("}"):
            raise ArffRowError("instance weights are not supported")
        raise ArffRowError(f"wrong number of values (expected {n}, got {len(raw)})")
    return raw


def parse_arff_row(
    line: str, header: ArffHeader, zone: ZoneInfo = _UTC, converters: list[Convert] | None = None
) -> list[object] | None:
    """One data line as typed values, None for a blank/comment line; :class:`ArffRowError` if bad."""
    text = line.strip()
    if not text or text.startswith("%"):
        return None
    convs = converters or [_converter(a, zone) for a in header.attributes]
    raw = _raw_values(text, header.attributes)
    return [None if v is None else c(v) for v, c in zip(raw, convs, strict=True)]


@dataclass
class ArffBlock:
    columns: list[list[object]]
    lines: list[int] = field(default_factory=list)  # line of each accepted row
    bad: list[tuple[int, str, str]] = field(default_factory=list)  # (line, raw, reason)


@dataclass(frozen=True)
class ArffReader:
    """Parses data lines after a file's ``@data``; built on the driver, pickled to executors."""

    header: ArffHeader
    zone: str = "UTC"

    def parse(self, lines: Iterable[tuple[int, str]], data_line: int) -> ArffBlock:
        """Rows of ``lines``; lines up to ``data_line`` (this file's header) are skipped."""
        zone = ZoneInfo(self.zone)
        convs = [_converter(a, zone) for a in self.header.attributes]
        block = ArffBlock([[] for _ in convs])
        for line, text in lines:
            if line <= data_line:
                continue
            try:
                row = parse_arff_row(text, self.header, zone, convs)
            except ArffRowError as exc:
                block.bad.append((line, text, str(exc)))
                continue
            if row is not None:
                block.lines.append(line)
                for column, value in zip(block.columns, row, strict=True):
                    column.append(value)
        return block
