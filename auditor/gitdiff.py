"""Limit a result to what changed: since a git ref (``--diff-base``) or given files (``--changed``).

A finding stays when it is located in a changed file (for manifests and lockfiles: on a changed
line), or when it concerns a package that a changed manifest line declares, that a changed Python
file imports, or that such a package pulls in (what the change affects).
"""

from __future__ import annotations

import ast
import dataclasses
import re
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from auditor.discover import classify
from auditor.errors import ConfigError
from auditor.model import Finding, normalize_name
from auditor.result import AuditResult

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeSet:
    """Changed files (repo-relative to the scan root) and, per file, the changed lines.

    A file mapped to None changed as a whole (new, untracked, or line detail not needed).
    """

    lines: Mapping[str, frozenset[int] | None] = field(default_factory=dict)
    label: str = ""
    # Changed lines of Python sources when known: only imports written on those lines make
    # their packages part of the change.
    source_lines: Mapping[str, frozenset[int]] = field(default_factory=dict)

    @property
    def files(self) -> frozenset[str]:
        """The changed files."""
        return frozenset(self.lines)


def _git(root: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ConfigError(f"{root}: cannot run git: {exc}") from exc
    if done.returncode != 0:
        message = done.stderr.strip().splitlines()
        why = message[-1] if message else f"exit {done.returncode}"
        raise ConfigError(f"{root}: git {' '.join(args[:2])} failed: {why}")
    return done.stdout


def _split_z(text: str) -> list[str]:
    return [item for item in text.split("\0") if item]


def parse_hunk_lines(diff_text: str) -> dict[str, frozenset[int]]:
    """Return the new-side line numbers touched per file in a ``git diff -U0`` output."""
    found: dict[str, set[int]] = {}
    current: str | None = None
    for line in diff_text.splitlines():
        if line.startswith("+++ "):
            name = line[4:]
            current = name[2:] if name.startswith("b/") else None
            if current is not None:
                found.setdefault(current, set())
            continue
        match = _HUNK.match(line)
        if match and current is not None:
            start = int(match.group(1))
            count = 1 if match.group(2) is None else int(match.group(2))
            found[current].update(range(start, start + count))
    return {name: frozenset(lines) for name, lines in found.items()}


def changes_since(root: Path, ref: str) -> ChangeSet:
    """Return what changed under `root` since the merge base of `ref` and HEAD.

    Compares the merge base with the working tree (so uncommitted and untracked files count
    too; in CI the working tree is HEAD, which makes this ``git diff REF...``).
    """
    if ref.startswith("-"):
        raise ConfigError(f"--diff-base: {ref!r} is not a git ref")
    base = _git(root, "merge-base", ref, "HEAD").strip()
    names = _split_z(_git(root, "diff", "--name-only", "--relative", "-z", "--no-renames", base))
    untracked = _split_z(_git(root, "ls-files", "--others", "--exclude-standard", "-z"))
    manifests = sorted(name for name in names if classify(name) is not None)
    detailed = sorted({*manifests, *(name for name in names if name.endswith(".py"))})
    line_map: dict[str, frozenset[int]] = {}
    if detailed:
        diff = _git(root, "diff", "-U0", "--relative", "--no-color", "--no-ext-diff",
                    "--no-renames", base, "--", *detailed)  # fmt: skip
        line_map = parse_hunk_lines(diff)
    lines: dict[str, frozenset[int] | None] = {}
    for name in names:
        lines[name] = line_map.get(name, frozenset()) if name in manifests else None
    for name in untracked:
        lines[name] = None
    sources = {name: line_map[name] for name in names if name.endswith(".py") and name in line_map}
    return ChangeSet(lines=lines, label=f"changes since {ref}", source_lines=sources)


def changed_paths(root: Path, files: Iterable[str]) -> ChangeSet:
    """Return a change set of whole files given on the command line (pre-commit passes them)."""
    base = root.resolve()
    lines: dict[str, frozenset[int] | None] = {}
    for item in files:
        path = Path(item)
        full = path if path.is_absolute() else Path.cwd() / path
        try:
            rel = full.resolve().relative_to(base).as_posix()
        except ValueError:
            continue
        lines[rel] = None
    return ChangeSet(lines=lines, label=f"{len(lines)} changed file(s)")


def imported_modules(root: Path, relpath: str, lines: frozenset[int] | None = None) -> set[str]:
    """Return the top-level module names a Python file imports (empty when it does not parse).

    With `lines`, only import statements that start on one of those lines count.
    """
    try:
        tree = ast.parse((root / relpath).read_bytes(), filename=relpath)
    except (OSError, SyntaxError, ValueError):
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if lines is not None and isinstance(node, ast.stmt) and node.lineno not in lines:
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def affected_packages(result: AuditResult, changes: ChangeSet, root: Path) -> frozenset[str]:
    """Return the packages a change concerns: declared on changed lines, imported, and below."""
    if result.graph is None:
        return frozenset()
    from auditor.graph import query

    start: set[str] = set()
    modules: set[str] = set()
    for rel in changes.lines:
        if rel.endswith(".py"):
            only = changes.source_lines.get(rel)
            modules.update(normalize_name(m) for m in imported_modules(root, rel, only))
    for node in query.packages(result.graph):
        for loc in node.locations:
            lines = changes.lines.get(loc.path, frozenset())
            if loc.path in changes.lines and (
                lines is None or loc.line is None or loc.line in lines
            ):
                start.add(node.name)
        if node.name in modules or normalize_name(node.name.replace("-", "_")) in modules:
            start.add(node.name)
    seen = set(start)
    todo = list(start)
    while todo:
        for child in query.dependencies(result.graph, todo.pop()):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return frozenset(seen)


def in_scope(finding: Finding, changes: ChangeSet, packages: frozenset[str]) -> bool:
    """Whether a finding is located in the change or concerns an affected package."""
    if finding.package and normalize_name(finding.package) in packages:
        return True
    for loc in finding.locations:
        if loc.path not in changes.lines:
            continue
        lines = changes.lines[loc.path]
        if lines is None or loc.line is None or loc.line in lines:
            return True
    return False


def restrict(result: AuditResult, changes: ChangeSet, root: Path) -> AuditResult:
    """Return the result with only the findings in scope of `changes` (and a note saying so)."""
    packages = affected_packages(result, changes, root)
    kept = tuple(f for f in result.findings if in_scope(f, changes, packages))
    hidden = tuple(s for s in result.suppressed if in_scope(s.finding, changes, packages))
    note = (
        f"limited to {changes.label}: {len(changes.files)} file(s), "
        f"{len(result.findings) - len(kept)} finding(s) outside the change not shown"
    )
    return dataclasses.replace(
        result, findings=kept, suppressed=hidden, notes=(*result.notes, note)
    )


__all__ = [
    "ChangeSet",
    "affected_packages",
    "changed_paths",
    "changes_since",
    "imported_modules",
    "in_scope",
    "parse_hunk_lines",
    "restrict",
]
