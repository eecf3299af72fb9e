"""Helpers shared by the lockfile parsers: dependency edges and package-table line lookup."""

from __future__ import annotations

from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as Pep508

from auditor.model import LockedDependency, normalize_name
from auditor.sources.lines import TomlLineIndex

__all__ = ["dependency_from_pep508", "package_line", "string_list"]


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


def string_list(value: object) -> tuple[str, ...]:
    """Return the strings of a list value (anything else gives an empty tuple)."""
    if not isinstance(value, list):
        return ()
    return tuple(str(v) for v in value if isinstance(v, str))
