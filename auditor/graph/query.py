"""Questions about the dependency graph; the only code outside graph/ that reads networkx data."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import networkx as nx

from auditor.graph.build import ROOT, DependencyGraph
from auditor.model import Location, normalize_name


@dataclass(frozen=True, slots=True, kw_only=True)
class EdgeOrigin:
    """One place that declared an edge: the specifier, the version it pins, where it was written.

    `pinned` is the declaring requirement's `Requirement.pinned` (as text), so readers never
    parse `specifier` again.
    """

    parent: str
    child: str
    specifier: str
    marker: str | None
    extras: tuple[str, ...]
    url: str | None
    group: str | None
    source: str
    location: Location
    pinned: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PackageNode:
    """A package node's facts."""

    name: str
    display_name: str
    versions: tuple[str, ...]
    direct: bool
    locked: bool
    groups: tuple[str, ...]
    locations: tuple[Location, ...]
    resolved: bool = False  # brought by a resolver (`--resolve`), not by a lockfile

    @property
    def version(self) -> str | None:
        """The single resolved version, or None when unknown or ambiguous."""
        return self.versions[0] if len(self.versions) == 1 else None


def _node(graph: DependencyGraph, name: str) -> PackageNode:
    known = graph.memo.get(name)
    if isinstance(known, PackageNode):
        return known
    node = _read_node(graph, name)
    graph.memo[name] = node
    return node


def _read_node(graph: DependencyGraph, name: str) -> PackageNode:
    attrs = graph.nx.nodes[name]
    return PackageNode(
        name=name,
        display_name=attrs.get("display_name", name),
        versions=tuple(attrs.get("versions", ())),
        direct=bool(attrs.get("direct")),
        locked=bool(attrs.get("locked")),
        groups=tuple(attrs.get("groups", ())),
        locations=tuple(Location(path=loc["path"], line=loc["line"])
                        for loc in attrs.get("locations", ())),
        resolved=bool(attrs.get("resolved")),
    )  # fmt: skip


def packages(graph: DependencyGraph) -> Iterator[PackageNode]:
    """Yield every package node, sorted by name."""
    for name in sorted(n for n in graph.nx.nodes if n != ROOT):
        yield _node(graph, name)


def package(graph: DependencyGraph, name: str) -> PackageNode | None:
    """Return one package node by (any spelling of) its name."""
    key = normalize_name(name)
    return _node(graph, key) if key in graph.nx and key != ROOT else None


def direct_packages(graph: DependencyGraph) -> list[PackageNode]:
    """Return the packages the project declares itself."""
    return [p for p in packages(graph) if p.direct]


def transitive_packages(graph: DependencyGraph) -> list[PackageNode]:
    """Return the packages present only as dependencies of other packages."""
    return [p for p in packages(graph) if not p.direct]


def origins(graph: DependencyGraph, parent: str, child: str) -> list[EdgeOrigin]:
    """Return every declaration of the edge parent -> child."""
    if not graph.nx.has_edge(parent, child):
        return []
    return [_origin(parent, child, o) for o in graph.nx.edges[parent, child]["origins"]]


def _origin(parent: str, child: str, data: dict[str, Any]) -> EdgeOrigin:
    return EdgeOrigin(
        parent=parent,
        child=child,
        specifier=data.get("specifier") or "",
        pinned=data.get("pinned"),
        marker=data.get("marker"),
        extras=tuple(data.get("extras") or ()),
        url=data.get("url"),
        group=data.get("group"),
        source=data.get("source", ""),
        location=Location(path=data.get("path", ""), line=data.get("line")),
    )


def incoming(graph: DependencyGraph, name: str) -> list[EdgeOrigin]:
    """Return every declaration that points at `name` (from the root or from packages)."""
    key = normalize_name(name)
    if key not in graph.nx:
        return []
    found: list[EdgeOrigin] = []
    for parent in sorted(graph.nx.predecessors(key)):
        found.extend(origins(graph, parent, key))
    return found


def dependencies(graph: DependencyGraph, name: str) -> list[str]:
    """Return the names `name` depends on directly."""
    key = ROOT if name == ROOT else normalize_name(name)
    return sorted(graph.nx.successors(key)) if key in graph.nx else []


def constraints(graph: DependencyGraph) -> dict[str, list[dict[str, Any]]]:
    """Return constraint-file entries by package name."""
    found: dict[str, list[dict[str, Any]]] = graph.nx.graph.get("constraints", {})
    return found


def paths_to(graph: DependencyGraph, name: str, *, limit: int = 100) -> list[list[str]]:
    """Return up to `limit` simple paths from the root to `name`, shortest first."""
    key = normalize_name(name)
    if key not in graph.nx:
        return []
    found: list[list[str]] = []
    for path in nx.shortest_simple_paths(graph.nx, ROOT, key):
        found.append(path)
        if len(found) >= limit:
            break
    return sorted(found, key=lambda p: (len(p), p))


def shortest_path(graph: DependencyGraph, name: str) -> list[str]:
    """Return one shortest path from the root to `name` (empty when unreachable)."""
    key = normalize_name(name)
    try:
        path: list[str] = nx.shortest_path(graph.nx, ROOT, key)
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        return []
    return path


def to_node_link(graph: DependencyGraph) -> dict[str, Any]:
    """Return networkx node-link data (JSON-ready) of the graph."""
    data: dict[str, Any] = nx.node_link_data(graph.nx, edges="links")
    return data


__all__ = [
    "EdgeOrigin",
    "PackageNode",
    "constraints",
    "dependencies",
    "direct_packages",
    "incoming",
    "origins",
    "package",
    "packages",
    "paths_to",
    "shortest_path",
    "to_node_link",
    "transitive_packages",
]
