"""Pipeline parameters: ``params: {ds: {type: date, default: today}}`` used as ``${ds}`` in the spec.

Values are typed and checked before they touch the spec, then substituted into its text (source
URIs, filters, table partitions: anywhere), so the spec is validated with the values in place
and a run's spec hash says which values it ran with.  Only declared names are replaced: Oozie's
``${YEAR}`` in an ``on_data`` URI stays as it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sparkwing.errors import ConfigError

ParamType = Literal["date", "string", "int"]
# A string value is substituted into YAML: keep it to characters that cannot change its structure.
_SAFE = re.compile(r"^[A-Za-z0-9_.:/=+@-]{0,200}$")
_RELATIVE_DATES = {"today": 0, "yesterday": -1}


class ParamSpec(BaseModel):
    """One parameter of the pipeline."""

    model_config = ConfigDict(extra="forbid")

    type: ParamType = Field("string", description="date (YYYY-MM-DD), string or int.")
    default: str | int | None = Field(
        None, description="Value when none is given; for a date also `today` or `yesterday` (UTC)."
    )
    description: str | None = Field(None, description="What the parameter means.")

    @model_validator(mode="after")
    def _default(self) -> ParamSpec:
        if self.default is not None and not (self.type == "date" and self.default in _RELATIVE_DATES):
            check_value(self.type, str(self.default))
        return self


def check_value(kind: ParamType, value: str) -> str:
    """``value`` as the parameter's canonical text, or ValueError saying what is wrong."""
    if kind == "date":
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)") from None
    if kind == "int":
        try:
            return str(int(value))
        except ValueError:
            raise ValueError(f"{value!r} is not an integer") from None
    if not _SAFE.match(value):
        raise ValueError(f"{value!r}: a string parameter is letters, digits and _ . : / = + @ - "
                         "(at most 200)")
    return value


def resolve_params(
    declared: Mapping[str, ParamSpec], given: Mapping[str, str], today: date
) -> dict[str, str]:
    """Every declared parameter's value: given, else its default; unknown or missing ones raise."""
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise ConfigError(f"unknown parameter(s) {', '.join(unknown)}; the spec declares: "
                          f"{', '.join(sorted(declared)) or 'none'}", hint="declare them under params:")
    out: dict[str, str] = {}
    for name, spec in declared.items():
        if name in given:
            raw = given[name]
        elif spec.default is None:
            raise ConfigError(f"parameter {name!r} has no default: give it with -p {name}=VALUE")
        elif spec.type == "date" and spec.default in _RELATIVE_DATES:
            raw = (today + timedelta(days=_RELATIVE_DATES[str(spec.default)])).isoformat()
        else:
            raw = str(spec.default)
        try:
            out[name] = check_value(spec.type, raw)
        except ValueError as exc:
            raise ConfigError(f"parameter {name}: {exc}") from None
    return out


def substitute(text: str, values: Mapping[str, str]) -> str:
    """``text`` with ``${name}`` replaced for each name in ``values`` (others left alone)."""
    if not values:
        return text
    pattern = re.compile(r"\$\{(" + "|".join(re.escape(n) for n in values) + r")\}")
    return pattern.sub(lambda m: values[m.group(1)], text)


def parse_assignments(items: list[str]) -> dict[str, str]:
    """``["ds=2026-11-30"]`` from the command line as ``{"ds": "2026-11-30"}``."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"-p expects name=value, got {item!r}")
        out[name.strip()] = value.strip()
    return out
