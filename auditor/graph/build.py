"""Build the dependency graph (a networkx DiGraph) from parsed inputs.

Nodes are the project root (`ROOT`) and one node per PEP 503-normalized package name. Edges go
from the root to each direct requirement and from each locked package to what its lockfile (or
installed metadata) says it depends on. Every edge keeps the list of places that declared it
(`origins`: specifier, the version it pins, marker, extras, group, path, line, source kind), so
a question such as "why is X here?" can always be answered with a file and line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from auditor.model import (
    MAIN_GROUP,
    InputKind,
    InputStatus,
    Location,
    LockedPackage,
    ParsedInput,
    Requirement,
)
from auditor.specs import pinned_of_text

if TYPE_CHECKING:
    from networkx import DiGraph

ROOT = "<root>"


@dataclass(slots=True)
class Adjacency:
    """Adjacency dicts shaped like networkx's (node attrs, succ/pred sharing edge attrs).

    Building and querying need no more; importing networkx costs more than a whole audit of a
    small project, so the `DiGraph` is made only when asked for (`DependencyGraph.nx`).
    """

    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    succ: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    pred: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    attrs: dict[str, Any] = field(default_factory=dict)
    edges: list[tuple[str, str]] = field(default_factory=list)  # in the order added

    def add_node(self, name: str, **attrs: Any) -> None:
        """Add node `name` (or update its attributes, as networkx does)."""
        self.nodes.setdefault(name, {}).update(attrs)
        self.succ.setdefault(name, {})
        self.pred.setdefault(name, {})

    def add_edge(self, parent: str, child: str, **attrs: Any) -> None:
        """Add the edge parent -> child (and missing nodes); update its attributes."""
        for name in (parent, child):
            if name not in self.nodes:
                self.add_node(name)
        data = self.succ[parent].get(child)
        if data is None:
            data = self.succ[parent][child] = self.pred[child][parent] = {}
            self.edges.append((parent, child))
        data.update(attrs)


@dataclass(slots=True)
class DependencyGraph:
    """The dependency graph of one scan; read it through `auditor.graph.query`."""

    store: Adjacency
    # Read-side memo for `auditor.graph.query` (node facts by name); the graph is not changed
    # after `build_graph`, so a check asking for one package per requirement stays linear.
    memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)
    _nx: Any = field(default=None, repr=False, compare=False)

    @property
    def nx(self) -> DiGraph[str]:
        """The graph as a networkx `DiGraph` (built on first use; do not change it)."""
        if self._nx is None:
            import networkx

            graph: networkx.DiGraph[str] = networkx.DiGraph()
            graph.graph.update(self.store.attrs)
            graph.add_nodes_from(self.store.nodes.items())
            # Edges in the order they were added: networkx's adjacency order, which its
            # path searches break ties by, is then the same as a graph built edge by edge.
            graph.add_edges_from((p, c, self.store.succ[p][c]) for p, c in self.store.edges)
            self._nx = graph
        return self._nx  # type: ignore[no-any-return]

    @property
    def package_count(self) -> int:
        """Number of package nodes (the root excluded)."""
        return len(self.store.nodes) - 1

    @property
    def edge_count(self) -> int:
        """Number of edges, root edges included."""
        return sum(len(children) for children in self.store.succ.values())


def _location_dict(location: Location) -> dict[str, Any]:
    return {"path": location.path, "line": location.line}


def _ensure_node(graph: Adjacency, name: str, display: str) -> dict[str, Any]:
    if name not in graph.nodes:
        graph.add_node(
            name,
            kind="package",
            display_name=display,
            versions=[],
            direct=False,
            groups=[],
            locations=[],
            locked=False,
        )
    return graph.nodes[name]


_NESTED = (dict, list)


def _frozen(value: Any) -> Any:
    """Return a hashable twin of a JSON-like value (dicts and lists of scalars).

    A dict becomes ``(dict, *keys, *values)``: the split is unambiguous, and keys keep their
    insertion order (no sorting), since every dict of one kind (an origin, a location) is
    written in this module with its keys in one order, so equal dicts match.
    """
    if type(value) is dict:
        return (dict, *value, *[_frozen(v) if type(v) in _NESTED else v for v in value.values()])
    if type(value) is list:
        return (list, *[_frozen(v) if type(v) in _NESTED else v for v in value])
    return value


class _Seen:
    """What each attribute list of the graph already holds, so adding stays O(1).

    A requirements file with 100,000 identical lines adds 100,000 locations and origins to one
    node and one edge: a list ``in`` check there made the build quadratic.
    """

    def __init__(self) -> None:
        self._keys: set[tuple[Any, ...]] = set()

    def add(self, scope: tuple[str, ...], items: list[Any], value: Any) -> None:
        """Append `value` to `items` (the list at `scope`) unless it is already there."""
        key = (*scope, _frozen(value))
        if key not in self._keys:
            self._keys.add(key)
            items.append(value)


def _add_origin(
    graph: Adjacency, seen: _Seen, parent: str, child: str, origin: dict[str, Any]
) -> None:
    edge = graph.succ.get(parent, {}).get(child)
    if edge is None:
        graph.add_edge(parent, child, origins=[])
        edge = graph.succ[parent][child]
    seen.add(("origin", parent, child), edge["origins"], origin)


def _pinned_text(text: str) -> str | None:
    """Return the version a lockfile edge's specifier text pins (the `Requirement` rule)."""
    pinned = pinned_of_text(text)
    return None if pinned is None else str(pinned)


