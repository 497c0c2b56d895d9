"""YAML loading that remembers the line of every mapping key and sequence item.

Booleans are YAML 1.2's: only ``true``/``false``.  YAML 1.1 (PyYAML's default) also reads
``on``, ``off``, ``yes`` and ``no`` as booleans, which turned ``join: {on: [id]}`` into a
``True`` key; pydantic still accepts ``yes``/``no`` for boolean fields.

Specs come from users and from CI, so parsing is bounded: at most :data:`MAX_SPEC_BYTES` of
text, and aliases may expand the document to at most :data:`MAX_NODES` nodes.  An alias costs
nothing to parse but everything after it (the line walker, pydantic) visits the aliased
subtree again at every use, so a 350-byte "billion laughs" would expand to 10^8 nodes.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

Loc = tuple[str | int, ...]
MAX_SPEC_BYTES = 1 << 20
MAX_NODES = 100_000  # nodes of the spec once every alias is expanded


_BOOL = "tag:yaml.org,2002:bool"


class SpecLoader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2 booleans."""


SpecLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
SpecLoader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def load_yaml(text: str, filename: str = "<yaml>") -> Any:
    """Parse one YAML document the way specs are parsed (aliases bounded, see the module).

    >>> load_yaml("join: {with: b, on: [id]}")
    {'join': {'with': 'b', 'on': ['id']}}
    """
    node = yaml.compose(text, Loader=SpecLoader)
    if node is not None:
        _check_expansion(node, filename)
    return yaml.load(text, Loader=SpecLoader)  # noqa: S506 - SpecLoader is a SafeLoader


def load_with_lines(text: str, filename: str = "<spec>") -> tuple[Any, dict[Loc, int]]:
    """Parse YAML; return the data and a map from a location path to its 1-based line.

    >>> data, lines = load_with_lines("a:\\n  b: 1\\n")
    >>> lines[("a", "b")]
    2
    """
    from sparkwing.errors import ConfigError, Problem

    if len(text) > MAX_SPEC_BYTES:
        raise ConfigError(f"spec is larger than {MAX_SPEC_BYTES:,} bytes ({len(text):,})",
                          problems=[Problem("", "too large", file=filename)],
                          hint="split it, or move data out of the spec")
    try:
        node = yaml.compose(text, Loader=SpecLoader)
        data = load_yaml(text, filename)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(
            "spec is not valid YAML",
            problems=[Problem("", str(reason), file=filename, line=line)],
            hint="fix the YAML syntax at the line shown",
        ) from None
    except RecursionError:
        raise ConfigError("spec is nested too deeply", problems=[Problem("", "too deep", file=filename)],
                          hint="flatten the spec") from None
    lines: dict[Loc, int] = {}
    if node is not None:
        _walk(node, lines)
    return data, lines


def _check_expansion(root: yaml.Node, filename: str) -> None:
    """Refuse a document whose aliases expand it beyond :data:`MAX_NODES` (or refer to themselves).

    Counts the expanded size of every distinct node once (memoised, iterative), so the check
    costs as much as the text, not as the expansion.
    """
    from sparkwing.errors import ConfigError, Problem

    size: dict[int, int] = {}
    active: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children = _children(node)
        if done:
            active.discard(key)
            size[key] = min(MAX_NODES + 1, 1 + sum(size[id(c)] for c in children))
            if size[key] > MAX_NODES:
                line = node.start_mark.line + 1
                raise ConfigError(
                    f"spec expands to more than {MAX_NODES:,} values through YAML aliases",
                    problems=[Problem("", "alias expansion over the limit (a YAML 'billion laughs'?)",
                                      file=filename, line=line)],
                    hint="use fewer nested aliases (*name); write the repeated parts out")
            continue
        if key in size:
            continue
        if key in active:
            raise ConfigError("spec has a YAML alias that refers to itself",
                              problems=[Problem("", "recursive alias", file=filename,
                                                line=node.start_mark.line + 1)],
                              hint="remove the recursive alias (*name inside its own &name)")
        active.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in size)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _walk(root: yaml.Node, lines: dict[Loc, int]) -> None:
    # Iterative: a deeply nested (but small) spec must not hit the recursion limit here.
    stack: list[tuple[yaml.Node, Loc]] = [(root, ())]
    while stack:
        node, loc = stack.pop()
        lines.setdefault(loc, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                child = (*loc, str(key.value))
                lines[child] = key.start_mark.line + 1
                stack.append((value, child))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, (*loc, i)) for i, item in enumerate(node.value))


def line_for(loc: Loc, lines: dict[Loc, int]) -> int | None:
    """The line of ``loc`` or of its closest ancestor that has one."""
    for n in range(len(loc), -1, -1):
        if loc[:n] in lines:
            return lines[loc[:n]]
    return None
