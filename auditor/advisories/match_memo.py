"""Which stored advisories affect a (package, version), remembered per store version.

Matching a 1,000-package lock against the offline store parses every advisory that names one
of its packages and evaluates their ranges, run after run, although neither the store nor the
lock changed. The answer of a (kind, package, version) query is a set of record ids, fixed for
as long as the store holds the same imports: it is kept in the cache under a key made of the
store's imports (name, time, record count, newest modification) and the query, so a later run
parses only the advisories that affect something. `db import`/`db update` change the key; the
old entries expire on their own. Nothing here decides a match: a miss is matched as before.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from auditor.advisories.client import Query
from auditor.advisories.store import OsvStore

NAMESPACE = "osv-matches:v1"
TTL_SECONDS = 30 * 86400.0


class MemoCache(Protocol):
    """The part of auditor.cache.Cache the memo needs."""

    def get_many(self, namespace: str, keys: list[str]) -> dict[str, Any]:
        """Return the live values of several keys."""
        ...

    def set_many(self, namespace: str, items: dict[str, Any], *, ttl: float | None = None) -> None:
        """Store several values in one transaction."""
        ...


@dataclass(frozen=True, slots=True)
class Remembered:
    """The ids of the records that affect a query, and of the package's unparsable records."""

    affecting: frozenset[str]
    malformed: frozenset[str]


def store_version(store: OsvStore, kind: str) -> str | None:
    """A key that changes whenever the store's data of `kind` changes (None: no data)."""
    infos = [s for s in store.sources() if s.kind == kind]
    if not infos:
        return None
    text = "\n".join(
        f"{s.name}|{s.imported_at}|{s.records}|{s.withdrawn}|{s.newest_modified}" for s in infos
    )
    return hashlib.sha256(f"{store.path}\n{kind}\n{text}".encode()).hexdigest()[:32]


class MatchMemo:
    """Remembered answers of versioned queries for one store version and kind."""

    def __init__(self, cache: MemoCache, version: str) -> None:
        self._cache = cache
        self._version = version

    def _key(self, query: Query) -> str:
        return f"{self._version} {query.name} {query.version}"

    def recall(self, queries: Iterable[Query]) -> dict[Query, Remembered]:
        """Return what is remembered of the versioned `queries` (others are left out)."""
        keys = {self._key(q): q for q in queries if q.version is not None}
        if not keys:
            return {}
        found: dict[Query, Remembered] = {}
        for key, value in self._cache.get_many(NAMESPACE, list(keys)).items():
            remembered = _read(value)
            if remembered is not None:
                found[keys[key]] = remembered
        return found

    def remember(self, answers: Mapping[Query, Remembered]) -> None:
        """Keep the answers of versioned queries (unversioned ones are not kept)."""
        items = {
            self._key(q): {"affecting": sorted(r.affecting), "malformed": sorted(r.malformed)}
            for q, r in answers.items()
            if q.version is not None
        }
        if items:
            self._cache.set_many(NAMESPACE, items, ttl=TTL_SECONDS)


def _read(value: Any) -> Remembered | None:
    if not isinstance(value, dict):
        return None
    affecting, malformed = value.get("affecting"), value.get("malformed")
    if not isinstance(affecting, list) or not isinstance(malformed, list):
        return None
    if not all(isinstance(i, str) for i in (*affecting, *malformed)):
        return None
    return Remembered(affecting=frozenset(affecting), malformed=frozenset(malformed))


__all__ = ["NAMESPACE", "MatchMemo", "MemoCache", "Remembered", "store_version"]
