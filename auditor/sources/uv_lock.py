"""Parse ``uv.lock``.

The project's own entries (source ``virtual`` or ``editable``: the root and workspace members)
are `LockedPackage`s with ``is_root=True``; their ``dependencies`` are the direct main
dependencies. Groups are propagated from the roots along the edges: packages reached from a
root's ``dependencies`` get ``main``, from ``optional-dependencies.<x>`` get ``optional:<x>``,
from ``dev-dependencies.<g>`` get ``<g>`` (a package may have several). Packages reached from
no root keep ``main``. Edges of optional extras (``{name = "x", extra = ["y"]}``) follow the
target's ``optional-dependencies.y`` too.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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

__all__ = ["UvLockSource"]

KIND = InputKind.UV_LOCK


class UvLockSource:
    """Parser for uv.lock."""

    kind = KIND

    def parse(self, root: Path, relpath: str) -> ParsedInput:
        """Parse every locked package, with edges, groups and the root entries.

        Raises:
            ParseError: the file cannot be read, is not TOML, or ``package`` is malformed.
        """
        _, entries = read_package_tables(root, relpath, "package")
        names = [normalize_name(raw["name"]) for raw, _ in entries]
        # Each entry's edges are read once: the group walk and the packages share them.
        edges = [tuple(_edge_list(raw.get("dependencies"))) for raw, _ in entries]
        groups = _propagate_groups([raw for raw, _ in entries], names, edges)
        packages = [
            _package(raw, name, Location(path=relpath, line=line), groups.get(name), deps)
            for (raw, line), name, deps in zip(entries, names, edges, strict=True)
        ]
        return ParsedInput(path=relpath, kind=KIND, packages=tuple(packages))


def _is_root(raw: dict[str, Any]) -> bool:
    source = raw.get("source")
    return isinstance(source, dict) and ("virtual" in source or "editable" in source)


def _edge(item: Any) -> LockedDependency | None:
    if not isinstance(item, dict) or not isinstance(item.get("name"), str):
        return None
    marker = item.get("marker")
    return LockedDependency(
        name=normalize_name(item["name"]),
        marker=marker if isinstance(marker, str) else None,
        extras=tuple(sorted(string_list(item.get("extra")))),
    )


def _edge_list(value: Any) -> list[LockedDependency]:
    if not isinstance(value, list):
        return []
    return [edge for edge in map(_edge, value) if edge is not None]


def _propagate_groups(
    raws: list[dict[str, Any]],
    names: list[str],
    edges: list[tuple[LockedDependency, ...]],
) -> dict[str, tuple[str, ...]]:
    """Map each package name to its groups (`raws[i]` is named `names[i]`, has `edges[i]`)."""
    by_name = {name: (raw, deps) for raw, name, deps in zip(raws, names, edges, strict=True)}
    found: dict[str, set[str]] = {}
    queue: deque[tuple[LockedDependency, str]] = deque()
    for raw, name, deps in zip(raws, names, edges, strict=True):
        if not _is_root(raw):
            continue
        found.setdefault(name, set()).add(MAIN_GROUP)
        queue.extend((edge, MAIN_GROUP) for edge in deps)
        for extra, deps in _dict(raw.get("optional-dependencies")).items():
            queue.extend((edge, f"optional:{extra}") for edge in _edge_list(deps))
        for group, deps in _dict(raw.get("dev-dependencies")).items():
            queue.extend((edge, group) for edge in _edge_list(deps))
    seen: set[tuple[str, tuple[str, ...], str]] = set()
    while queue:
        edge, group = queue.popleft()
        key = (edge.name, edge.extras, group)
        if key in seen:
            continue
        seen.add(key)
        known = by_name.get(edge.name)
        if known is None or _is_root(known[0]):
            continue
        target, target_edges = known
        found.setdefault(edge.name, set()).add(group)
        queue.extend((child, group) for child in target_edges)
        optional = _dict(target.get("optional-dependencies"))
        for extra in edge.extras:
            queue.extend((child, group) for child in _edge_list(optional.get(extra)))
    return {name: tuple(sorted(groups)) for name, groups in found.items()}


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _package(
    raw: dict[str, Any],
    name: str,
    location: Location,
    groups: tuple[str, ...] | None,
    dependencies: tuple[LockedDependency, ...],
) -> LockedPackage:
    source = _dict(raw.get("source"))
    source_url: str | None = None
    commit: str | None = None
    git = source.get("git")
    if isinstance(git, str):
        try:
            commit = urlsplit(git).fragment or None
        except ValueError:  # an unclosed IPv6 bracket: no commit to read
            commit = git.partition("#")[2] or None
        source_url = "git+" + git.split("#", 1)[0]
    else:
        for key in ("url", "path", "directory", "editable", "virtual", "registry"):
            if isinstance(source.get(key), str):
                source_url = source[key]
                break
    artifacts: list[Any] = [raw.get("sdist"), *(raw.get("wheels") or [])]
    hashes = [
        str(a["hash"]) for a in artifacts if isinstance(a, dict) and isinstance(a.get("hash"), str)
    ]
    version = raw.get("version")
    return LockedPackage(
        name=name,
        raw_name=raw["name"],
        version=str(version) if version is not None else None,
        location=location,
        kind=KIND,
        dependencies=dependencies,
        groups=groups or (MAIN_GROUP,),
        hashes=tuple(hashes),
        source_url=source_url,
        source_commit=commit,
        is_root=_is_root(raw),
        markers=string_list(raw.get("resolution-markers")),
    )
