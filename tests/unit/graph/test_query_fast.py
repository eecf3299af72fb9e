"""Queries answered from the graph's own adjacency agree with networkx on the same graph."""

from __future__ import annotations

import random
import sys

import networkx as nx
import pytest

from auditor.graph import query
from auditor.graph.build import ROOT, build_graph
from auditor.model import InputKind, Location, LockedDependency, LockedPackage, ParsedInput


def _random_lock(rng: random.Random, size: int) -> list[ParsedInput]:
    names = [f"p{i}" for i in range(size)]
    packages = [
        LockedPackage(
            name=name, raw_name=name, version="1.0", location=Location(path="uv.lock", line=i),
            kind=InputKind.UV_LOCK,
            dependencies=tuple(
                LockedDependency(name=d) for d in rng.sample(names, rng.randint(0, 4))
            ),
        )
        for i, name in enumerate(names)
    ]  # fmt: skip
    root = LockedPackage(
        name="app", raw_name="app", version="0", location=Location(path="uv.lock", line=0),
        kind=InputKind.UV_LOCK, is_root=True,
        dependencies=tuple(LockedDependency(name=d) for d in rng.sample(names, 3)),
    )  # fmt: skip
    return [ParsedInput(path="uv.lock", kind=InputKind.UV_LOCK, packages=(*packages, root))]


@pytest.mark.parametrize("seed", range(25))
def test_shortest_path_is_the_one_networkx_picks(seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 - test data
    graph = build_graph(_random_lock(rng, rng.randint(2, 60)))
    for name in [*graph.store.nodes, "absent"]:
        try:
            expected = nx.shortest_path(graph.nx, ROOT, name)
        except (nx.NetworkXNoPath, nx.NodeNotFound):
            expected = []
        assert query.shortest_path(graph, name) == expected
        assert query.shortest_path(graph, name) == expected  # from the memo


def test_the_networkx_view_keeps_adjacency_order_and_counts() -> None:
    graph = build_graph(_random_lock(random.Random(7), 40))  # noqa: S311 - test data
    view = graph.nx
    assert graph.nx is view  # built once
    assert list(view.nodes) == list(graph.store.nodes)
    for name in view.nodes:
        assert list(view.succ[name]) == list(graph.store.succ[name])
        assert list(view.pred[name]) == list(graph.store.pred[name])
    assert graph.package_count == view.number_of_nodes() - 1
    assert graph.edge_count == view.number_of_edges()


def test_incoming_and_urls_read_every_edge_once() -> None:
    graph = build_graph(_random_lock(random.Random(3), 30))  # noqa: S311 - test data
    for name in graph.store.nodes:
        expected = [
            origin
            for parent in sorted(graph.nx.predecessors(name))
            for origin in query.origins(graph, parent, name)
        ]
        assert query.incoming(graph, name) == expected
        assert query.incoming(graph, name) == expected
    assert query.declared_by_url(graph) == frozenset()


def test_a_scan_needs_no_networkx() -> None:
    code = (
        "import sys\n"
        "from auditor.graph import query\n"
        "from auditor.graph.build import build_graph\n"
        "g = build_graph([])\n"
        "query.shortest_path(g, 'x'); query.incoming(g, 'x'); list(query.packages(g))\n"
        "assert 'networkx' not in sys.modules, 'networkx imported'\n"
    )
    import subprocess

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
