"""The step graph of a spec: each source, dataset, table, model and score is a node."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sparkwing.errors import ConfigError, Problem

if TYPE_CHECKING:
    from sparkwing.config._spec import PipelineSpec

KINDS = ("sources", "datasets", "tables", "models", "scores")


@dataclass(frozen=True)
class Node:
    name: str
    kind: str  # one of KINDS
    depends_on: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class StepGraph:
    nodes: dict[str, Node]
    order: tuple[str, ...]  # a topological order: dependencies first

    def upstream(self, name: str) -> set[str]:
        """Every node ``name`` depends on, directly or not."""
        seen: set[str] = set()
        stack = list(self.nodes[name].depends_on)
        while stack:
            n = stack.pop()
            if n not in seen:
                seen.add(n)
                stack.extend(self.nodes[n].depends_on)
        return seen


def build_graph(spec: PipelineSpec) -> StepGraph:
    """Resolve ``from:`` references into a graph; unknown names, duplicates and cycles fail."""
    file = str(spec._path) if spec._path else "<spec>"
    problems: list[Problem] = []
    nodes: dict[str, Node] = {}
    for kind in KINDS:
        for name, entry in getattr(spec, kind).items():
            if name in nodes:
                problems.append(
                    Problem(f"{kind}.{name}", f"name already used in {nodes[name].kind}", file,
                            spec.line_of(kind, name))
                )
                continue
            refs = tuple(getattr(entry, "references", []))
            nodes[name] = Node(name, kind, refs)
    for node in nodes.values():
        for ref in node.depends_on:
            if ref not in nodes:
                known = ", ".join(sorted(nodes)) or "none"
                problems.append(
                    Problem(f"{node.kind}.{node.name}", f"refers to unknown {ref!r} (known: {known})",
                            file, spec.line_of(node.kind, node.name))
                )
            elif node.kind == "scores" and ref == node.depends_on[1] and nodes[ref].kind != "models":
                problems.append(
                    Problem(f"scores.{node.name}.model", f"{ref!r} is not a model", file,
                            spec.line_of("scores", node.name))
                )
    if problems:
        raise ConfigError("invalid step graph", problems=problems, hint="check the 'from:' names")
    order = _toposort(nodes, spec, file)
    return StepGraph(nodes, tuple(order))


def _toposort(nodes: dict[str, Node], spec: PipelineSpec, file: str) -> list[str]:
    order: list[str] = []
    state: dict[str, int] = {}  # 1 = visiting, 2 = done

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = path[path.index(name):] + [name]
            node = nodes[name]
            raise ConfigError(
                "invalid step graph",
                problems=[Problem(f"{node.kind}.{name}", "cycle: " + " -> ".join(cycle), file,
                                  spec.line_of(node.kind, name))],
                hint="a step cannot depend on its own output",
            )
        state[name] = 1
        for dep in nodes[name].depends_on:
            visit(dep, [*path, name])
        state[name] = 2
        order.append(name)

    for name in nodes:
        visit(name, [])
    return order
