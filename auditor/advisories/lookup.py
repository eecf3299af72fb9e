"""Find the advisories of a run's packages: OSV API first, the offline store as fallback.

Modes:

* default: ask the OSV API; queries it could not answer are answered from the offline store
  when it holds OSV data, otherwise they are reported as not checked;
* offline (``--offline``): the store only; an empty store means nothing could be checked.

Locally imported malicious-package lists (``auditor db import manifest.json``) are consulted in
both modes, since the API does not carry them. The result says which source answered and how old
the store's data is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from auditor.advisories.client import OsvClient, Query
from auditor.advisories.matching import is_withdrawn, record_affects
from auditor.advisories.store import KIND_MALICIOUS, KIND_OSV, OsvStore, store_path
from auditor.model import DataSource, Incomplete

if TYPE_CHECKING:
    import requests

    from auditor.cache import Cache
    from auditor.config import Config
    from auditor.context import RunContext

SOURCE = "osv"
NO_OFFLINE_DATA = "no offline advisory data; run auditor db update/import"


@dataclass(slots=True)
class AdvisoryFacts:
    """Advisories per query, what could not be checked, and which sources answered.

    For a versioned query the records are those affecting that version; for an unversioned one
    (``version=None``), every record of the package.
    """

    records: dict[Query, list[dict[str, Any]]] = field(default_factory=dict)
    unchecked: dict[Query, str] = field(default_factory=dict)
    incomplete: list[Incomplete] = field(default_factory=list)
    data_sources: list[DataSource] = field(default_factory=list)
    mode: str = "none"
    batch_requests: int = 0
    record_requests: int = 0

    def for_query(self, query: Query) -> list[dict[str, Any]]:
        """Return the records found for one query (empty when none or unchecked)."""
        return self.records.get(query, [])

    def checked(self, query: Query) -> bool:
        """Whether the query was answered by some source."""
        return query not in self.unchecked


def _merge(
    target: dict[Query, list[dict[str, Any]]], query: Query, records: Iterable[dict[str, Any]]
) -> None:
    have = {str(r.get("id")) for r in target.setdefault(query, [])}
    for record in records:
        if str(record.get("id")) not in have:
            target[query].append(record)
            have.add(str(record.get("id")))


def _from_store(
    store: OsvStore, queries: Sequence[Query], kinds: Iterable[str] | None
) -> dict[Query, list[dict[str, Any]]]:
    by_name = store.records_for((q.name for q in queries), kinds=kinds)
    found: dict[Query, list[dict[str, Any]]] = {}
    for query in queries:
        candidates = by_name.get(query.name, [])
        if query.version is None:
            found[query] = [r for r in candidates if not is_withdrawn(r)]
        else:
            found[query] = [r for r in candidates if record_affects(r, query.name, query.version)]
    return found


def _store_source(store: OsvStore, kind: str, why: str, stale_days: float) -> DataSource:
    infos = [s for s in store.sources() if s.kind == kind]
    count = sum(s.records for s in infos)
    names = ", ".join(s.name for s in infos) or "none"
    newest = store.newest_import(kind)
    ages = [a for s in infos if (a := s.age_days()) is not None]
    age = f", newest import {min(ages):.1f} days old" if ages else ""
    if ages and min(ages) > stale_days:
        age += " (stale: run auditor db update)"
    modified = max((s.newest_modified for s in infos if s.newest_modified), default=None)
    if modified and kind == KIND_OSV:
        # The import time says when the store was filled; this says how current its data is.
        age += f"; newest advisory modified {modified[:10]}"
    name = "osv-store" if kind == KIND_OSV else "malicious-store"
    return DataSource(
        name=name,
        detail=f"{why}: {count} records from {names} in {store.path}{age}",
        updated=newest,
    )


def _group_reason(failed: Mapping[Query, str]) -> dict[str, list[Query]]:
    by_reason: dict[str, list[Query]] = {}
    for query, reason in failed.items():
        by_reason.setdefault(reason, []).append(query)
    return by_reason


def resolve_advisories(
    queries: Sequence[Query],
    *,
    config: Config,
    session: requests.Session | None,
    cache: Cache | None,
) -> AdvisoryFacts:
    """Answer every query from the API and/or the store (see the module docstring).

    `session` may be None only in offline mode.
    """
    from auditor.advisories.policy import advisory_policy

    policy = advisory_policy(config)
    facts = AdvisoryFacts()
    unique = sorted(set(queries))
    if not unique:
        return facts
    with OsvStore(store_path(config)) as store:
        have_osv = store.has_kind(KIND_OSV)
        failed: dict[Query, str] = {}
        if config.offline or session is None:
            facts.mode = "osv-store"
            failed = dict.fromkeys(unique, "offline mode")
        else:
            client = OsvClient(
                session,
                config.osv_url,
                cache=cache,
                max_workers=config.max_workers,
                batch_size=policy.batch_size,
                max_pages=policy.max_pages,
                ttl_seconds=policy.record_ttl_hours * 3600,
            )
            answer = client.query(unique)
            facts.batch_requests = answer.batch_requests
            facts.record_requests = answer.record_requests
            for query, records in answer.records.items():
                _merge(facts.records, query, (r for r in records if not is_withdrawn(r)))
            failed = dict(answer.failed)
            if answer.records:
                facts.mode = "osv-api"
                facts.data_sources.append(
                    DataSource(
                        name="osv-api",
                        detail=f"{config.osv_url} ({len(answer.records)} of {len(unique)} "
                        f"queries answered, {answer.batch_requests} batch and "
                        f"{answer.record_requests} record requests, "
                        f"{answer.cache_hits} records from cache)",
                    )
                )
        if failed:
            if have_osv:
                fallback = sorted(failed)
                for query, records in _from_store(store, fallback, [KIND_OSV]).items():
                    _merge(facts.records, query, records)
                if config.offline or session is None:
                    why = "offline mode"
                else:
                    reasons = "; ".join(sorted(_group_reason(failed))[:3])
                    why = f"OSV API failed for {len(fallback)} queries ({reasons})"
                facts.data_sources.append(
                    _store_source(store, KIND_OSV, why, policy.stale_after_days)
                )
                facts.mode = "osv-store" if facts.mode != "osv-api" else "osv-api+store"
            else:
                for reason, items in sorted(_group_reason(failed).items()):
                    text = NO_OFFLINE_DATA if reason == "offline mode" else (
                        f"OSV API: {reason}; no offline advisory data to fall back on "
                        "(run auditor db update/import)"
                    )  # fmt: skip
                    facts.incomplete.append(
                        Incomplete(
                            source=SOURCE,
                            reason=text,
                            packages=tuple(sorted({_label(q) for q in items})),
                        )
                    )
                    for query in items:
                        facts.unchecked[query] = text
        if store.has_kind(KIND_MALICIOUS):
            for query, records in _from_store(store, unique, [KIND_MALICIOUS]).items():
                _merge(facts.records, query, records)
            facts.data_sources.append(
                _store_source(
                    store, KIND_MALICIOUS, "malicious-package lists", policy.stale_after_days
                )
            )
    for query in unique:
        facts.records.setdefault(query, [])
    return facts


def _label(query: Query) -> str:
    return query.name if query.version is None else f"{query.name}=={query.version}"


def lookup_advisories(context: RunContext, queries: Sequence[Query]) -> AdvisoryFacts:
    """Answer the queries for a run with its session and cache."""
    session = None if context.config.offline else context.session
    return resolve_advisories(queries, config=context.config, session=session, cache=context.cache)


__all__ = ["NO_OFFLINE_DATA", "AdvisoryFacts", "Query", "lookup_advisories", "resolve_advisories"]
