"""Names that become folders, object keys and URL parts: one check for every entry point.

A pipeline, step, model, alias, table, version, run id or API key name ends up as a path segment
(``runs/<pipeline>/<run_id>/``, ``models/<name>/<version>/``, ``warehouse/<db>.db/<table>/``),
in a URL, or on a terminal.  :func:`check_name` is the one gate: the spec (pydantic), the CLI,
the REST service's and the UI's path parameters and the workspace layout all call it, so a name
one of them accepts the others accept too.

Every kind refuses, first, what could leave its folder or fool a reader: an empty name, more
than :data:`MAX_NAME_LENGTH` characters, a control or format character, ``/`` or ``\\``, ``..``
and ``.``; then each kind has its own grammar (:data:`GRAMMARS`).  The error
is an :class:`~sparkwing.errors.InvalidName` whose one line says which rule the name broke::

    check_name("loans", "pipeline")     # 'loans'
    check_name("../etc", "model")       # InvalidName: invalid model name '../etc': ...
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from sparkwing.errors import InvalidName

MAX_NAME_LENGTH = 128

NameKind = Literal[
    "pipeline", "step", "parameter", "model", "alias", "database", "table", "version", "run id",
    "key", "segment",
]  # fmt: skip

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_IDENT_WORDS = "letters, digits and _, starting with a letter or _"
#: kind -> (what the name is called in a message, its pattern or None, the pattern in words).
GRAMMARS: dict[str, tuple[str, str | None, str]] = {
    "pipeline": ("pipeline name", _IDENT, _IDENT_WORDS),
    "step": ("step name", _IDENT, _IDENT_WORDS),
    "parameter": ("parameter name", _IDENT, _IDENT_WORDS),
    "model": ("model name", _IDENT, _IDENT_WORDS),
    "alias": ("alias", r"[A-Za-z_][A-Za-z0-9_.-]*", "letters, digits, _ . -, starting with a letter or _"),
    "database": ("database name", _IDENT, _IDENT_WORDS),
    "table": ("table name", _IDENT, _IDENT_WORDS),
    "version": ("version", r"[A-Za-z0-9][A-Za-z0-9_.-]*",
                "letters, digits, _ . -, starting with a letter or digit"),
    "run id": ("run id", r"[A-Za-z0-9][A-Za-z0-9_.-]*",
               "letters, digits, _ . -, starting with a letter or digit"),
    "key": ("key name", r"[A-Za-z0-9_][A-Za-z0-9_.@-]*",
            "letters, digits, _ . @ -, starting with a letter, digit or _"),
    "segment": ("name", None, "one path segment"),
}
_COMPILED = {kind: re.compile(rf"^(?:{p})$") for kind, (_, p, _) in GRAMMARS.items() if p is not None}


def name_problem(value: object, kind: NameKind) -> str | None:
    """Why ``value`` cannot be a ``kind`` name, or ``None`` when it can."""
    if not isinstance(value, str):
        return f"is a {type(value).__name__}, not text"
    if not value:
        return "is empty"
    if len(value) > MAX_NAME_LENGTH:
        return f"is longer than {MAX_NAME_LENGTH} characters"
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in value):
        return "contains a control character"
    if "/" in value or "\\" in value:
        return "contains a path separator"
    if ".." in value:
        return "contains '..'"
    if value == ".":
        return "is '.'"
    pattern = _COMPILED.get(kind)
    if pattern is not None and not pattern.match(value):
        return f"must be {GRAMMARS[kind][2]}"
    return None


def check_name(
    value: str, kind: NameKind, *, what: str | None = None, max_length: int = MAX_NAME_LENGTH
) -> str:
    """``value`` if it is a valid ``kind`` name; else :class:`InvalidName` with a one-line reason.

    ``what`` names it in the message (default: the kind's word, e.g. "model name");
    ``max_length`` may only be stricter than :data:`MAX_NAME_LENGTH`.
    """
    problem = name_problem(value, kind)
    if problem is None and len(value) > max_length:
        problem = f"is longer than {max_length} characters"
    if problem is None:
        return value
    label, _, words = GRAMMARS[kind]
    label = what or label
    shown = repr(value[:60] + "..." if isinstance(value, str) and len(value) > 60 else value)
    raise InvalidName(f"invalid {label} {shown}: {problem}", kind=kind,
                      hint=f"a {label} is {words}, at most {min(max_length, MAX_NAME_LENGTH)} characters")


def is_name(value: object, kind: NameKind) -> bool:
    return name_problem(value, kind) is None
