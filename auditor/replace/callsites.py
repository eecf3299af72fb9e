"""Where the project calls the symbols it uses from a package, with the literal arguments.

The import scan (`auditor.imports.usage`) says which symbols a file uses; this reads those files
again with `ast` (never running them) to find each call, its line, and its arguments when they
are literals (``underscore("DeviceType")``): the verifier tries those inputs first, the agent
sees the calls, and replaceability counts them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_MAX_BYTES = 2_000_000


@dataclass(frozen=True, slots=True, kw_only=True)
class CallSite:
    """One call of a used symbol; `args`/`kwargs` are None when not every argument is literal."""

    path: str
    line: int
    symbol: str
    text: str
    args: tuple[Any, ...] | None = None
    kwargs: dict[str, Any] | None = None


def _dotted(node: ast.expr) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _bindings(tree: ast.Module, modules: frozenset[str]) -> dict[str, str]:
    """Local name -> qualified name, for every import of the package's modules in the file."""
    found: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in modules:
                    if alias.asname:
                        found[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".")[0]
                        found[top] = top
        elif (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.level == 0
            and node.module.split(".")[0] in modules
        ):
            for alias in node.names:
                if alias.name != "*":
                    found[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return found


def _literal(node: ast.expr) -> tuple[bool, Any]:
    try:
        return True, ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None


ParsedFiles = dict[str, tuple[ast.Module, list[str]] | None]


def _parsed(root: Path, relpath: str, trees: ParsedFiles) -> tuple[ast.Module, list[str]] | None:
    if relpath not in trees:
        try:
            text = (root / relpath).read_bytes()[:_MAX_BYTES].decode("utf-8", errors="replace")
            trees[relpath] = (ast.parse(text), text.splitlines())
        except (OSError, SyntaxError, ValueError):
            trees[relpath] = None
    return trees[relpath]


def find_call_sites(
    root: Path,
    files: Iterable[str],
    modules: Iterable[str],
    symbols: Iterable[str],
    trees: ParsedFiles | None = None,
) -> list[CallSite]:
    """Return the calls of `symbols` in `files` (relative to `root`) importing `modules`.

    `trees` shares parsed files between calls (one parse per file for many packages).
    """
    tops = frozenset(m.split(".")[0] for m in modules)
    wanted = set(symbols)
    trees = {} if trees is None else trees
    sites: list[CallSite] = []
    for relpath in sorted(set(files)):
        parsed = _parsed(root, relpath, trees)
        if parsed is None:
            continue
        tree, lines = parsed
        names = _bindings(tree, tops)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            dotted = _dotted(node.func)
            if dotted is None:
                continue
            head, _, rest = dotted.partition(".")
            if head not in names:
                continue
            qualified = names[head] + (f".{rest}" if rest else "")
            if qualified not in wanted:
                continue
            args: tuple[Any, ...] | None = None
            kwargs: dict[str, Any] | None = None
            values = [_literal(a) for a in node.args if not isinstance(a, ast.Starred)]
            keywords = [(k.arg, _literal(k.value)) for k in node.keywords if k.arg]
            plain = len(values) == len(node.args) and len(keywords) == len(node.keywords)
            if plain and all(ok for ok, _v in values) and all(ok for _k, (ok, _v) in keywords):
                args = tuple(v for _ok, v in values)
                kwargs = {str(k): v for k, (_ok, v) in keywords}
            line_text = lines[node.lineno - 1].strip() if node.lineno <= len(lines) else ""
            sites.append(
                CallSite(
                    path=relpath,
                    line=node.lineno,
                    symbol=qualified,
                    text=line_text[:200],
                    args=args,
                    kwargs=kwargs,
                )
            )
    return sorted(sites, key=lambda s: (s.path, s.line, s.symbol))


__all__ = ["CallSite", "ParsedFiles", "find_call_sites"]
