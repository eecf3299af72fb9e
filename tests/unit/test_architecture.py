"""The stages import only what lies before them, and no module imports itself in a cycle.

Imports under ``if TYPE_CHECKING:`` are left out: they are for the type checker only.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "auditor"

# The stages before enrichment and the checks must not know the checks, the reports or the CLI.
EARLY = ("advisories", "index", "imports", "reputation", "sources", "graph", "licenses", "resolve")
LATE = ("auditor.checks", "auditor.report", "auditor.cli")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_imports(tree: ast.AST) -> set[str]:
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for branch in node.orelse:
                visit(branch)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return {name for name in found if name == "auditor" or name.startswith("auditor.")}


def _graph() -> nx.DiGraph[str]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: nx.DiGraph[str] = nx.DiGraph()
    for name, path in modules.items():
        graph.add_node(name)
        for target in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if target in modules and target != name:
                graph.add_edge(name, target)
    return graph


GRAPH = _graph()


@pytest.mark.parametrize("stage", EARLY)
def test_early_stages_do_not_import_checks_reports_or_cli(stage: str) -> None:
    wrong = sorted(
        (module, target)
        for module, target in GRAPH.edges
        if module.startswith(f"auditor.{stage}") and target.startswith(LATE)
    )
    assert wrong == []


def test_guard_does_not_import_reports_or_the_cli() -> None:
    # guard wires resolve, enrich and the checks (through the pipeline); rendering is the CLI's.
    wrong = sorted(
        (module, target)
        for module, target in GRAPH.edges
        if module.startswith("auditor.guard")
        and target.startswith(("auditor.report", "auditor.cli"))
    )
    assert wrong == []


def test_reporters_do_not_load_rules() -> None:
    wrong = sorted(
        (module, target)
        for module, target in GRAPH.edges
        if module.startswith("auditor.report") and target.startswith("auditor.rules")
    )
    assert wrong == []


def test_no_import_cycle() -> None:
    # A package's __init__ re-exporting its submodules is not a cycle of behaviour.
    graph = GRAPH.copy()
    graph.remove_edges_from(
        [(a, b) for a, b in GRAPH.edges if b.startswith(a + ".") or a.startswith(b + ".")]
    )
    cycles = sorted(sorted(c) for c in nx.simple_cycles(graph))
    assert cycles == []
