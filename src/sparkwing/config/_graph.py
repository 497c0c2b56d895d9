"""The step graph of a spec: each source, dataset, learned feature set, table, model and score is a node."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sparkwing.errors import ConfigError, Problem

if TYPE_CHECKING:
    from sparkwing.config._spec import PipelineSpec

KINDS = ("sources", "datasets", "features", "tables", "models", "scores")


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
    """Kahn's algorithm; among ready nodes, earlier kinds first (so every dataset's checks
    run before any table is published), then declaration order."""
    rank = {kind: i for i, kind in enumerate(KINDS)}
    position = {name: i for i, name in enumerate(nodes)}
    waiting = {name: set(node.depends_on) for name, node in nodes.items()}
    order: list[str] = []
    while waiting:
        ready = [n for n, deps in waiting.items() if not deps]
        if not ready:
            raise _cycle_error(nodes, waiting, spec, file)
        best = min(ready, key=lambda n: (rank[nodes[n].kind], position[n]))
        order.append(best)
        del waiting[best]
        for deps in waiting.values():
            deps.discard(best)
    return order


def _cycle_error(
    nodes: dict[str, Node], waiting: dict[str, set[str]], spec: PipelineSpec, file: str
) -> ConfigError:
    # Walk from any blocked node along unfinished dependencies until a node repeats.
    start = min(waiting)
    path = [start]
    while True:
        nxt = min(waiting[path[-1]])
        if nxt in path:
            cycle = path[path.index(nxt):] + [nxt]
            break
        path.append(nxt)
    node = nodes[cycle[0]]
    return ConfigError(
        "invalid step graph",
        problems=[Problem(f"{node.kind}.{node.name}", "cycle: " + " -> ".join(cycle), file,
                          spec.line_of(node.kind, node.name))],
        hint="a step cannot depend on its own output",
    )
