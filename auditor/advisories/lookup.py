"""Find the advisories of a run's packages: OSV API first, the offline store as fallback.

Modes:

* default: ask the OSV API; queries it could not answer are answered from the offline store
  when it holds OSV data, otherwise they are reported as not checked;
* offline (``--offline``): the store only; an empty store means nothing could be checked.

Locally imported malicious-package lists (``auditor db import manifest.json``) are consulted in
both modes, since the API does not carry them. The result says which source answered and how old
the store's data is. The sources themselves live behind `auditor.advisories.service`; a record
that does not parse is skipped and reported as incomplete, with the key path that is wrong.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from auditor.advisories.advisory import Advisory, MalformedRecord
from auditor.advisories.client import Query
from auditor.advisories.service import (
    NO_OFFLINE_DATA,
    SourceAnswer,
    SourcePlan,
    SourceSettings,
    merge_into,
    plan_sources,
)
from auditor.advisories.store import OsvStore, store_path
from auditor.model import DataSource, Incomplete

if TYPE_CHECKING:
    import requests

    from auditor.cache import Cache
    from auditor.config import Config
    from auditor.context import RunContext

SOURCE = "osv"


@dataclass(frozen=True, slots=True, kw_only=True)
class AdvisoryFacts:
    """Parsed advisories per query, what could not be checked, and which sources answered.

    For a versioned query the advisories are those affecting that version; for an unversioned
    one (``version=None``), every advisory of the package.
    """

    advisories: Mapping[Query, tuple[Advisory, ...]] = field(default_factory=dict)
    unchecked: Mapping[Query, str] = field(default_factory=dict)
    incomplete: tuple[Incomplete, ...] = ()
    data_sources: tuple[DataSource, ...] = ()
    mode: str = "none"
    batch_requests: int = 0
    record_requests: int = 0

    def for_query(self, query: Query) -> tuple[Advisory, ...]:
        """Return the advisories found for one query (empty when none or unchecked)."""
        return self.advisories.get(query, ())

    def checked(self, query: Query) -> bool:
        """Whether the query was answered by some source."""
        return query not in self.unchecked


def _label(query: Query) -> str:
    return query.name if query.version is None else f"{query.name}=={query.version}"


def _failures(failed: Mapping[Query, str]) -> list[Incomplete]:
    by_reason: dict[str, list[Query]] = {}
    for query, reason in failed.items():
        by_reason.setdefault(reason, []).append(query)
    return [
        Incomplete(source=SOURCE, reason=reason, packages=tuple(sorted({_label(q) for q in qs})))
        for reason, qs in sorted(by_reason.items())
    ]


def _malformed(answers: Sequence[SourceAnswer]) -> list[Incomplete]:
    by_record: dict[MalformedRecord, set[str]] = {}
    for answer in answers:
        for query, records in answer.malformed.items():
            for record in records:
                by_record.setdefault(record, set()).add(_label(query))
    return [
        Incomplete(
            source=SOURCE,
            reason=f"advisory {record.id} skipped: malformed OSV record ({record.problem})",
            packages=tuple(sorted(labels)),
        )
        for record, labels in sorted(by_record.items(), key=lambda item: item[0].id)
    ]


def _mode(plan: SourcePlan, answer: SourceAnswer) -> str:
    names = {source.name for source in answer.data_sources}
    if plan.offline or names == {"osv-store"}:
        return "osv-store"
    if "osv-api" in names:
        return "osv-api+store" if "osv-store" in names else "osv-api"
    return "none"


def collect(plan: SourcePlan, queries: Sequence[Query]) -> AdvisoryFacts:
    """Ask the plan's sources about `queries` and gather their answers into one fact."""
    unique = sorted(set(queries))
    if not unique:
        return AdvisoryFacts()
    main = plan.vulnerabilities.query(unique)
    answers = [main] + [s.query(unique) for s in plan.supplements if s.available()]
    advisories: dict[Query, list[Advisory]] = {q: [] for q in unique}
    for answer in answers:
        merge_into(advisories, answer.advisories)
    return AdvisoryFacts(
        advisories={q: tuple(items) for q, items in advisories.items()},
        unchecked=dict(main.failed),
        incomplete=(*_failures(main.failed), *_malformed(answers)),
        data_sources=tuple(d for answer in answers for d in answer.data_sources),
        mode=_mode(plan, main),
        batch_requests=main.batch_requests,
        record_requests=main.record_requests,
    )


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

    if not queries:
        return AdvisoryFacts()
    policy = advisory_policy(config)
    with OsvStore(store_path(config)) as store:
        settings = SourceSettings(
            config=config, policy=policy, store=store, session=session, cache=cache
        )
        facts = collect(plan_sources(settings), queries)
        return _with_damage(facts, store, queries)


def _with_damage(facts: AdvisoryFacts, store: OsvStore, queries: Sequence[Query]) -> AdvisoryFacts:
    """Add the damaged store to what was not checked (its malicious lists went unread too)."""
    damaged = store.damaged
    if damaged is None or any(i.reason == damaged for i in facts.incomplete):
        return facts
    packages = tuple(sorted({_label(q) for q in queries}))
    entry = Incomplete(source="osv-store", reason=damaged, packages=packages)
    return dataclasses.replace(facts, incomplete=(*facts.incomplete, entry))


def lookup_advisories(context: RunContext, queries: Sequence[Query]) -> AdvisoryFacts:
    """Answer the queries for a run with its session and cache."""
    session = None if context.config.offline else context.session
    return resolve_advisories(queries, config=context.config, session=session, cache=context.cache)


__all__ = [
    "NO_OFFLINE_DATA",
    "AdvisoryFacts",
    "Query",
    "collect",
    "lookup_advisories",
    "resolve_advisories",
]
