"""The patch writer: a unified diff that adds the new module, rewires imports, drops the pin.

Imports are rewritten with libcst (a concrete syntax tree), so every other byte of the file,
comments and formatting included, stays as it was. ``import pkg`` becomes ``import new as pkg``
so call sites need no change; ``from pkg.sub import a`` becomes ``from new import a``. A name
that moved alone (``typing_extensions.Literal`` -> ``typing.Literal``) gets its own import
line. Requirement lines that declare the package are dropped from requirements files and
``pyproject.toml`` arrays when the line holds that requirement alone; anything else is listed
as a manual step. Nothing is written here: `apply_patch` does that, only when a person asks.
"""

from __future__ import annotations

import difflib
import re
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from auditor.atomic import atomic_write_text
from auditor.model import ParsedInput, normalize_name


@dataclass(frozen=True, slots=True, kw_only=True)
class FileChange:
    """One file's new text (None `before` = a new file)."""

    path: str
    before: str | None
    after: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Patch:
    """The proposed change: file edits, their diff, and what a person must still do."""

    changes: tuple[FileChange, ...]
    diff: str
    manual: tuple[str, ...] = field(default_factory=tuple)


def rewrite_imports(
    text: str, modules: Mapping[str, str], names: Mapping[str, str] | None = None
) -> tuple[str, list[str]]:
    """Rewrite the imports of `modules` (old -> new) and moved `names` (old.qual -> new.qual).

    Returns the new text and the imports that could not be rewritten mechanically.
    """
    import libcst as cst

    moves: dict[str, str] = dict(names or {})
    manual: list[str] = []

    def dotted(node: cst.BaseExpression) -> str:
        if isinstance(node, cst.Name):
            return node.value
        if isinstance(node, cst.Attribute):
            return f"{dotted(node.value)}.{node.attr.value}"
        return ""

    def owner(module: str) -> str | None:
        for old in sorted(modules, key=len, reverse=True):
            if module == old or module.startswith(old + "."):
                return old
        return None

    def as_expr(module: str) -> cst.Attribute | cst.Name:
        parts = module.split(".")
        node: cst.Attribute | cst.Name = cst.Name(parts[0])
        for part in parts[1:]:
            node = cst.Attribute(value=node, attr=cst.Name(part))
        return node

    class Rewriter(cst.CSTTransformer):
        def leave_Import(  # noqa: N802 - libcst names its visitor methods so
            self, original: cst.Import, updated: cst.Import
        ) -> cst.Import:
            aliases = []
            for alias in updated.names:
                module = dotted(alias.name)
                old = owner(module)
                if old is None:
                    aliases.append(alias)
                    continue
                local = dotted(alias.asname.name) if alias.asname else None
                if local is None and module != old:
                    manual.append(f"import {module}: rewrite by hand (dotted access)")
                    aliases.append(alias)
                    continue
                local = local or old
                new = modules[old]
                asname = None if local == new else cst.AsName(name=cst.Name(local))
                aliases.append(alias.with_changes(name=as_expr(new), asname=asname))
            return updated.with_changes(names=aliases)

        def leave_SimpleStatementLine(  # noqa: N802 - libcst names its visitor methods so
            self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
        ) -> cst.SimpleStatementLine | cst.FlattenSentinel[cst.SimpleStatementLine]:
            if len(updated.body) != 1 or not isinstance(updated.body[0], cst.ImportFrom):
                return updated
            node = updated.body[0]
            if node.relative or node.module is None:
                return updated
            module = dotted(node.module)
            old = owner(module)
            moved = {k.rpartition(".")[0] for k in moves}
            if old is None and module not in moved:
                return updated
            if isinstance(node.names, cst.ImportStar):
                manual.append(f"from {module} import *: rewrite by hand")
                return updated
            groups: dict[str, list[cst.ImportAlias]] = {}
            for alias in node.names:
                name = dotted(alias.name)
                target = moves.get(f"{module}.{name}")
                if target is not None:
                    groups.setdefault(target.rpartition(".")[0], []).append(alias)
                elif old is not None:
                    groups.setdefault(modules[old], []).append(alias)
                else:
                    groups.setdefault(module, []).append(alias)
            lines = []
            for target_module, aliases in groups.items():
                cleaned = [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in aliases]
                statement = node.with_changes(
                    module=as_expr(target_module), names=cleaned, lpar=None, rpar=None
                )
                lines.append(updated.with_changes(body=[statement]))
            if len(lines) == 1:
                return lines[0]
            return cst.FlattenSentinel(lines)

    tree = cst.parse_module(text)
    return tree.visit(Rewriter()).code, manual


