"""One package-index lookup shared by every repository of a fleet: each name asked once.

All workers read and fill the one on-disk cache. A lock file beside it serialises the step
"read the cache, fetch what is missing, store it", so when two workers need the same names
the second finds them cached instead of asking the index again. Answers that could not be
had (UNKNOWN: not cached by design) are remembered for the rest of the worker's life, so a dead
index costs one deadline per name, not one per repository.
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from auditor.config import Config
from auditor.index.model import LookupState, ProjectLookup
from auditor.model import normalize_name

LOCK_FILE = "fleet-index.lock"

# Per worker process: (index URL, name) -> an answer that is not cached on disk.
_UNKNOWN: dict[tuple[str, str], ProjectLookup] = {}
_GUARD = threading.Lock()


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class SharedIndexLookup:
    """An `IndexLookup` for one repository's config that shares answers across the fleet.

    Args:
        config: the repository's resolved configuration (its index URL, limits, offline mode).
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self.asked = 0
        self.fetched = 0

    def __call__(self, names: Iterable[str]) -> Mapping[str, ProjectLookup]:
        """Look `names` up: the process memo, then the shared cache, then the index (locked)."""
        from auditor.cache import Cache, default_cache_dir
        from auditor.http import make_session_for
        from auditor.index.client import IndexClient

        config = self.config
        url = config.index_json_url
        wanted = sorted({normalize_name(n) for n in names if n and n.strip()})
        self.asked += len(wanted)
        with _GUARD:
            results = {n: _UNKNOWN[(url, n)] for n in wanted if (url, n) in _UNKNOWN}
        todo = [n for n in wanted if n not in results]
        if not todo:
            return results
        cache_dir = config.cache_dir or default_cache_dir()
        cache = Cache(cache_dir)
        session = make_session_for(config)
        try:
            client = IndexClient(
                session=session,
                cache=cache,
                json_url=url,
                simple_url=config.index_url,
                max_workers=config.max_workers,
            )
            if config.offline:
                fetched = client.lookup_many(todo)
            else:
                with _locked(cache_dir / LOCK_FILE):
                    fetched = client.lookup_many(todo)
        finally:
            session.close()
            cache.close()
        with _GUARD:
            for name, lookup in fetched.items():
                if lookup.state is LookupState.UNKNOWN and not config.offline:
                    _UNKNOWN[(url, name)] = lookup
        self.fetched += len(fetched)
        results.update(fetched)
        return results


__all__ = ["LOCK_FILE", "SharedIndexLookup"]
