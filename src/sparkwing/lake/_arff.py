"""ARFF (Weka) parsing in plain Python: the header becomes a typed schema, data lines become rows.

Types: ``numeric``/``real`` → double, ``integer`` → bigint, ``{a, b}`` nominal → string with its
domain, ``string`` → string, ``date [format]`` → timestamp.  ``?`` is missing, values may be
quoted with ``'`` or ``"``, ``%`` starts a comment, sparse rows ``{3 x, 7 y}`` are accepted.

>>> h = parse_arff_header(["@relation r", "@attribute a numeric", "@attribute c {x,y}", "@data"])
>>> parse_arff_row("1.5, 'y'", h)
[1.5, 'y']
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from sparkwing.errors import SourceError

_JAVA_DATE = [  # SimpleDateFormat tokens → strptime, longest first
    ("yyyy", "%Y"), ("yy", "%y"), ("MM", "%m"), ("dd", "%d"), ("HH", "%H"),
    ("mm", "%M"), ("ss", "%S"), ("SSS", "%f"), ("Z", "%z"), ("X", "%z"),
]  # fmt: skip
DEFAULT_DATE = "yyyy-MM-dd'T'HH:mm:ss"


class ArffRowError(ValueError):
    """A data line that cannot become a row; the message is the quarantine reason."""


@dataclass(frozen=True)
class ArffAttribute:
    name: str
    kind: str  # numeric | integer | nominal | string | date
    domain: tuple[str, ...] = ()
    date_format: str | None = None  # strptime format

    @property
    def spark_type(self) -> str:
        return {"numeric": "double", "integer": "bigint", "date": "timestamp"}.get(self.kind, "string")


@dataclass(frozen=True)
class ArffHeader:
    relation: str
    attributes: list[ArffAttribute] = field(default_factory=list)
    data_line: int = 0  # 1-based line number of ``@data``


def split_values(text: str, sep: str = ",") -> list[str | None]:
    """Split on ``sep`` outside quotes; quoted values are unquoted, ``?`` becomes None.

    Whitespace around values is dropped and an unquoted ``%`` ends the line.
    """
    out: list[str | None] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in " \t":
            i += 1
        if i < n and text[i] in "'\"":
            q, i, buf = text[i], i + 1, []
            while i < n and text[i] != q:
                if text[i] == "\\" and i + 1 < n:
                    i += 1
                buf.append(text[i])
                i += 1
            if i >= n:
                raise ArffRowError("unterminated quote")
            i += 1
            value: str | None = "".join(buf)
            while i < n and text[i] in " \t":
                i += 1
            if i < n and text[i] not in sep + "%":
                raise ArffRowError(f"text after a quoted value (got {text[i:i + 20]!r})")
        else:
            j = i
            while j < n and text[j] not in sep + "%":
                j += 1
            raw = text[i:j].strip()
            value = None if raw == "?" else raw
            i = j
        out.append(value)
        if i < n and text[i] == "%" or i >= n:
            return out
        i += 1  # the separator


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


def _date_format(java: str) -> str:
    out, i = [], 0
    while i < len(java):
        if java[i] == "'":
            end = java.find("'", i + 1)
            out.append(java[i + 1 : end if end > 0 else len(java)])
            i = end + 1 if end > 0 else len(java)
            continue
        for token, py in _JAVA_DATE:
            if java.startswith(token, i):
                out.append(py)
                i += len(token)
                break
        else:
            out.append(java[i])
            i += 1
    return "".join(out)


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
        return ArffAttribute(name, "date", date_format=_date_format(fmt))
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
            return ArffHeader(relation or "", attrs, lineno)
        else:
            raise SourceError(
                f"ARFF header line {lineno}: expected @relation, @attribute or @data, "
                f"got {text[:40]!r}"
            )
    raise SourceError(f"ARFF header has no @data line (read {lineno} lines)", hint="is this an ARFF file?")


def _convert(value: str | None, attr: ArffAttribute) -> object:
    if value is None:
        return None
    if attr.kind in ("numeric", "integer"):
        try:
            number = float(value)
        except ValueError:
            raise ArffRowError(f"{attr.name}: not a number (got {value[:40]!r})") from None
        if attr.kind == "integer":
            if not number.is_integer():
                raise ArffRowError(f"{attr.name}: not an integer (got {value[:40]!r})")
            return int(number)
        return number
    if attr.kind == "nominal" and value not in attr.domain:
        raise ArffRowError(f"{attr.name}: not in the nominal domain (got {value[:40]!r})")
    if attr.kind == "date":
        try:
            return dt.datetime.strptime(value, attr.date_format or _date_format(DEFAULT_DATE))
        except ValueError:
            raise ArffRowError(f"{attr.name}: not a date (got {value[:40]!r})") from None
    return value


def _sparse_default(attr: ArffAttribute) -> str | None:
    """What an omitted sparse value means: 0, the first nominal level, or missing."""
    if attr.kind in ("numeric", "integer"):
        return "0"
    return attr.domain[0] if attr.kind == "nominal" and attr.domain else None


_SPARSE_ITEM = re.compile(r"^\s*(\d+)\s+(.*?)\s*$", re.S)


def parse_arff_row(line: str, header: ArffHeader) -> list[object] | None:
    """One data line as typed values, None for a blank/comment line; :class:`ArffRowError` if bad."""
    text = line.strip()
    if not text or text.startswith("%"):
        return None
    attrs = header.attributes
    raw: list[str | None]
    if text.startswith("{"):
        if not text.endswith("}"):
            raise ArffRowError("sparse row without closing '}'")
        raw = [_sparse_default(a) for a in attrs]
        body = text[1:-1].strip()
        for item in body.split(",") if body else []:
            m = _SPARSE_ITEM.match(item)
            if not m or int(m.group(1)) >= len(attrs):
                raise ArffRowError(f"bad sparse item (got {item.strip()[:40]!r})")
            raw[int(m.group(1))] = split_values(m.group(2))[0]
    else:
        raw = split_values(text)
        if len(raw) != len(attrs):
            raise ArffRowError(f"wrong number of values (expected {len(attrs)}, got {len(raw)})")
    return [_convert(v, a) for v, a in zip(raw, attrs, strict=True)]
