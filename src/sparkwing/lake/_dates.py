"""Dates and timestamps parsed in plain Python with Spark's (Java's) pattern letters.

Used on the executors by the formats sparkwing parses itself (JSON lines, ARFF).  A pattern
compiles once into a regular expression; a value must match it whole and name a real calendar
date (``2021-02-30`` fails), so a bad value is quarantined instead of being rolled over.

Letters: ``yyyy``/``yy`` (``yy`` is 2000-2099, as in Spark), ``M``/``MM`` (1-2 digits / exactly
2), ``MMM``/``MMMM`` (English month names), ``d``/``dd``, ``H``/``HH``, ``h``/``hh`` with ``a``,
``m``/``mm``, ``s``/``ss``, ``S``... (1-6 fraction digits), ``E``... (a day name, not checked),
``X``/``XXX``/``Z``/``x`` (``Z`` or a ±HH[:MM] offset), ``'quoted text'``.  Without a pattern a
date is ``yyyy-MM-dd`` and a timestamp is ISO 8601 (``T`` or a space, optional fraction and
offset).  A timestamp without an offset is wall-clock time in the Spark session time zone.

>>> DatePattern.compile("M/d/yy").date("3/7/21")
datetime.date(2021, 3, 7)
>>> DatePattern.compile("M/d/yy").date("13/7/21")
Traceback (most recent call last):
...
ValueError: '13/7/21' is not a valid date (M/d/yy)
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sparkwing.errors import ConfigError

_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_MONTH_NAMES = [
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
]  # fmt: skip
_OFFSET = r"(?P<tz>Z|[+-]\d{2}(?::?\d{2})?)"
_ISO = re.compile(
    r"^(?P<y>\d{4})-(?P<M>\d{2})-(?P<d>\d{2})"
    r"(?:[T ](?P<H>\d{2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:\.(?P<S>\d{1,6}))?)?" + _OFFSET + r"?)?$"
)
_ISO_DATE = re.compile(r"^(?P<y>\d{4})-(?P<M>\d{2})-(?P<d>\d{2})$")
_LETTERS = {  # (letter, count) -> group regex; count 0 means "any other count"
    ("y", 4): r"(?P<y>\d{4})", ("y", 2): r"(?P<yy>\d{2})", ("y", 1): r"(?P<y>\d{1,4})",
    ("M", 1): r"(?P<M>\d{1,2})", ("M", 2): r"(?P<M>\d{2})",
    ("M", 3): r"(?P<Mon>[A-Za-z]{3})", ("M", 4): r"(?P<Month>[A-Za-z]{3,9})",
    ("d", 1): r"(?P<d>\d{1,2})", ("d", 2): r"(?P<d>\d{2})",
    ("H", 1): r"(?P<H>\d{1,2})", ("H", 2): r"(?P<H>\d{2})",
    ("h", 1): r"(?P<h>\d{1,2})", ("h", 2): r"(?P<h>\d{2})",
    ("m", 1): r"(?P<m>\d{1,2})", ("m", 2): r"(?P<m>\d{2})",
    ("s", 1): r"(?P<s>\d{1,2})", ("s", 2): r"(?P<s>\d{2})",
    ("S", 0): r"(?P<S>\d{1,6})", ("a", 1): r"(?P<a>[AaPp][Mm])", ("E", 0): r"[A-Za-z]{2,9}",
    ("X", 0): _OFFSET, ("Z", 0): _OFFSET, ("x", 0): _OFFSET,
}  # fmt: skip


@dataclass(frozen=True)
class DatePattern:
    """A compiled date/timestamp pattern; ``None`` text means the ISO default."""

    text: str | None
    regex: re.Pattern[str]

    @classmethod
    def compile(cls, pattern: str | None, *, kind: str = "date") -> DatePattern:
        """Compile ``pattern`` (Spark letters), or the ISO default for ``kind`` when None.

        Raises :class:`ConfigError` for letters this parser does not know.
        """
        if pattern is None:
            return cls(None, _ISO_DATE if kind == "date" else _ISO)
        return cls(pattern, re.compile("^" + _translate(pattern) + "$"))

    @property
    def label(self) -> str:
        return self.text or "ISO 8601"

    def _fields(self, value: str, kind: str) -> dict[str, str | None]:
        m = self.regex.match(value.strip())
        if m is None:
            raise ValueError(f"{value[:60]!r} is not a valid {kind} ({self.text or _default(kind)})")
        return m.groupdict()

    def date(self, value: str) -> dt.date:
        """The calendar date ``value`` names; ValueError (the quarantine reason) if none."""
        g = self._fields(value, "date")
        try:
            return dt.date(_year(g), _month(g), int(g["d"] or 1))
        except (ValueError, TypeError):
            raise ValueError(f"{value[:60]!r} is not a valid date ({self.text or 'yyyy-MM-dd'})") from None

    def timestamp(self, value: str, zone: ZoneInfo) -> dt.datetime:
        """An aware datetime (UTC); a value without an offset is wall-clock time in ``zone``."""
        g = self._fields(value, "timestamp")
        try:
            hour = int(g.get("H") or 0)
            if g.get("h"):
                hour = int(g["h"] or 0) % 12 + (12 if (g.get("a") or "").lower() == "pm" else 0)
                if not 1 <= int(g["h"] or 0) <= 12:
                    raise ValueError
            frac = (g.get("S") or "").ljust(6, "0")
            stamp = dt.datetime(
                _year(g), _month(g), int(g.get("d") or 1), hour, int(g.get("m") or 0),
                int(g.get("s") or 0), int(frac or 0),
            )  # fmt: skip
            tz = _zone(g.get("tz"), zone)
        except (ValueError, TypeError):
            raise ValueError(
                f"{value[:60]!r} is not a valid timestamp ({self.text or _default('timestamp')})"
            ) from None
        return stamp.replace(tzinfo=tz).astimezone(dt.timezone.utc)


def _default(kind: str) -> str:
    return "yyyy-MM-dd" if kind == "date" else "ISO 8601"


def _year(g: dict[str, str | None]) -> int:
    if g.get("yy") is not None:
        return 2000 + int(g["yy"] or 0)
    return int(g.get("y") or 1970)


def _month(g: dict[str, str | None]) -> int:
    if g.get("Mon"):
        return _MONTHS.index((g["Mon"] or "").lower()) + 1
    if g.get("Month"):
        return _MONTH_NAMES.index((g["Month"] or "").lower()) + 1
    return int(g.get("M") or 1)


def _zone(text: str | None, zone: ZoneInfo) -> dt.tzinfo:
    if not text:
        return zone
    if text == "Z":
        return dt.timezone.utc
    digits = text[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + int(digits[2:4] or 0)
    if minutes >= 24 * 60:
        raise ValueError
    return dt.timezone(dt.timedelta(minutes=minutes if text[0] == "+" else -minutes))


def _translate(pattern: str) -> str:
    out: list[str] = []
    seen: set[str] = set()
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "'":
            end = pattern.find("'", i + 1)
            if end < 0:
                raise ConfigError(f"date pattern {pattern!r}: unterminated quote")
            out.append(re.escape(pattern[i + 1 : end]) if end > i + 1 else "'")
            i = end + 1
            continue
        if not c.isalpha():
            out.append(re.escape(c))
            i += 1
            continue
        j = i
        while j < n and pattern[j] == c:
            j += 1
        count = j - i
        regex = _LETTERS.get((c, count)) or _LETTERS.get((c, 0))
        if regex is None and c in "Mdhmsy" and count > 2:  # extra letters: the widest form
            regex = _LETTERS[(c, {"y": 4, "M": 4}.get(c, 2))]
        if regex is None:
            raise ConfigError(
                f"date pattern {pattern!r}: unsupported letter {c * count!r}",
                hint="use y, M, d, H, h, a, m, s, S, E, X, Z and 'quoted text'",
            )
        group = re.findall(r"\?P<(\w+)>", regex)
        if group and group[0] in seen:
            raise ConfigError(f"date pattern {pattern!r}: {c!r} appears twice")
        seen.update(group)
        out.append(regex)
        i = j
    return "".join(out)
