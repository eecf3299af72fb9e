"""The graph build stays linear: repeated declarations are deduplicated through sets."""

from __future__ import annotations

from pathlib import Path

from auditor.graph import query
from auditor.graph.build import build_graph
from auditor.sources.requirements import RequirementsSource


def test_identical_lines_give_one_node_one_edge_and_one_origin_per_line(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("rich==13.7.0\n" * 1000, encoding="utf-8")
    parsed = RequirementsSource().parse(tmp_path, "requirements.txt")
    graph = build_graph([parsed, parsed])  # the same input twice adds nothing new
    assert graph.package_count == 1
    origins = query.origins(graph, "<root>", "rich")
    assert len(origins) == 1000
    assert len({o.location for o in origins}) == 1000
    node = query.package(graph, "rich")
    assert node is not None
    assert len(node.locations) == 1000
    assert node.groups == ("main",)
    assert node.versions == ("13.7.0",)


def test_node_facts_are_read_once_per_graph(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("rich==13.7.0\n" * 50, encoding="utf-8")
    graph = build_graph([RequirementsSource().parse(tmp_path, "requirements.txt")])
    first = query.package(graph, "rich")
    assert query.package(graph, "Rich") is first  # memoized: no rebuild of 50 locations
    assert list(query.packages(graph)) == [first]
