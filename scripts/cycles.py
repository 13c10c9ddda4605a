#!/usr/bin/env python3
"""Print the import cycles between otdiag's packages (check, collector, otlp, validate, ...).

Every `import otdiag.X...` / `from otdiag.X... import` in a module counts, wherever it is written
(deferred imports inside functions too), except those under `if TYPE_CHECKING:`. A module directly
in otdiag/ is its own package (otdiag.catalogue -> "catalogue"). Exit 1 when there is a cycle.

    python scripts/cycles.py            # the cycles, one per line, and the package edges in them
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "otdiag"


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, here: str) -> set[str]:
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("otdiag."))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(here.split(".")[: -node.level] + ([base] if base else []))
            if base == "otdiag":
                found.update(f"otdiag.{a.name}" for a in node.names)
            elif base.startswith("otdiag."):
                found.add(base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def edges() -> dict[str, dict[str, list[str]]]:
    """package -> package it imports -> the modules that do."""
    out: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT.parent).with_suffix("")
        module = ".".join(rel.parts).removesuffix(".__init__")
        if ".observe.inject" in module:
            continue  # runs inside the observed app, never imports otdiag
        src = _package(module) if module != "otdiag" else "otdiag"
        for target in _imports(ast.parse(path.read_text()), module):
            dst = _package(target)
            if dst != src and target != "otdiag":
                out[src][dst].append(module)
    return out


def mutual(graph: dict[str, dict[str, list[str]]]) -> list[tuple[str, str]]:
    """Pairs of packages that import each other directly: the cycles to cut."""
    return sorted((a, b) for a in graph for b in graph[a] if a < b and a in graph.get(b, {}))


def components(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """Groups of packages that reach each other through imports (strongly connected, two or more)."""

    def reachable(start: str) -> set[str]:
        seen: set[str] = set()
        todo = list(graph.get(start, {}))
        while todo:
            n = todo.pop()
            if n not in seen:
                seen.add(n)
                todo.extend(graph.get(n, {}))
        return seen

    reach = {pkg: reachable(pkg) for pkg in graph}
    groups = {frozenset({a} | {b for b in reach[a] if a in reach.get(b, set())}) for a in graph if a in reach[a]}
    return sorted(sorted(g) for g in groups if len(g) > 1)


def main() -> int:
    graph = edges()
    pairs = mutual(graph)
    for a, b in pairs:
        print(f"{a} <-> {b}")
        print(f"    {a} -> {b}: {', '.join(sorted(set(graph[a][b])))}")
        print(f"    {b} -> {a}: {', '.join(sorted(set(graph[b][a])))}")
    print(f"{len(pairs)} package cycle(s) of two packages importing each other")
    for group in components(graph):
        print(f"packages that reach each other: {' '.join(group)}")
    return 1 if pairs or components(graph) else 0


if __name__ == "__main__":
    sys.exit(main())
