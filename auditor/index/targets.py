"""Which packages of a scan the index is asked about, and which exact versions the scan uses.

A package is asked about when it is a package node of the graph and nothing declares it as a
local path or a VCS / direct URL reference (such code does not come from the index, so the index
has nothing to say about it). A version is "used" when a lockfile locks it or a manifest pins it
exactly (`Requirement.pinned`: ``==X`` / ``===X``, not a wildcard).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from auditor.graph import query
from auditor.graph.build import DependencyGraph
from auditor.model import InputStatus, Location, LockedPackage, ParsedInput

_VCS_PREFIXES = ("git+", "hg+", "svn+", "bzr+", "git://", "ssh://")


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionUse:
    """One exact version of a package that the scan uses, and every place that fixes it."""

    name: str
    display_name: str
    version: str
    locations: tuple[Location, ...]
    locked: bool
    requirement_texts: tuple[str, ...] = ()


def _off_index_locked(pkg: LockedPackage) -> bool:
    if pkg.source_commit:
        return True
    url = (pkg.source_url or "").strip().lower()
    if not url:
        return False
    if url.startswith(_VCS_PREFIXES) or url.endswith(".git"):
        return True
    return url.startswith(("file:", ".", "/", "~")) or "://" not in url


def off_index_names(inputs: Iterable[ParsedInput], graph: DependencyGraph) -> frozenset[str]:
    """Return the packages declared as local paths, VCS links or direct URLs (not on the index).

    Several stages ask with the scan's own inputs (a tuple): the answer is kept in the graph's
    memo for that tuple, by identity; any other inputs are answered afresh.
    """
    return _remembered(graph, _OFF_INDEX, inputs, _off_index_names)


_T = TypeVar("_T")
_OFF_INDEX = ("off-index-names",)
_USED = ("used-versions",)


def _remembered(
    graph: DependencyGraph,
    key: tuple[str],
    inputs: Any,
    compute: Callable[[Any, DependencyGraph], _T],
) -> _T:
    """`compute(inputs, graph)`, once per tuple of inputs (held, so its id is never reused)."""
    if not isinstance(inputs, tuple):
        return compute(inputs, graph)
    cached = graph.memo.get(key)
    if cached is not None and cached[0] is inputs:
        known: _T = cached[1]
        return known
    found = compute(inputs, graph)
    graph.memo[key] = (inputs, found)
    return found


def _off_index_names(inputs: Iterable[ParsedInput], graph: DependencyGraph) -> frozenset[str]:
    names = set(query.declared_by_url(graph))
    for item in inputs:
        if item.status is not InputStatus.OK:
            continue
        names.update(req.name for req in item.requirements if req.url or req.editable)
        names.update(pkg.name for pkg in item.packages if _off_index_locked(pkg))
    return frozenset(names)


def index_names(inputs: Sequence[ParsedInput], graph: DependencyGraph) -> list[str]:
    """Return every package node of the graph that comes from the index, sorted."""
    skip = off_index_names(inputs, graph)
    return [node.name for node in query.packages(graph) if node.name not in skip]


@dataclass(slots=True)
class _Gathered:
    display: str
    # dicts as ordered sets: one package pinned on 100,000 lines stays linear
    locations: dict[Location, None] = field(default_factory=dict)
    texts: dict[str, None] = field(default_factory=dict)
    locked: bool = False

    def add(self, where: Location, text: str, *, locked: bool) -> None:
        self.locations[where] = None
        if text:
            self.texts[text] = None
        self.locked = self.locked or locked


def used_versions(inputs: Sequence[ParsedInput], graph: DependencyGraph) -> list[VersionUse]:
    """Return each (package, exact version) the scan locks or pins, with all its locations.

    Constraint-file entries are left out: they limit what may be installed but install nothing.
    """
    found: tuple[VersionUse, ...] = _remembered(graph, _USED, inputs, _used_versions)
    return list(found)


def _used_versions(inputs: Sequence[ParsedInput], graph: DependencyGraph) -> tuple[VersionUse, ...]:
    skip = off_index_names(inputs, graph)
    found: dict[tuple[str, str], _Gathered] = {}
    for item in inputs:
        if item.status is not InputStatus.OK:
            continue
        for req in item.requirements:
            if req.constraint or req.name in skip:
                continue
            if req.pinned is not None:
                version = str(req.pinned)
                entry = found.setdefault((req.name, version), _Gathered(display=req.raw_name))
                entry.add(req.location, req.line_text.strip(), locked=False)
        for pkg in item.packages:
            if pkg.is_root or pkg.version is None or pkg.name in skip:
                continue
            entry = found.setdefault((pkg.name, pkg.version), _Gathered(display=pkg.raw_name))
            entry.add(pkg.location, "", locked=True)
    return tuple(
        VersionUse(
            name=name,
            display_name=entry.display,
            version=version,
            locations=tuple(sorted(entry.locations)),
            locked=entry.locked,
            requirement_texts=tuple(entry.texts),
        )
        for (name, version), entry in sorted(found.items())
    )


def names_of(uses: Iterable[VersionUse]) -> list[str]:
    """Return the distinct package names of `uses`, sorted."""
    return sorted({use.name for use in uses})


__all__ = ["VersionUse", "index_names", "names_of", "off_index_names", "used_versions"]
