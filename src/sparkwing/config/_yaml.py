"""YAML loading that remembers the line of every mapping key and sequence item.

Booleans are YAML 1.2's: only ``true``/``false``.  YAML 1.1 (PyYAML's default) also reads
``on``, ``off``, ``yes`` and ``no`` as booleans, which turned ``join: {on: [id]}`` into a
``True`` key; pydantic still accepts ``yes``/``no`` for boolean fields.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

Loc = tuple[str | int, ...]
_BOOL = "tag:yaml.org,2002:bool"


class SpecLoader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2 booleans."""


SpecLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
SpecLoader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def load_yaml(text: str) -> Any:
    """Parse one YAML document the way specs are parsed.

    >>> load_yaml("join: {with: b, on: [id]}")
    {'join': {'with': 'b', 'on': ['id']}}
    """
    return yaml.load(text, Loader=SpecLoader)  # noqa: S506 - SpecLoader is a SafeLoader


def load_with_lines(text: str, filename: str = "<spec>") -> tuple[Any, dict[Loc, int]]:
    """Parse YAML; return the data and a map from a location path to its 1-based line.

    >>> data, lines = load_with_lines("a:\\n  b: 1\\n")
    >>> lines[("a", "b")]
    2
    """
    from sparkwing.errors import ConfigError, Problem

    try:
        node = yaml.compose(text, Loader=SpecLoader)
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(
            "spec is not valid YAML",
            problems=[Problem("", str(reason), file=filename, line=line)],
            hint="fix the YAML syntax at the line shown",
        ) from None
    lines: dict[Loc, int] = {}
    if node is not None:
        _walk(node, (), lines)
    return data, lines


def _walk(node: yaml.Node, loc: Loc, lines: dict[Loc, int]) -> None:
    lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*loc, str(key.value))
            lines[child] = key.start_mark.line + 1
            _walk(value, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*loc, i), lines)


def line_for(loc: Loc, lines: dict[Loc, int]) -> int | None:
    """The line of ``loc`` or of its closest ancestor that has one."""
    for n in range(len(loc), -1, -1):
        if loc[:n] in lines:
            return lines[loc[:n]]
    return None
