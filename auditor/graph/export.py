"""Render the dependency graph as JSON node-link data, Graphviz DOT or GraphML."""

from __future__ import annotations

import io
import json

import networkx as nx

from auditor.graph.build import DependencyGraph
from auditor.graph.query import to_node_link


def render_json(graph: DependencyGraph) -> str:
    """Return networkx node-link JSON with a schema version."""
    data = {"schema_version": 1, **to_node_link(graph)}
    return json.dumps(data, indent=2, sort_keys=True, default=str) + "\n"


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def render_dot(graph: DependencyGraph) -> str:
    """Return a Graphviz DOT digraph (labels escaped)."""
    lines = ["digraph dependencies {", "  rankdir=LR;", "  node [shape=box, fontsize=10];"]
    for name in sorted(graph.nx.nodes):
        attrs = graph.nx.nodes[name]
        versions = ", ".join(attrs.get("versions", []))
        label = attrs.get("display_name", name) + (f"\\n{versions}" if versions else "")
        style = ", style=bold" if attrs.get("direct") else ""
        lines.append(f"  {_dot_quote(name)} [label={_dot_quote(label)}{style}];")
    for parent, child in sorted(graph.nx.edges):
        origins = graph.nx.edges[parent, child].get("origins", [])
        specs = sorted({o.get("specifier") or "" for o in origins} - {""})
        label = f" [label={_dot_quote(', '.join(specs))}]" if specs else ""
        lines.append(f"  {_dot_quote(parent)} -> {_dot_quote(child)}{label};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_graphml(graph: DependencyGraph) -> str:
    """Return GraphML; list-valued attributes are stored as JSON strings."""
    flat: nx.DiGraph[str] = nx.DiGraph()
    for name, attrs in graph.nx.nodes(data=True):
        flat.add_node(name, **{k: _scalar(v) for k, v in attrs.items()})
    for parent, child, attrs in graph.nx.edges(data=True):
        flat.add_edge(parent, child, **{k: _scalar(v) for k, v in attrs.items()})
    buffer = io.BytesIO()
    nx.write_graphml(flat, buffer)
    return buffer.getvalue().decode("utf-8")


def _scalar(value: object) -> str | int | float | bool:
    if isinstance(value, str | int | float | bool):
        return value
    return json.dumps(value, sort_keys=True, default=str)


__all__ = ["render_dot", "render_graphml", "render_json"]
