"""Helpers shared by the lockfile parsers: dependency edges and package-table line lookup."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as Pep508

from auditor.errors import ParseError
from auditor.model import LockedDependency, normalize_name
from auditor.sources.lines import TomlLineIndex
from auditor.sources.reading import load_toml, read_text

__all__ = [
    "dependency_from_pep508",
    "package_line",
    "read_package_tables",
    "source_of",
    "string_list",
]

_HEADER = re.compile(r"^\s*\[(\[)?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_NAME_KEY = re.compile(r"^\s*name\s*=")


def dependency_from_pep508(text: str) -> LockedDependency | None:
    """Return the edge a PEP 508 string describes (None when it does not parse)."""
    try:
        parsed = Pep508(text)
    except InvalidRequirement:
        return None
    return LockedDependency(
        name=normalize_name(parsed.name),
        specifier=str(parsed.specifier),
        marker=str(parsed.marker) if parsed.marker is not None else None,
        extras=tuple(sorted(parsed.extras)),
    )


def package_line(index: TomlLineIndex, table: str, element: int) -> int | None:
    """Return the line of ``name = ...`` in the `element`-th ``[[table]]``."""
    return index.key_line((table,), "name", element)


def _fast_name_lines(text: str, table: str, count: int) -> list[int | None] | None:
    """Return the ``name =`` line of each ``[[table]]`` by a line scan, or None if unsure.

    Lockfiles are machine-written: every ``[[table]]`` header stands on its own line and its
    ``name`` key follows before the next header. When the headers found do not number `count`
    (a multi-line string that looks like a header, say), the caller falls back to the full
    TOML line index.
    """
    lines: list[int | None] = []
    inside = False
    for number, line in enumerate(text.splitlines(), start=1):
        if "[" in line and (header := _HEADER.match(line)):
            inside = header.group(1) is not None and header.group(2) == table
            if inside:
                lines.append(number)  # the header itself, until the name key is seen
            continue
        if inside and _NAME_KEY.match(line):
            lines[-1] = number
            inside = False
    return lines if len(lines) == count else None


def read_package_tables(
    root: Path, relpath: str, table: str
) -> tuple[dict[str, Any], list[tuple[dict[str, Any], int | None]]]:
    """Read a TOML lockfile; return its data and each ``[[table]]`` entry with its name line.

    Raises:
        ParseError: the file cannot be read, is not TOML, or `table` is not an array of tables
            whose entries all have a name.
    """
    text = read_text(root, relpath)
    data = load_toml(text, relpath)
    raw = data.get(table, [])
    if not isinstance(raw, list):
        raise ParseError(relpath, None, f"'{table}' must be an array of tables")
    lines = _fast_name_lines(text, table, len(raw))
    if lines is None:
        index = TomlLineIndex(text)
        lines = [package_line(index, table, element) for element in range(len(raw))]
    entries: list[tuple[dict[str, Any], int | None]] = []
    for entry, line in zip(raw, lines, strict=True):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise ParseError(relpath, line, "package entry without a name")
        entries.append((entry, line))
    return data, entries


def source_of(
    raw: dict[str, Any], *, ref_key: str, path_keys: tuple[str, ...]
) -> tuple[str | None, str | None]:
    """Return (source URL, commit) of a lock entry: ``git`` + `ref_key`, else a path/URL key."""
    git = raw.get("git")
    if isinstance(git, str):
        ref = raw.get(ref_key)
        return (git if git.startswith("git+") else f"git+{git}"), (
            ref if isinstance(ref, str) else None
        )
    for key in path_keys:
        if isinstance(raw.get(key), str):
            return raw[key], None
    return None, None


def string_list(value: object) -> tuple[str, ...]:
    """Return the strings of a list value (anything else gives an empty tuple)."""
    if not isinstance(value, list):
        return ()
    return tuple(str(v) for v in value if isinstance(v, str))
