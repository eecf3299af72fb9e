"""Parse ``poetry.lock`` (lock-version 1.x with ``category`` and 2.x with ``groups``).

Groups: v2 ``groups`` as written (``main`` kept); v1 ``category``; an ``optional = true`` package
that is otherwise main gets ``optional`` (the lock does not say which extra pulls it in).
Edges come from ``[package.dependencies]`` (specifiers converted from Poetry syntax).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from packaging.markers import InvalidMarker, Marker
from packaging.specifiers import SpecifierSet

from auditor.model import (
    MAIN_GROUP,
    InputKind,
    Location,
    LockedDependency,
    LockedPackage,
    ParsedInput,
    normalize_name,
)
from auditor.sources.locked import read_package_tables, string_list
from auditor.sources.poetry_constraint import UnsupportedConstraint, poetry_to_pep440

__all__ = ["PoetryLockSource"]

KIND = InputKind.POETRY_LOCK


class PoetryLockSource:
    """Parser for poetry.lock."""

    kind = KIND

    def parse(self, root: Path, relpath: str) -> ParsedInput:
        """Parse every locked package.

        Raises:
            ParseError: the file cannot be read, is not TOML, or ``package`` is malformed.
        """
        data, entries = read_package_tables(root, relpath, "package")
        metadata = data.get("metadata")
        files_v1 = metadata.get("files", {}) if isinstance(metadata, dict) else {}
        packages = [
            _package(raw, Location(path=relpath, line=line), files_v1) for raw, line in entries
        ]
        return ParsedInput(path=relpath, kind=KIND, packages=tuple(packages))


def _package(raw: dict[str, Any], location: Location, files_v1: Any) -> LockedPackage:
    name = raw["name"]
    groups = string_list(raw.get("groups"))
    if not groups:
        category = raw.get("category")
        groups = (category,) if isinstance(category, str) else (MAIN_GROUP,)
    if raw.get("optional") is True and groups == (MAIN_GROUP,):
        groups = ("optional",)
    files = raw.get("files")
    if not isinstance(files, list) and isinstance(files_v1, dict):
        files = files_v1.get(name, files_v1.get(normalize_name(name)))
    hashes = tuple(
        str(f["hash"])
        for f in files or ()
        if isinstance(f, dict) and isinstance(f.get("hash"), str)
    )
    source: Any = raw.get("source")
    if not isinstance(source, dict):
        source = {}
    source_url = source.get("url") if isinstance(source.get("url"), str) else None
    commit = source.get("resolved_reference")
    if source.get("type") == "git" and source_url and not source_url.startswith("git+"):
        source_url = f"git+{source_url}"
    version = raw.get("version")
    return LockedPackage(
        name=normalize_name(name),
        raw_name=name,
        version=str(version) if version is not None else None,
        location=location,
        kind=KIND,
        dependencies=tuple(_edges(raw.get("dependencies"))),
        groups=groups,
        hashes=hashes,
        source_url=source_url,
        source_commit=commit if isinstance(commit, str) else None,
        markers=_markers(raw.get("markers")),
    )


def _markers(value: Any) -> tuple[str, ...]:
    """Poetry 2 lock ``markers``: one marker, or one per group (the package applies if any)."""
    if isinstance(value, str) and value.strip():
        return (value,)
    if isinstance(value, dict):
        return tuple(v for v in value.values() if isinstance(v, str) and v.strip())
    return ()


def _edges(table: Any) -> list[LockedDependency]:
    edges: list[LockedDependency] = []
    if not isinstance(table, dict):
        return edges
    for raw_name, spec in table.items():
        for entry in spec if isinstance(spec, list) else [spec]:
            info = entry if isinstance(entry, dict) else {"version": entry}
            try:
                specifier = str(SpecifierSet(poetry_to_pep440(str(info.get("version", "*")))))
            except UnsupportedConstraint:
                specifier = ""
            marker = info.get("markers")
            if isinstance(marker, str):
                with contextlib.suppress(InvalidMarker):
                    marker = str(Marker(marker))
            edges.append(
                LockedDependency(
                    name=normalize_name(raw_name),
                    specifier=specifier,
                    marker=marker if isinstance(marker, str) else None,
                    extras=tuple(sorted(string_list(info.get("extras")))),
                )
            )
    return edges
