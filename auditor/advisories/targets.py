"""What the advisory lookup asks about: every package of the graph, its versions and ranges.

A package with known versions (locked, or pinned exactly) is asked about each version; a package
without one is asked for all its advisories.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from auditor.advisories.client import Query
from auditor.graph import query as gq
from auditor.graph.build import ROOT, DependencyGraph
from auditor.model import Location


@dataclass(slots=True)
class PackageTarget:
    """What the run knows about one package: versions (with their places) and ranges."""

    name: str
    display: str
    locked: bool
    versions: dict[str, list[Location]] = field(default_factory=dict)
    ranges: list[tuple[str, Location]] = field(default_factory=list)
    locations: tuple[Location, ...] = ()


_MEMO_KEY = ("advisories.targets", "package_targets")


def package_targets(graph: DependencyGraph) -> list[PackageTarget]:
    """Collect every package of the graph with its known versions and declared ranges.

    Kept in the graph's read-side memo: enrichment and the vulnerability check both ask (the
    targets are read, never changed, after this).
    """
    known: tuple[PackageTarget, ...] | None = graph.memo.get(_MEMO_KEY)
    if known is None:
        known = graph.memo[_MEMO_KEY] = tuple(_collect(graph))
    return list(known)


def _collect(graph: DependencyGraph) -> list[PackageTarget]:
    targets: list[PackageTarget] = []
    for node in gq.packages(graph):
        target = PackageTarget(
            name=node.name,
            display=node.display_name,
            locked=node.locked,
            locations=tuple(sorted(node.locations)),
        )
        seen: dict[str, set[Location]] = {}
        for version in node.versions:
            target.versions.setdefault(version, list(target.locations))
            seen[version] = set(target.versions[version])
        for origin in gq.incoming(graph, node.name):
            if origin.parent != ROOT or origin.source == "inferred" or origin.url:
                continue
            if origin.pinned is not None:
                places = target.versions.setdefault(origin.pinned, [])
                if origin.pinned not in seen:
                    seen[origin.pinned] = set(places)
                known = seen[origin.pinned]
                if origin.location not in known:  # a set: 100k identical lines stay linear
                    known.add(origin.location)
                    places.append(origin.location)
            else:
                target.ranges.append((origin.specifier, origin.location))
        targets.append(target)
    return targets


def target_queries(targets: Iterable[PackageTarget]) -> list[Query]:
    """Return the queries a run needs: one per known version, or one per unversioned package."""
    queries: set[Query] = set()
    for target in targets:
        if target.versions:
            queries.update(Query(name=target.name, version=v) for v in target.versions)
        else:
            queries.add(Query(name=target.name))
    return sorted(queries)


__all__ = ["PackageTarget", "package_targets", "target_queries"]