def _add_requirement(graph: Adjacency, seen: _Seen, req: Requirement) -> None:
    specifier = str(req.specifier)
    if req.constraint:
        # Constraints limit versions but do not add packages: keep them as graph facts only.
        constraints = graph.attrs.setdefault("constraints", {}).setdefault(req.name, [])
        seen.add(
            ("constraint", req.name),
            constraints,
            {"specifier": specifier, **_location_dict(req.location)},
        )
        return
    attrs = _ensure_node(graph, req.name, req.raw_name)
    attrs["direct"] = True
    # The version a requirements file installs when no lockfile says otherwise.
    pinned = None if req.url is not None or req.pinned is None else str(req.pinned)
    if pinned is not None:
        seen.add(("pinned", req.name), attrs.setdefault("pinned", []), pinned)
    seen.add(("groups", req.name), attrs["groups"], req.group)
    seen.add(("locations", req.name), attrs["locations"], _location_dict(req.location))
    _add_origin(
        graph,
        seen,
        ROOT,
        req.name,
        {
            "specifier": specifier,
            "pinned": pinned,
            "marker": req.marker_text,
            "extras": list(req.extras),
            "url": req.url,
            "group": req.group,
            "source": str(req.kind),
            **_location_dict(req.location),
        },
    )


def _add_locked(graph: Adjacency, seen: _Seen, pkg: LockedPackage) -> None:
    if pkg.is_root:
        for dep in pkg.dependencies:
            _ensure_node(graph, dep.name, dep.name)["direct"] = True
            _add_origin(
                graph,
                seen,
                ROOT,
                dep.name,
                {
                    "specifier": dep.specifier,
                    "pinned": _pinned_text(dep.specifier),
                    "marker": dep.marker,
                    "extras": list(dep.extras),
                    "url": None,
                    "group": MAIN_GROUP,
                    "source": str(pkg.kind),
                    **_location_dict(pkg.location),
                },
            )
        return
    attrs = _ensure_node(graph, pkg.name, pkg.raw_name)
    if pkg.kind is InputKind.RESOLVED:
        attrs["resolved"] = True  # resolved, not locked (`auditor scan --resolve`)
    else:
        attrs["locked"] = True
    if pkg.version is not None:
        seen.add(("versions", pkg.name), attrs["versions"], pkg.version)
    for group in pkg.groups:
        seen.add(("groups", pkg.name), attrs["groups"], group)
    seen.add(("locations", pkg.name), attrs["locations"], _location_dict(pkg.location))
    for dep in pkg.dependencies:
        _ensure_node(graph, dep.name, dep.name)
        _add_origin(
            graph,
            seen,
            pkg.name,
            dep.name,
            {
                "specifier": dep.specifier,
                "pinned": _pinned_text(dep.specifier),
                "marker": dep.marker,
                "extras": list(dep.extras),
                "url": None,
                "group": None,
                "source": str(pkg.kind),
                **_location_dict(pkg.location),
            },
        )


def build_graph(inputs: Iterable[ParsedInput]) -> DependencyGraph:
    """Build the graph from every successfully parsed input."""
    graph = Adjacency()
    graph.add_node(ROOT, kind="root", display_name="(project)")
    parsed = [i for i in inputs if i.status is InputStatus.OK]
    seen = _Seen()
    for item in parsed:
        for req in item.requirements:
            _add_requirement(graph, seen, req)
    for item in parsed:
        for pkg in item.packages:
            _add_locked(graph, seen, pkg)
    # Locked packages nothing points at (lockfiles without edges, such as Pipfile.lock or
    # pylock.toml) hang off the root so every package is reachable.
    for name, attrs in list(graph.nodes.items()):
        if name == ROOT or graph.pred[name]:
            continue
        location = attrs["locations"][0] if attrs["locations"] else {"path": "", "line": None}
        graph.add_edge(
            ROOT,
            name,
            origins=[{"specifier": "", "pinned": None, "marker": None, "extras": [],
                      "url": None, "group": None, "source": "inferred", **location}],
        )  # fmt: skip
    for attrs in graph.nodes.values():
        if "versions" in attrs:
            if not attrs["locked"] and not attrs["versions"]:
                # No lockfile knows the package: its exact pins are the versions installed.
                attrs["versions"].extend(attrs.get("pinned", ()))
            attrs["versions"].sort()
    return DependencyGraph(store=graph)


__all__ = ["ROOT", "Adjacency", "DependencyGraph", "build_graph"]
