"""The popular-package list as values: packages by rank, and its parser from the JSON format.

The format is the "top packages" JSON (``{"rows": [{"project", "download_count"}],
"last_update": ...}``); `parse_popular` validates it and names the place of any error.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from auditor.errors import SourceError
from auditor.model import normalize_name


@dataclass(frozen=True, slots=True, kw_only=True)
class PopularPackage:
    """One listed project: normalized name, spelling as listed, 1-based rank, downloads."""

    name: str
    display_name: str
    rank: int
    downloads: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PopularList:
    """The popular projects in rank order (most downloaded first), with where they came from."""

    packages: tuple[PopularPackage, ...]
    source: str = ""
    last_update: str | None = None
    imported_at: str | None = None
    bundled: bool = False
    _by_name: Mapping[str, PopularPackage] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not self._by_name:
            by_name: dict[str, PopularPackage] = {}
            for package in self.packages:
                by_name.setdefault(package.name, package)
            object.__setattr__(self, "_by_name", by_name)

    def __len__(self) -> int:
        return len(self.packages)

    def __iter__(self) -> Iterator[PopularPackage]:
        return iter(self.packages)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and normalize_name(name) in self._by_name

    def get(self, name: str) -> PopularPackage | None:
        """Return the entry of `name` (any spelling), or None when it is not listed."""
        return self._by_name.get(normalize_name(name))

    def rank(self, name: str) -> int | None:
        """Return the 1-based download rank of `name`, or None when it is not listed."""
        entry = self.get(name)
        return entry.rank if entry is not None else None

    def top(self, count: int) -> tuple[PopularPackage, ...]:
        """Return the `count` most downloaded projects."""
        return self.packages[: max(0, count)]

    def without(self, name: str) -> PopularList:
        """Return the list minus `name` (used to test a listed name as if it were unknown)."""
        key = normalize_name(name)
        kept = tuple(p for p in self.packages if p.name != key)
        return PopularList(
            packages=kept,
            source=self.source,
            last_update=self.last_update,
            imported_at=self.imported_at,
            bundled=self.bundled,
        )

    def describe(self) -> str:
        """Say which list this is, for the report's data sources."""
        if self.bundled:
            date = (self.last_update or "undated").split(" ")[0]
            origin = f"bundled list, {date}: {self.source.removeprefix('bundled: ')}"
        else:
            origin = f"imported list: {self.source}"
        return f"{len(self)} most downloaded projects ({origin})"


def parse_popular(data: Any, where: str) -> PopularList:
    """Build a list from the top-packages JSON document; `where` prefixes error messages.

    Rows are ranked by download count (highest first, the order of the file breaks ties).

    Raises:
        SourceError: when the document is not in the expected format.
    """
    if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
        raise SourceError(f'{where}: expected an object with a "rows" array')
    entries: list[tuple[int, int, str, str]] = []
    for position, row in enumerate(data["rows"]):
        if not isinstance(row, dict):
            raise SourceError(f"{where}: /rows/{position}: expected an object")
        project = row.get("project")
        downloads = row.get("download_count", 0)
        if not isinstance(project, str) or not project.strip():
            raise SourceError(f"{where}: /rows/{position}/project: expected a project name")
        if isinstance(downloads, str) and downloads.isdigit():
            downloads = int(downloads)
        if not isinstance(downloads, int) or isinstance(downloads, bool) or downloads < 0:
            raise SourceError(f"{where}: /rows/{position}/download_count: expected a count")
        entries.append((-downloads, position, normalize_name(project), project.strip()))
    entries.sort()
    packages: list[PopularPackage] = []
    seen: set[str] = set()
    for negative, _, name, display in entries:
        if name in seen:
            continue
        seen.add(name)
        packages.append(
            PopularPackage(name=name, display_name=display, rank=len(packages) + 1,
                           downloads=-negative)
        )  # fmt: skip
    last_update = data.get("last_update")
    return PopularList(
        packages=tuple(packages),
        source=where,
        last_update=str(last_update) if last_update is not None else None,
    )


__all__ = ["PopularList", "PopularPackage", "parse_popular"]
