"""Implementations registered against the step and check kinds of ``sparkwing.config``.

``config`` owns the kinds (names, parameter models); ``prep`` owns what they do.  Each table
is built with keyword arguments, so a kind cannot be implemented twice (Python refuses a
repeated keyword), and :func:`implement` refuses a kind config does not know or one left out.

>>> implement({"cast": ...}, "step", cast=print)["cast"] is print
True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def implement(kinds: Mapping[str, Any], what: str, **functions: F) -> Mapping[str, F]:
    """A read-only table kind -> implementation covering exactly the kinds of ``kinds``."""
    unknown = sorted(set(functions) - set(kinds))
    missing = sorted(set(kinds) - set(functions))
    if unknown or missing:
        raise TypeError(
            f"{what} implementations do not match sparkwing.config's kinds: "
            f"unknown {unknown or 'none'}, missing {missing or 'none'}"
        )
    return MappingProxyType({name: functions[name] for name in kinds})
