"""What the project declares, per distribution, as the import-hygiene checks read it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from auditor.imports.groups import GroupPolicy
from auditor.imports.usage import ResolvedSite
from auditor.model import Location


@dataclass(slots=True)
class Declared:
    """One declared distribution: its groups and where each group declares it."""

    name: str
    display: str
    groups: set[str] = field(default_factory=set)
    locations: dict[str, list[Location]] = field(default_factory=dict)

    def add(self, group: str, location: Location | None) -> None:
        """Record one declaration in `group` (and where, once)."""
        self.groups.add(group)
        places = self.locations.setdefault(group, [])
        if location is not None and location not in places:
            places.append(location)

    def runtime(self, groups: GroupPolicy) -> bool:
        """Declared for run time: main dependencies, a runtime extra or a non-dev group."""
        return any(groups.is_runtime(g) for g in self.groups)


def site_locations(items: Iterable[ResolvedSite]) -> list[Location]:
    """The import sites' places, sorted, one each."""
    return sorted({Location(path=i.site.path, line=i.site.line) for i in items})


__all__ = ["Declared", "site_locations"]
