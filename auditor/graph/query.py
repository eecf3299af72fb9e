"""Questions about the dependency graph; the only code outside graph/ that reads networkx data."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

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


_SORTED = ("sorted-nodes",)
_BY_URL = ("declared-by-url",)


def _node(graph: DependencyGraph, name: str) -> PackageNode:
    known = graph.memo.get(name)
    if isinstance(known, PackageNode):
        return known
    node = _read_node(graph, name)
    graph.memo[name] = node
    return node


def _read_node(graph: DependencyGraph, name: str) -> PackageNode:
    attrs = graph.store.nodes[name]
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
    nodes: tuple[PackageNode, ...] | None = graph.memo.get(_SORTED)
    if nodes is None:
        names = sorted(n for n in graph.store.nodes if n != ROOT)
        nodes = graph.memo[_SORTED] = tuple(_node(graph, name) for name in names)
    yield from nodes


def package(graph: DependencyGraph, name: str) -> PackageNode | None:
    """Return one package node by (any spelling of) its name."""
    key = normalize_name(name)
    return _node(graph, key) if key in graph.store.nodes and key != ROOT else None


def direct_packages(graph: DependencyGraph) -> list[PackageNode]:
    """Return the packages the project declares itself."""
    return [p for p in packages(graph) if p.direct]


def transitive_packages(graph: DependencyGraph) -> list[PackageNode]:
    """Return the packages present only as dependencies of other packages."""
    return [p for p in packages(graph) if not p.direct]


def origins(graph: DependencyGraph, parent: str, child: str) -> list[EdgeOrigin]:
    """Return every declaration of the edge parent -> child."""
    edge = graph.store.succ.get(parent, {}).get(child)
    if edge is None:
        return []
    return [_origin(parent, child, o) for o in edge["origins"]]


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
    memo_key = ("incoming", key)
    known = graph.memo.get(memo_key)
    if known is None:
        known = graph.memo[memo_key] = tuple(_incoming(graph, key))
    return list(known)


def _incoming(graph: DependencyGraph, key: str) -> Iterator[EdgeOrigin]:
    parents = graph.store.pred.get(key, {})
    for parent in sorted(parents):
        for data in parents[parent]["origins"]:
            yield _origin(parent, key, data)


def declared_by_url(graph: DependencyGraph) -> frozenset[str]:
    """Return the package names some declaration points at with a direct URL or path."""
    known: frozenset[str] | None = graph.memo.get(_BY_URL)
    if known is None:
        known = graph.memo[_BY_URL] = frozenset(
            child
            for children in graph.store.succ.values()
            for child, data in children.items()
            if child != ROOT and any(_has_url(o.get("url")) for o in data["origins"])
        )
    return known


def _has_url(url: str | None) -> bool:
    return bool(url and url.strip())


def dependencies(graph: DependencyGraph, name: str) -> list[str]:
    """Return the names `name` depends on directly."""
    key = ROOT if name == ROOT else normalize_name(name)
    return sorted(graph.store.succ[key]) if key in graph.store.nodes else []


def constraints(graph: DependencyGraph) -> dict[str, list[dict[str, Any]]]:
    """Return constraint-file entries by package name."""
    found: dict[str, list[dict[str, Any]]] = graph.store.attrs.get("constraints", {})
    return found


def paths_to(graph: DependencyGraph, name: str, *, limit: int = 100) -> list[list[str]]:
    """Return up to `limit` simple paths from the root to `name`, shortest first."""
    import networkx as nx

    key = normalize_name(name)
    if key not in graph.store.nodes:
        return []
    found: list[list[str]] = []
    for path in nx.shortest_simple_paths(graph.nx, ROOT, key):
        found.append(path)
        if len(found) >= limit:
            break
    return sorted(found, key=lambda p: (len(p), p))


def shortest_path(graph: DependencyGraph, name: str) -> list[str]:
    """Return one shortest path from the root to `name` (empty when unreachable).

    The path is the one networkx's ``shortest_path`` (a bidirectional breadth-first search)
    picks: ties are broken the same way, so reports do not change with the implementation.
    """
    key = normalize_name(name)
    memo_key = ("shortest-path", key)
    known = graph.memo.get(memo_key)
    if known is None:
        known = graph.memo[memo_key] = tuple(_bidirectional(graph, ROOT, key))
    return list(known)


def _bidirectional(graph: DependencyGraph, source: str, target: str) -> list[str]:
    """Breadth-first from both ends, expanding the smaller fringe; [] when there is no path."""
    succ_of, pred_of = graph.store.succ, graph.store.pred
    if source not in succ_of or target not in succ_of:
        return []
    if source == target:
        return [source]
    before: dict[str, str | None] = {source: None}  # node -> its predecessor towards source
    after: dict[str, str | None] = {target: None}  # node -> its successor towards target
    forward, reverse = [source], [target]
    meet: str | None = None
    while forward and reverse and meet is None:
        if len(forward) <= len(reverse):
            level, forward = forward, []
            for node in level:
                for nxt in succ_of[node]:
                    if nxt not in before:
                        forward.append(nxt)
                        before[nxt] = node
                    if nxt in after:
                        meet = nxt
                        break
                if meet is not None:
                    break
        else:
            level, reverse = reverse, []
            for node in level:
                for prv in pred_of[node]:
                    if prv not in after:
                        after[prv] = node
                        reverse.append(prv)
                    if prv in before:
                        meet = prv
                        break
                if meet is not None:
                    break
    if meet is None:
        return []
    path: list[str] = []
    step: str | None = meet
    while step is not None:
        path.append(step)
        step = before[step]
    path.reverse()
    step = after[path[-1]]
    while step is not None:
        path.append(step)
        step = after[step]
    return path


def to_node_link(graph: DependencyGraph) -> dict[str, Any]:
    """Return networkx node-link data (JSON-ready) of the graph."""
    import networkx as nx

    data: dict[str, Any] = nx.node_link_data(graph.nx, edges="links")
    return data


__all__ = [
    "EdgeOrigin",
    "PackageNode",
    "constraints",
    "declared_by_url",
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
