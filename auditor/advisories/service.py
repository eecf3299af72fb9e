"""The advisory-service boundary: every place advisories come from, behind one Protocol.

An `AdvisorySource` answers (package, version) queries with parsed `Advisory` values, says
which queries it could not answer (and why), which records it had to skip as malformed, and
the data-source entries the report shows. The implementations:

* `OsvApiSource`: the OSV API (``querybatch`` + ``vulns/{id}``, through the cache);
* `StoreSource`: the offline store, one kind of its data: OSV records (``osv-store``) or the
  imported malicious-package lists (``malicious-store``);
* `FallbackSource`: a primary source, then a fallback for the queries the primary failed.

`plan_sources` picks them from the configuration through the `SOURCES` registry: the API with
the store as fallback, or the store alone in offline mode; the malicious lists supplement both.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from auditor.advisories.advisory import (
    Advisory,
    AdvisoryFormatError,
    MalformedRecord,
    parse_advisory,
)
from auditor.advisories.client import OsvClient, Query
from auditor.advisories.match_memo import MatchMemo, MemoCache, Remembered, store_version
from auditor.advisories.matching import record_affects
from auditor.advisories.store import KIND_MALICIOUS, KIND_OSV, OsvStore, StoreDamagedError
from auditor.model import DataSource

if TYPE_CHECKING:
    import requests

    from auditor.advisories.policy import AdvisoryPolicy
    from auditor.cache import Cache
    from auditor.config import Config

NO_OFFLINE_DATA = "no offline advisory data; run auditor db update/import"
NO_FALLBACK = "no offline advisory data to fall back on (run auditor db update/import)"


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceAnswer:
    """What one source said: advisories per answered query, failures, skipped records.

    `advisories` holds every query the source answered (withdrawn records dropped; for an
    unversioned query, every advisory of the package). `failed` maps the queries it could not
    answer to the reason. `malformed` lists, per query, the records skipped as unparsable.
    """

    advisories: Mapping[Query, tuple[Advisory, ...]] = field(default_factory=dict)
    failed: Mapping[Query, str] = field(default_factory=dict)
    malformed: Mapping[Query, tuple[MalformedRecord, ...]] = field(default_factory=dict)
    data_sources: tuple[DataSource, ...] = ()
    batch_requests: int = 0
    record_requests: int = 0


class AdvisorySource(Protocol):
    """A place that answers advisory queries (cf. pip-audit's ``VulnerabilityService``)."""

    @property
    def name(self) -> str:
        """The data-source name the report shows (``osv-api``, ``osv-store`` ...)."""
        ...

    def available(self) -> bool:
        """Whether the source has data to answer from (an empty store has none)."""
        ...

    def query(self, queries: Sequence[Query], *, why: str | None = None) -> SourceAnswer:
        """Answer `queries`; `why` says why the source is consulted, for its data-source entry.

        A source never raises for a query it cannot answer: it lists it in `failed`.
        """
        ...


def merge_into(
    target: dict[Query, list[Advisory]], advisories: Mapping[Query, Iterable[Advisory]]
) -> None:
    """Add `advisories` to `target`, one copy per id and query (the first one seen wins)."""
    for query, items in advisories.items():
        kept = target.setdefault(query, [])
        have = {a.id for a in kept}
        for advisory in items:
            if advisory.id not in have:
                kept.append(advisory)
                have.add(advisory.id)


@dataclass(frozen=True, slots=True, kw_only=True)
class OsvApiSource:
    """The OSV API: one batched lookup, each distinct record fetched (or cached) and parsed."""

    client: OsvClient
    url: str
    name: str = "osv-api"

    def available(self) -> bool:
        """The API is always worth asking; its failures come back per query."""
        return True

    def query(self, queries: Sequence[Query], *, why: str | None = None) -> SourceAnswer:
        """Ask the API; a record that does not parse is skipped and listed as malformed."""
        del why  # the API's entry says what it answered, not why it was asked
        unique = sorted(set(queries))
        answer = self.client.query(unique)
        parsed: dict[str, Advisory | MalformedRecord] = {}
        advisories: dict[Query, tuple[Advisory, ...]] = {}
        malformed: dict[Query, tuple[MalformedRecord, ...]] = {}
        for query, records in answer.records.items():
            items = [_parse_once(parsed, record) for record in records]
            advisories[query] = tuple(
                a for a in items if isinstance(a, Advisory) and not a.is_withdrawn
            )
            if broken := tuple(a for a in items if isinstance(a, MalformedRecord)):
                malformed[query] = broken
        sources: tuple[DataSource, ...] = ()
        if answer.records:
            sources = (
                DataSource(
                    name=self.name,
                    detail=f"{self.url} ({len(answer.records)} of {len(unique)} queries "
                    f"answered, {answer.batch_requests} batch and {answer.record_requests} "
                    f"record requests, {answer.cache_hits} records from cache)",
                ),
            )
        return SourceAnswer(
            advisories=advisories,
            failed=dict(answer.failed),
            malformed=malformed,
            data_sources=sources,
            batch_requests=answer.batch_requests,
            record_requests=answer.record_requests,
        )


def _parse_once(
    parsed: dict[str, Advisory | MalformedRecord], record: Mapping[str, Any]
) -> Advisory | MalformedRecord:
    """Parse one API record once per lookup (the client hands one record to many queries)."""
    key = str(record.get("id", ""))
    if key not in parsed:
        try:
            parsed[key] = parse_advisory(record)
        except AdvisoryFormatError as exc:
            parsed[key] = MalformedRecord(
                id=key, problem=str(exc), modified=str(record.get("modified") or "")
            )
    return parsed[key]


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreSource:
    """One kind of the offline store's data: ``osv`` records or ``malicious`` lists.

    `why` is the default reason its data-source entry gives (``offline mode``); `missing` is
    the failure reason for every query when the store holds no data of this kind.
    """

    store: OsvStore
    kind: str
    why: str
    stale_after_days: float
    missing: str = NO_OFFLINE_DATA
    memo: MemoCache | None = None  # remembers which records affect a version (match_memo)

    @property
    def name(self) -> str:
        """``osv-store`` or ``malicious-store``."""
        return "osv-store" if self.kind == KIND_OSV else "malicious-store"

    def available(self) -> bool:
        """Whether some imported source of this kind holds records."""
        return self.store.has_kind(self.kind)

    def query(self, queries: Sequence[Query], *, why: str | None = None) -> SourceAnswer:
        """Match the stored records against each query (every record, when unversioned).

        With a `memo`, a versioned query answered by an earlier run on the same store data
        parses only the records that affected it then.
        """
        unique = sorted(set(queries))
        if not self.available():
            return SourceAnswer(failed=dict.fromkeys(unique, self.store.damaged or self.missing))
        data_key = store_version(self.store, self.kind) if self.memo is not None else None
        memo = MatchMemo(self.memo, data_key) if self.memo is not None and data_key else None
        known = memo.recall(unique) if memo is not None else {}
        try:
            by_name, broken = self.store.advisories_for(
                (q.name for q in unique), kinds=[self.kind], only=_only(unique, known)
            )
        except StoreDamagedError as exc:
            return SourceAnswer(failed=dict.fromkeys(unique, str(exc)))
        advisories: dict[Query, tuple[Advisory, ...]] = {}
        malformed: dict[Query, tuple[MalformedRecord, ...]] = {}
        learned: dict[Query, Remembered] = {}
        for query in unique:
            candidates = by_name.get(query.name, [])
            version = query.version
            remembered = known.get(query)
            if version is None:
                advisories[query] = tuple(a for a in candidates if not a.is_withdrawn)
            elif remembered is not None:
                advisories[query] = tuple(a for a in candidates if a.id in remembered.affecting)
            else:
                advisories[query] = tuple(
                    a for a in candidates if record_affects(a, query.name, version)
                )
            bad = broken.get(query.name, [])
            if remembered is not None:
                bad = [b for b in bad if b.id in remembered.malformed]
            if bad:
                malformed[query] = tuple(bad)
            if remembered is None:
                learned[query] = Remembered(
                    affecting=frozenset(a.id for a in advisories[query]),
                    malformed=frozenset(b.id for b in bad),
                )
        if memo is not None:
            memo.remember(learned)
        return SourceAnswer(
            advisories=advisories,
            malformed=malformed,
            data_sources=(self._describe(why or self.why),),
        )

    def _describe(self, why: str) -> DataSource:
        store, kind = self.store, self.kind
        infos = [s for s in store.sources() if s.kind == kind]
        count = sum(s.records for s in infos)
        names = ", ".join(s.name for s in infos) or "none"
        ages = [a for s in infos if (a := s.age_days()) is not None]
        age = f", newest import {min(ages):.1f} days old" if ages else ""
        stale = bool(ages) and min(ages) > self.stale_after_days
        if stale:
            age += " (stale: run auditor db update)"
        modified = max((s.newest_modified for s in infos if s.newest_modified), default=None)
        if modified and kind == KIND_OSV:
            # The import time says when the store was filled; this says how current its data is.
            age += f"; newest advisory modified {modified[:10]}"
        return DataSource(
            name=self.name,
            detail=f"{why}: {count} records from {names} in {store.path}{age}",
            updated=store.newest_import(kind),
            stale=stale,
        )


def _only(queries: Sequence[Query], known: Mapping[Query, Remembered]) -> dict[str, set[str]]:
    """The record ids worth parsing per package: all (absent) unless every query is known."""
    only: dict[str, set[str]] = {}
    unknown: set[str] = set()
    for query in queries:
        remembered = known.get(query)
        if remembered is None:
            unknown.add(query.name)
        else:
            only.setdefault(query.name, set()).update(remembered.affecting, remembered.malformed)
    return {name: ids for name, ids in only.items() if name not in unknown}


@dataclass(frozen=True, slots=True, kw_only=True)
class FallbackSource:
    """Ask `primary`; the queries it failed go to `fallback` when that has data.

    Without fallback data, the primary's failures stand, each saying so (`unavailable`).
    """

    primary: AdvisorySource
    fallback: AdvisorySource
    label: str = "OSV API"
    unavailable: str = NO_FALLBACK

    @property
    def name(self) -> str:
        """Both names, primary first."""
        return f"{self.primary.name}+{self.fallback.name}"

    def available(self) -> bool:
        """Whether either source has data."""
        return self.primary.available() or self.fallback.available()

    def query(self, queries: Sequence[Query], *, why: str | None = None) -> SourceAnswer:
        """Ask the primary, then the fallback for what the primary failed."""
        first = self.primary.query(queries, why=why)
        if not first.failed:
            return first
        if not self.fallback.available():
            failed = {q: f"{self.label}: {r}; {self.unavailable}" for q, r in first.failed.items()}
            return dataclasses.replace(first, failed=failed)
        reasons = "; ".join(sorted(set(first.failed.values()))[:3])
        because = f"{self.label} failed for {len(first.failed)} queries ({reasons})"
        second = self.fallback.query(sorted(first.failed), why=because)
        advisories: dict[Query, list[Advisory]] = {}
        merge_into(advisories, first.advisories)
        merge_into(advisories, second.advisories)
        return SourceAnswer(
            advisories={q: tuple(items) for q, items in advisories.items()},
            failed=second.failed,
            malformed={
                q: first.malformed.get(q, ()) + second.malformed.get(q, ())
                for q in {*first.malformed, *second.malformed}
            },
            data_sources=first.data_sources + second.data_sources,
            batch_requests=first.batch_requests + second.batch_requests,
            record_requests=first.record_requests + second.record_requests,
        )


# -- the registry ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceSettings:
    """What the source factories build from: configuration, session, cache, open store."""

    config: Config
    policy: AdvisoryPolicy
    store: OsvStore
    session: requests.Session | None = None
    cache: Cache | None = None

    @property
    def offline(self) -> bool:
        """Offline mode (or no session to go online with): the store alone."""
        return self.config.offline or self.session is None


def _osv_api(settings: SourceSettings) -> AdvisorySource:
    if settings.session is None:
        raise ValueError("the OSV API source needs a session (offline mode has none)")
    policy = settings.policy
    client = OsvClient(
        settings.session,
        settings.config.osv_url,
        cache=settings.cache,
        max_workers=settings.config.max_workers,
        batch_size=policy.batch_size,
        max_pages=policy.max_pages,
        ttl_seconds=policy.record_ttl_hours * 3600,
    )
    return OsvApiSource(client=client, url=settings.config.osv_url)


def _osv_store(settings: SourceSettings) -> AdvisorySource:
    return StoreSource(
        store=settings.store,
        kind=KIND_OSV,
        why="offline mode",
        stale_after_days=settings.policy.stale_after_days,
        memo=settings.cache,
    )


def _malicious_store(settings: SourceSettings) -> AdvisorySource:
    return StoreSource(
        store=settings.store,
        kind=KIND_MALICIOUS,
        why="malicious-package lists",
        stale_after_days=settings.policy.stale_after_days,
        missing="no malicious-package lists imported",
        memo=settings.cache,
    )


SOURCES: Mapping[str, Callable[[SourceSettings], AdvisorySource]] = {
    "osv-api": _osv_api,
    "osv-store": _osv_store,
    "malicious-store": _malicious_store,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class SourcePlan:
    """The sources of one run: the vulnerability source, and supplements asked every query."""

    vulnerabilities: AdvisorySource
    supplements: tuple[AdvisorySource, ...] = ()
    offline: bool = False


def plan_sources(settings: SourceSettings) -> SourcePlan:
    """Choose the run's sources: the API then the store, or the store alone when offline.

    The malicious-package lists supplement both, since the API does not carry them.
    """
    store = SOURCES["osv-store"](settings)
    vulnerabilities = store
    if not settings.offline:
        damaged = settings.store.damaged
        vulnerabilities = FallbackSource(
            primary=SOURCES["osv-api"](settings),
            fallback=store,
            unavailable=NO_FALLBACK if damaged is None else f"no fallback: {damaged}",
        )
    return SourcePlan(
        vulnerabilities=vulnerabilities,
        supplements=(SOURCES["malicious-store"](settings),),
        offline=settings.offline,
    )


__all__ = [
    "NO_OFFLINE_DATA",
    "SOURCES",
    "AdvisorySource",
    "FallbackSource",
    "OsvApiSource",
    "SourceAnswer",
    "SourcePlan",
    "SourceSettings",
    "StoreSource",
    "merge_into",
    "plan_sources",
]
