"""The popular-package list: import, download, store and load the most-downloaded projects.

The list (the "top packages" JSON format: ``{"rows": [{"project", "download_count"}],
"last_update": ...}``) is the reference set of the typosquat check and the source of "did you
mean" suggestions. It is stored as one JSON file in the cache folder, written atomically, so a
run never sees half a list. Nothing here reaches the network except `download_popular`, which the
``auditor db`` command calls.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.atomic import atomic_write_text
from auditor.errors import SourceError, SourceUnavailable
from auditor.model import normalize_name

if TYPE_CHECKING:
    import requests

    from auditor.config import Config

STORE_FORMAT = 1
STORE_FOLDER = "popular"
STORE_FILE = "top-packages.json"
SOURCE_NAME = "popular-packages"


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


def store_path(config: Config) -> Path:
    """Return where the imported list is kept (``<cache dir>/popular/top-packages.json``)."""
    from auditor.cache import default_cache_dir

    base = config.cache_dir or default_cache_dir()
    return base / STORE_FOLDER / STORE_FILE


def _store(popular: PopularList, config: Config, source: str) -> int:
    now = dt.datetime.now(tz=dt.UTC).replace(microsecond=0).isoformat()
    document = {
        "format": STORE_FORMAT,
        "source": source,
        "last_update": popular.last_update,
        "imported_at": now,
        "rows": [[p.display_name, p.downloads] for p in popular.packages],
    }
    atomic_write_text(store_path(config), json.dumps(document, separators=(",", ":")))
    return len(popular)


def import_popular_file(path: Path, config: Config) -> int:
    """Import a top-packages JSON file into the local store; return how many names it holds.

    Raises:
        SourceError: when the file cannot be read or is not in the top-packages format.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path}: cannot read: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise SourceError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from exc
    popular = parse_popular(data, str(path))
    if not popular.packages:
        raise SourceError(f"{path}: the list holds no projects")
    return _store(popular, config, str(path.resolve()))


def download_popular(config: Config, session: requests.Session) -> int:
    """Fetch the list from ``config.top_packages_url`` and store it; return the count.

    Raises:
        SourceUnavailable: when the download fails or the answer is not a valid list.
    """
    import requests

    url = config.top_packages_url
    try:
        response = session.get(url)
        response.raise_for_status()
        data = response.json()
    except requests.RequestException as exc:
        raise SourceUnavailable(SOURCE_NAME, f"cannot download {url}: {exc}") from exc
    except ValueError as exc:
        raise SourceUnavailable(SOURCE_NAME, f"{url}: invalid JSON: {exc}") from exc
    try:
        popular = parse_popular(data, url)
    except SourceError as exc:
        raise SourceUnavailable(SOURCE_NAME, str(exc)) from exc
    if not popular.packages:
        raise SourceUnavailable(SOURCE_NAME, f"{url}: the list holds no projects")
    return _store(popular, config, url)


def _read_store(config: Config) -> dict[str, Any] | None:
    path = store_path(config)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        # A damaged store counts as absent: the check then says it could not run.
        return None
    if not isinstance(data, dict) or data.get("format") != STORE_FORMAT:
        return None
    if not isinstance(data.get("rows"), list):
        return None
    return data


NO_POPULAR_LIST = (
    "typosquat check could not run: no popular-package list; run auditor db update or "
    "auditor db import top-pypi-packages.json (or leave bundled_popular on in "
    "[tool.auditor.policy.reputation])"
)


def load_popular(config: Config, *, bundled: bool = True) -> PopularList | None:
    """Return the stored list; else, if `bundled`, the list shipped with Auditor; else None.

    A stored list (``auditor db update`` / ``import``) always wins over the shipped one. A
    damaged store counts as absent.
    """
    data = _read_store(config)
    stored = _stored_list(data) if data is not None else None
    if stored is None and bundled:
        from auditor.reputation.bundled import load_bundled

        return load_bundled()
    return stored


def _stored_list(data: dict[str, Any]) -> PopularList | None:
    packages: list[PopularPackage] = []
    seen: set[str] = set()
    for row in data["rows"]:
        if not (isinstance(row, list) and len(row) == 2 and isinstance(row[0], str)):
            return None
        name = normalize_name(row[0])
        if name in seen:
            continue
        seen.add(name)
        packages.append(PopularPackage(name=name, display_name=row[0], rank=len(packages) + 1,
                                       downloads=int(row[1])))  # fmt: skip
    return PopularList(
        packages=tuple(packages),
        source=str(data.get("source") or ""),
        last_update=data.get("last_update"),
        imported_at=data.get("imported_at"),
    )


def popular_status(config: Config) -> dict[str, Any] | None:
    """Describe the stored list (count, source, last_update, imported_at), or None if absent."""
    data = _read_store(config)
    if data is None:
        return None
    return {
        "count": len(data["rows"]),
        "source": data.get("source"),
        "last_update": data.get("last_update"),
        "imported_at": data.get("imported_at"),
        "path": os.fspath(store_path(config)),
    }


__all__ = [
    "NO_POPULAR_LIST",
    "SOURCE_NAME",
    "PopularList",
    "PopularPackage",
    "download_popular",
    "import_popular_file",
    "load_popular",
    "parse_popular",
    "popular_status",
    "store_path",
]
