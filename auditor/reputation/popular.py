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
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.atomic import atomic_write_text
from auditor.errors import SourceError, SourceUnavailable
from auditor.model import normalize_name
from auditor.reputation.bundled import load_bundled
from auditor.reputation.popular_list import PopularList, PopularPackage, parse_popular

if TYPE_CHECKING:
    import requests

    from auditor.config import Config

STORE_FORMAT = 1
STORE_FOLDER = "popular"
STORE_FILE = "top-packages.json"
SOURCE_NAME = "popular-packages"


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
    except (ValueError, RecursionError) as exc:
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


def bundled_status() -> dict[str, Any] | None:
    """Describe the list shipped with Auditor (used when none was imported), or None."""
    shipped = load_bundled()
    if shipped is None:
        return None
    return {
        "count": len(shipped),
        "source": shipped.source,
        "last_update": shipped.last_update,
        "bundled": True,
    }


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
    "bundled_status",
    "download_popular",
    "import_popular_file",
    "load_popular",
    "parse_popular",
    "popular_status",
    "store_path",
]
