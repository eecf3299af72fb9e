"""The graph: root edges from manifests, lockfile edges, origins with file and line, queries."""

from __future__ import annotations

import json

import networkx as nx
from packaging.specifiers import SpecifierSet

from auditor.graph import export, query
from auditor.graph.build import ROOT, build_graph
from auditor.model import (
    InputKind,
    InputStatus,
    Location,
    LockedDependency,
    LockedPackage,
    ParsedInput,
    Requirement,
    canonical_name,
)


def req(name: str, spec: str = "", line: int = 1, group: str = "main", **kw: object) -> Requirement:
    return Requirement(
        name=canonical_name(name), raw_name=name, specifier=SpecifierSet(spec), group=group,
        location=Location(path="requirements.txt", line=line), kind=InputKind.REQUIREMENTS,
        **kw,  # type: ignore[arg-type]  # extra dataclass fields, passed through as given
    )  # fmt: skip


def locked(name: str, version: str, line: int, deps: tuple[str, ...] = ()) -> LockedPackage:
    return LockedPackage(
        name=name, raw_name=name, version=version, location=Location(path="uv.lock", line=line),
        kind=InputKind.UV_LOCK, dependencies=tuple(LockedDependency(name=d) for d in deps),
    )  # fmt: skip


def sample() -> list[ParsedInput]:
    manifest = ParsedInput(
        path="requirements.txt",
        kind=InputKind.REQUIREMENTS,
        requirements=(req("flask", ">=2", 1), req("pytest", "", 2, group="dev"),
                      req("urllib3", "<3", 3, constraint=True)),
    )  # fmt: skip
    lock = ParsedInput(
        path="uv.lock",
        kind=InputKind.UV_LOCK,
        packages=(
            locked("flask", "3.0.0", 10, ("werkzeug", "jinja2")),
            locked("werkzeug", "3.0.1", 20, ("markupsafe",)),
            locked("jinja2", "3.1.2", 30, ("markupsafe",)),
            locked("markupsafe", "2.1.3", 40),
            locked("orphan", "1.0", 50),
        ),
    )
    broken = ParsedInput(path="bad.toml", kind=InputKind.PYPROJECT, status=InputStatus.ERROR)
    return [manifest, lock, broken]


def test_root_edges_carry_origin() -> None:
    graph = build_graph(sample())
    (origin,) = query.origins(graph, ROOT, "flask")
    assert origin.specifier == ">=2"
    assert origin.location == Location(path="requirements.txt", line=1)
    assert {p.name for p in query.direct_packages(graph)} == {"flask", "pytest"}


def test_constraints_do_not_add_packages() -> None:
    graph = build_graph(sample())
    assert query.package(graph, "urllib3") is None
    assert query.constraints(graph)["urllib3"][0]["specifier"] == "<3"


def test_lockfile_edges_and_versions() -> None:
    graph = build_graph(sample())
    node = query.package(graph, "MarkupSafe")
    assert node is not None
    assert node.version == "2.1.3"
    assert not node.direct
    assert query.dependencies(graph, "flask") == ["jinja2", "werkzeug"]
    assert [o.location.line for o in query.incoming(graph, "markupsafe")] == [30, 20]


def test_orphans_hang_off_root_so_everything_is_reachable() -> None:
    graph = build_graph(sample())
    assert query.origins(graph, ROOT, "orphan")[0].source == "inferred"
    assert all(nx.has_path(graph.nx, ROOT, n) for n in graph.nx.nodes)


def test_paths_to_lists_every_path_shortest_first() -> None:
    graph = build_graph(sample())
    paths = query.paths_to(graph, "markupsafe")
    assert paths == [
        [ROOT, "flask", "jinja2", "markupsafe"],
        [ROOT, "flask", "werkzeug", "markupsafe"],
    ]
    assert query.paths_to(graph, "nothing") == []


def test_root_package_of_lockfile_makes_direct_edges() -> None:
    root = LockedPackage(
        name="app", raw_name="app", version="0.1", location=Location(path="uv.lock", line=1),
        kind=InputKind.UV_LOCK, dependencies=(LockedDependency(name="rich", specifier=">=13"),),
        is_root=True,
    )  # fmt: skip
    graph = build_graph([ParsedInput(path="uv.lock", kind=InputKind.UV_LOCK,
                                     packages=(root, locked("rich", "13.7.0", 5)))])  # fmt: skip
    assert query.package(graph, "app") is None
    assert query.origins(graph, ROOT, "rich")[0].specifier == ">=13"


def test_exports_are_parseable() -> None:
    graph = build_graph(sample())
    data = json.loads(export.render_json(graph))
    assert data["schema_version"] == 1
    assert {n["id"] for n in data["nodes"]} >= {ROOT, "flask"}
    dot = export.render_dot(graph)
    assert '"<root>" -> "flask" [label=">=2"];' in dot
    graphml = export.render_graphml(graph)
    parsed = nx.parse_graphml(graphml)
    assert parsed.number_of_nodes() == graph.nx.number_of_nodes()


def test_graph_counts_leave_the_root_out() -> None:
    graph = build_graph(sample())
    names = {"flask", "werkzeug", "jinja2", "markupsafe", "orphan", "pytest", "urllib3"}
    assert {p.name for p in query.packages(graph)} <= names
    assert graph.package_count == graph.nx.number_of_nodes() - 1
    assert graph.package_count == len(list(query.packages(graph)))
    assert graph.edge_count == graph.nx.number_of_edges()
    assert graph.edge_count >= 6


def test_direct_and_transitive_packages() -> None:
    graph = build_graph(sample())
    direct = {p.name for p in query.direct_packages(graph)}
    transitive = {p.name for p in query.transitive_packages(graph)}
    assert {"flask", "pytest"} <= direct
    assert {"werkzeug", "jinja2", "markupsafe"} <= transitive
    assert not direct & transitive


def test_queries_about_unknown_names_are_empty() -> None:
    graph = build_graph(sample())
    assert query.package(graph, "nothing") is None
    assert query.origins(graph, "flask", "markupsafe") == []  # no such edge
    assert query.incoming(graph, "nothing") == []
    assert query.dependencies(graph, "nothing") == []
    assert query.shortest_path(graph, "nothing") == []


def test_incoming_lists_every_parent_sorted() -> None:
    graph = build_graph(sample())
    parents = [
        (o.parent, o.location.path, o.location.line) for o in query.incoming(graph, "MarkupSafe")
    ]
    assert parents == [("jinja2", "uv.lock", 30), ("werkzeug", "uv.lock", 20)]
    assert query.dependencies(graph, "Flask") == ["jinja2", "werkzeug"]
    assert "flask" in query.dependencies(graph, ROOT)


def test_paths_to_respects_the_limit_and_shortest_path() -> None:
    graph = build_graph(sample())
    (only,) = query.paths_to(graph, "markupsafe", limit=1)
    assert only[0] == ROOT
    assert only[-1] == "markupsafe"
    assert len(only) == 4
    assert query.shortest_path(graph, "MarkupSafe") in query.paths_to(graph, "markupsafe")
    assert query.shortest_path(graph, "flask") == [ROOT, "flask"]


def test_constraints_are_kept_apart_from_the_packages() -> None:
    graph = build_graph(sample())
    assert "urllib3" in query.constraints(graph)
    assert query.constraints(build_graph([])) == {}
