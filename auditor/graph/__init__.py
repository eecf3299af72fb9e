"""Dependency graph: build (networkx) and query."""
