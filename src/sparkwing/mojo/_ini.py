"""``model.ini``: the ``[info]`` keys (typed on access), ``[columns]`` and ``[domains]``.

Values are kept as the writer's strings and converted when read, so a wrong type is reported
with the key that holds it::

    >>> ini = parse_ini("[info]\\nn_columns = 1\\n[columns]\\nx\\n", DEFAULT_LIMITS)
    >>> ini.get_int("n_columns"), ini.columns
    (1, ['x'])
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sparkwing.errors import MojoError

if TYPE_CHECKING:
    from sparkwing.mojo._container import Limits

_INT = re.compile(r"^[+-]?\d+$")
_MISSING: Any = object()


def _bad(key: str, raw: str, want: str) -> MojoError:
    shown = raw if len(raw) <= 60 else raw[:57] + "..."
    return MojoError(
        f"model.ini key {key!r} must be {want}, got {shown!r}", hint="the MOJO is corrupt or edited"
    )


def parse_float(key: str, raw: str) -> float:
    """A Java ``Double.toString`` value (``1.0E-5``, ``NaN``, ``Infinity``)."""
    s = raw.strip()
    if s in ("NaN", "Infinity", "-Infinity"):
        return float(s)
    try:
        if "_" in s or s.lower() in ("nan", "inf", "-inf", "+inf", "infinity", "-infinity"):
            raise ValueError(s)
        return float(s)
    except ValueError:
        raise _bad(key, raw, "a number") from None


def parse_int(key: str, raw: str) -> int:
    s = raw.strip()
    if not _INT.match(s) or len(s) > 20:
        raise _bad(key, raw, "an integer")
    return int(s)


def _split_array(key: str, raw: str) -> list[str]:
    s = raw.strip()
    if not (s.startswith("[") and s.endswith("]")):
        raise _bad(key, raw, "an array [a, b, ...]")
    inner = s[1:-1].strip()
    return [] if not inner else [p.strip() for p in inner.split(",")]


@dataclass
class ModelIni:
    """Parsed ``model.ini``."""

    info: dict[str, str] = field(default_factory=dict)
    columns: list[str] = field(default_factory=list)
    domain_files: dict[int, tuple[int, str]] = field(default_factory=dict)

    def has(self, key: str) -> bool:
        return key in self.info and self.info[key].strip() != "null"

    def _raw(self, key: str, default: Any) -> Any:
        raw = self.info.get(key)
        if raw is None or raw.strip() == "null":
            if default is _MISSING:
                raise MojoError(f"model.ini has no key {key!r}", hint="the MOJO is incomplete")
            return default
        return raw

    def get_str(self, key: str, default: Any = _MISSING) -> Any:
        raw = self._raw(key, default)
        return raw if raw is default else raw.strip()

    def get_int(self, key: str, default: Any = _MISSING, *, lo: int = -(2**31), hi: int = 2**31 - 1) -> Any:
        raw = self._raw(key, default)
        if raw is default:
            return default
        value = parse_int(key, raw)
        if not lo <= value <= hi:
            raise _bad(key, raw, f"an integer in [{lo}, {hi}]")
        return value

    def get_float(self, key: str, default: Any = _MISSING) -> Any:
        raw = self._raw(key, default)
        return raw if raw is default else parse_float(key, raw)

    def get_bool(self, key: str, default: Any = _MISSING) -> Any:
        raw = self._raw(key, default)
        if raw is default:
            return default
        s = raw.strip()
        if s not in ("true", "false"):
            raise _bad(key, raw, "true or false")
        return s == "true"

    def get_floats(self, key: str, default: Any = _MISSING) -> Any:
        raw = self._raw(key, default)
        if raw is default:
            return default
        return [parse_float(key, p) for p in _split_array(key, raw)]

    def get_ints(self, key: str, default: Any = _MISSING) -> Any:
        raw = self._raw(key, default)
        if raw is default:
            return default
        return [parse_int(key, p) for p in _split_array(key, raw)]

    def get_strs(self, key: str, default: Any = _MISSING) -> Any:
        raw = self._raw(key, default)
        return raw if raw is default else _split_array(key, raw)


def parse_ini(text: str, limits: Limits) -> ModelIni:
    ini = ModelIni()
    section = ""
    n_columns = -1
    for lineno, line in enumerate(text.split("\n"), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line in ("[info]", "[columns]", "[domains]"):
            section = line
            if section == "[columns]":
                if "n_columns" not in ini.info:
                    raise MojoError("model.ini: [columns] comes before n_columns is set")
                n_columns = ini.get_int("n_columns", lo=0, hi=limits.max_columns)
            continue
        if section == "[info]":
            key, eq, value = line.partition("=")
            if not eq:
                raise MojoError(f"model.ini line {lineno}: expected key = value, got {line[:60]!r}")
            ini.info[key.strip()] = value.strip()
        elif section == "[columns]":
            if len(ini.columns) >= n_columns:
                raise MojoError(f"model.ini lists more than n_columns={n_columns} columns")
            ini.columns.append(line)
        elif section == "[domains]":
            idx, colon, rest = line.partition(":")
            parts = rest.split()
            if not colon or len(parts) != 2:
                raise MojoError(f"model.ini line {lineno}: bad domain entry {line[:60]!r}")
            col = parse_int("[domains]", idx)
            n = parse_int("[domains]", parts[0])
            if n < 0 or n > limits.max_levels:
                raise MojoError(
                    f"model.ini: domain of column {col} has {n} levels (limit {limits.max_levels})"
                )
            if 0 <= col < n_columns:
                ini.domain_files[col] = (n, parts[1])
        else:
            raise MojoError(f"model.ini line {lineno}: text outside a section: {line[:60]!r}")
    if not ini.info:
        raise MojoError("model.ini has no [info] section", hint="not a MOJO")
    if n_columns >= 0 and len(ini.columns) != n_columns:
        raise MojoError(f"model.ini lists {len(ini.columns)} columns, n_columns says {n_columns}")
    return ini
