"""Test functions as verifier cases: the package's own tests, and the tests an LLM proposes.

Some distributions ship their tests (``toolz/tests/test_itertoolz.py``). A test function is
taken when it is a plain ``def test_x():`` (no parameters, no decorators: no fixtures) whose
global names are builtins, standard-library imports of its file, or the symbols the project
uses. It is copied, never run here: the verifier runs it in each sandbox against the original
and against the draft, and a test that passes on the original must pass on the draft. The
LLM's tests are read the same way (`proposed_tests`): a test of the model's that fails on the
original is set aside, never counted against the draft.
"""

from __future__ import annotations

import ast
import builtins
import symtable
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from auditor.replace.slicer import SymbolInfo
from auditor.replace.source import PackageSource

MODULE = "_auditor_pkgtests"
LLM_MODULE = "_auditor_llmtests"
_BUILTINS = frozenset(dir(builtins))
_MAX_TESTS = 200


@dataclass(frozen=True, slots=True, kw_only=True)
class PackageTests:
    """Test functions to run on both sides, with the imports they need."""

    imports: tuple[str, ...]
    functions: tuple[tuple[str, str], ...]
    names: tuple[str, ...]
    files: tuple[str, ...]
    module: str = MODULE
    label: str = "package-test"

    def module_text(self, subject: str) -> str:
        """The test module for one side, importing the used names from `subject`."""
        head = [*self.imports, f"from {subject} import {', '.join(self.names)}"]
        return "\n".join(head) + "\n\n\n" + "\n\n\n".join(text for _n, text in self.functions)


def _globals(table: symtable.SymbolTable) -> set[str]:
    found = {s.get_name() for s in table.get_symbols() if s.is_global() and s.is_referenced()}
    for child in table.get_children():
        found |= _globals(child)
    return found


def _stdlib_imports(tree: ast.Module, lines: Sequence[str]) -> tuple[list[str], set[str]]:
    kept: list[str] = []
    bound: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import) and all(
            a.name.split(".")[0] in sys.stdlib_module_names for a in node.names
        ):
            kept.append("".join(lines[node.lineno - 1 : node.end_lineno]).strip())
            bound.update(a.asname or a.name.split(".")[0] for a in node.names)
        elif (
            isinstance(node, ast.ImportFrom)
            and node.module
            and not node.level
            and node.module.split(".")[0] in sys.stdlib_module_names
            and all(a.name != "*" for a in node.names)
        ):
            kept.append("".join(lines[node.lineno - 1 : node.end_lineno]).strip())
            bound.update(a.asname or a.name for a in node.names)
    return kept, bound


def _collect(
    text: str,
    relpath: str,
    used: set[str],
    sources: set[str],
    functions: dict[str, tuple[str, str]],
) -> list[str] | None:
    """Add the file's eligible test functions to `functions`; return its stdlib imports.

    None when the file does not parse or gives no test.
    """
    try:
        tree = ast.parse(text)
        table = symtable.symtable(text, relpath, "exec")
    except (SyntaxError, ValueError):
        return None
    lines = text.splitlines(keepends=True)
    kept, bound = _stdlib_imports(tree, lines)
    imported = {
        a.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom)
        and node.module
        and not node.level
        and node.module.split(".")[0] in sources
        for a in node.names
        if a.asname is None and a.name in used
    }
    tables = {(t.get_name(), t.get_lineno()): t for t in table.get_children()}
    allowed = _BUILTINS | bound | imported
    taken = False
    for node in tree.body:
        if not (isinstance(node, ast.FunctionDef) and node.name.startswith("test_")):
            continue
        args = node.args
        if node.decorator_list or args.args or args.posonlyargs or args.kwonlyargs:
            continue
        if args.vararg or args.kwarg or node.name in functions:
            continue
        child = tables.get((node.name, node.lineno))
        needs = _globals(child) if child is not None else {"?"}
        if not needs & imported or not needs <= allowed:
            continue
        functions[node.name] = (
            node.name,
            "".join(lines[node.lineno - 1 : node.end_lineno]).rstrip() + "\n",
        )
        taken = True
        if len(functions) >= _MAX_TESTS:
            break
    return kept if taken else None


def _used(symbols: Sequence[SymbolInfo]) -> set[str]:
    return {s.name for s in symbols if s.qualified.rpartition(".")[2] == s.name}


def find_package_tests(source: PackageSource, symbols: Sequence[SymbolInfo]) -> PackageTests | None:
    """Collect the package's test functions that use only the used symbols (None: none)."""
    used = _used(symbols)
    tops = {f.split("/")[0].removesuffix(".py") for f in source.files}
    imports: list[str] = []
    functions: dict[str, tuple[str, str]] = {}
    files: list[str] = []
    for relpath in source.files:
        name = relpath.rpartition("/")[2]
        if not (name.startswith("test_") and "tests/" in relpath):
            continue
        text = (source.root / relpath).read_text(encoding="utf-8", errors="replace")
        kept = _collect(text, relpath, used, tops, functions)
        if kept is not None:
            imports.extend(i for i in kept if i not in imports)
            files.append(relpath)
    if not functions:
        return None
    return PackageTests(
        imports=tuple(imports),
        functions=tuple(functions.values()),
        names=tuple(sorted(used)),
        files=tuple(files),
    )


def proposed_tests(
    text: str, symbols: Sequence[SymbolInfo], module_names: set[str]
) -> PackageTests | None:
    """The LLM's proposed tests (untrusted: they only ever run in the sandbox, on both sides)."""
    used = _used(symbols)
    functions: dict[str, tuple[str, str]] = {}
    kept = _collect(text, "llm-tests", used, module_names, functions)
    if kept is None:
        return None
    return PackageTests(
        imports=tuple(kept),
        functions=tuple(functions.values()),
        names=tuple(sorted(used)),
        files=("llm reply",),
        module=LLM_MODULE,
        label="llm-test",
    )


__all__ = ["LLM_MODULE", "MODULE", "PackageTests", "find_package_tests", "proposed_tests"]