def drop_requirement(text: str, line: int, package: str) -> str | None:
    """Return `text` without line `line` when that line declares `package` alone, else None."""
    lines = text.splitlines(keepends=True)
    if not 1 <= line <= len(lines):
        return None
    target = lines[line - 1].strip().strip(",").strip().strip("\"'")
    head = re.split(r"[\s\[<>=!~;@(]", target, maxsplit=1)[0]
    if normalize_name(head) != normalize_name(package) or target.endswith("\\"):
        return None
    return "".join(lines[: line - 1] + lines[line:])


def manifest_changes(
    root: Path, inputs: Iterable[ParsedInput], package: str
) -> tuple[list[FileChange], list[str]]:
    """Drop the package's requirement lines; list what must be done by hand."""
    wanted = normalize_name(package)
    lines_by_file: dict[str, dict[int, str]] = {}
    manual: list[str] = []
    for item in inputs:
        for req in item.requirements:
            if req.name == wanted and req.location.line is not None:
                lines_by_file.setdefault(req.location.path, {})[req.location.line] = req.raw_name
        if item.kind.is_lockfile and any(p.name == wanted for p in item.packages):
            manual.append(f"{item.path}: re-lock after applying (it still lists {package})")
    changes: list[FileChange] = []
    for path, lines in sorted(lines_by_file.items()):
        try:
            before = (root / path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            manual.extend(f"{path}:{n}: remove {raw} by hand" for n, raw in sorted(lines.items()))
            continue
        after = before
        for number, raw in sorted(lines.items(), reverse=True):  # bottom-up: numbers hold
            dropped = drop_requirement(after, number, raw)
            if dropped is None:
                manual.append(f"{path}:{number}: remove {raw} by hand")
            else:
                after = dropped
        if after != before:
            changes.append(FileChange(path=path, before=before, after=after))
    return changes, sorted(set(manual))


def render_diff(changes: Sequence[FileChange]) -> str:
    """Return one unified diff for every change (new files from /dev/null)."""
    out: list[str] = []
    for change in changes:
        before = (change.before or "").splitlines(keepends=True)
        after = change.after.splitlines(keepends=True)
        source = "/dev/null" if change.before is None else f"a/{change.path}"
        out.extend(_terminated(difflib.unified_diff(before, after, source, f"b/{change.path}")))
    return "".join(out)


def _terminated(lines: Iterable[str]) -> Iterable[str]:
    for line in lines:
        yield line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"


def apply_patch(root: Path, patch: Patch, backup_dir: Path) -> list[str]:
    """Write every change under `root` atomically, copying each old file to `backup_dir` first.

    Refuses (ValueError) when a file changed since the patch was made or a path leaves `root`.
    Returns the paths written.
    """
    resolved = root.resolve()
    for change in patch.changes:
        target = (root / change.path).resolve()
        if resolved not in target.parents:
            raise ValueError(f"{change.path}: outside {root}")
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current != change.before:
            raise ValueError(f"{change.path}: changed since the patch was made; not applied")
    written = []
    for change in patch.changes:
        target = root / change.path
        if target.exists():
            copy = backup_dir / change.path
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(target, copy)
        atomic_write_text(target, change.after)
        written.append(change.path)
    return written


__all__ = [
    "FileChange",
    "Patch",
    "apply_patch",
    "drop_requirement",
    "manifest_changes",
    "render_diff",
    "rewrite_imports",
]
