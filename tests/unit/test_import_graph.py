"""``rocketjob/`` has no import cycle.

The graph counts every import that runs, at module level *and* inside functions: a deferred
import is how a cycle usually hides (it works until someone moves a line), so it counts as
an edge like any other. Imports under ``if TYPE_CHECKING:`` never run and are left out;
they are what lets a module name a type from a module that depends on it.
``from package import name`` is an edge to ``package.name`` when that is a module, else to
``package``.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "rocketjob"


def _modules() -> dict[str, tuple[Path, bool]]:
    found = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        found[".".join(parts)] = (path, is_package)
    return found


def _runtime_imports(node: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Import statements under ``node``, skipping ``if TYPE_CHECKING:`` bodies."""
    found: list[ast.Import | ast.ImportFrom] = []
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
            for other in child.orelse:
                found.extend(_runtime_imports(other))
            continue
        if isinstance(child, ast.Import | ast.ImportFrom):
            found.append(child)
        found.extend(_runtime_imports(child))
    return found


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, (path, is_package) in modules.items():
        edges: set[str] = set()
        for statement in _runtime_imports(ast.parse(path.read_text())):
            if isinstance(statement, ast.Import):
                edges.update(a.name for a in statement.names if a.name in modules)
                continue
            base = statement.module or ""
            if statement.level:
                package = name.split(".") if is_package else name.split(".")[:-1]
                package = package[: len(package) - statement.level + 1]
                base = ".".join([*package, *([statement.module] if statement.module else [])])
            for alias in statement.names:
                target = f"{base}.{alias.name}"
                if target in modules:
                    edges.add(target)
                elif base in modules:
                    edges.add(base)
        edges.discard(name)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            for target in edges:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_the_graph_sees_deferred_imports() -> None:
    graph = import_graph()
    # rocketjob.connection imports rocketjob.job inside ensure_indexes().
    assert "rocketjob.job" in graph["rocketjob.connection"]
    assert "rocketjob.runtime.claim" in graph["rocketjob.runtime.worker"]


def test_cycles_are_found() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_rocketjob_has_no_import_cycle() -> None:
    assert cycles(import_graph()) == []
