"""Which packages ship to the project's users, and which only serve its developers.

A package declared only in development groups, development-named extras or files, examples or
docs (`auditor.checks.vuln_scope.Role`) never reaches users, and neither does what only such
packages pull in. License compatibility is about what is distributed or run as the product, so
the license checks judge development-only packages quietly.
"""

from __future__ import annotations

from collections import deque

from auditor.checks.base import CheckContext
from auditor.checks.vuln_scope import Role, declaration_scope
from auditor.graph import query
from auditor.graph.build import ROOT
from auditor.model import Location

_NOT_SHIPPED = (Role.DEV, Role.EXAMPLE)


def shipped_packages(ctx: CheckContext) -> frozenset[str]:
    """Return the packages reachable from the root through a declaration that ships.

    A direct package ships unless every declaration of it is development-only or an example;
    one whose role cannot be told (only a lockfile names it) ships. Transitive packages ship
    when a shipped package depends on them.
    """
    scope = declaration_scope(ctx)
    children = ctx.graph.store.succ  # adjacency, without building a networkx graph
    if ROOT not in children:
        return frozenset()
    queue: deque[str] = deque()
    seen: set[str] = set()
    for name in children[ROOT]:
        declared = [loc for loc in _locations(ctx, name) if loc in scope.declared]
        if declared and all(scope.role(loc) in _NOT_SHIPPED for loc in declared):
            continue
        seen.add(name)
        queue.append(name)
    while queue:
        for child in children.get(queue.popleft(), {}):
            if child not in seen and child != ROOT:
                seen.add(child)
                queue.append(child)
    return frozenset(seen)


def _locations(ctx: CheckContext, name: str) -> tuple[Location, ...]:
    node = query.package(ctx.graph, name)
    return node.locations if node is not None else ()


__all__ = ["shipped_packages"]
