"""The advisory-service boundary: sources, the fallback composite, the registry, the facts."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fakes import FakeOsv, Fault, LoopbackServer, serve

from auditor.advisories.advisory import Advisory, parse_advisory
from auditor.advisories.client import OsvClient, Query
from auditor.advisories.lookup import collect, resolve_advisories
from auditor.advisories.policy import advisory_policy
from auditor.advisories.service import (
    SOURCES,
    AdvisorySource,
    FallbackSource,
    OsvApiSource,
    SourceAnswer,
    SourcePlan,
    SourceSettings,
    StoreSource,
    plan_sources,
)
from auditor.advisories.store import KIND_MALICIOUS, KIND_OSV, OsvStore
from auditor.advisories.store_writer import write_store
from auditor.config import load_config
from auditor.http import make_session
from auditor.model import DataSource

Q1 = Query(name="demo", version="1.0")
Q2 = Query(name="other", version="1.0")


def rec(rid: str, name: str = "demo", fixed: str = "2.0", **extra: Any) -> dict[str, Any]:
    return {"id": rid, "modified": "2024-01-01T00:00:00Z",
            "affected": [{"package": {"ecosystem": "PyPI", "name": name},
                          "ranges": [{"type": "ECOSYSTEM",
                                      "events": [{"introduced": "0"}, {"fixed": fixed}]}]}],
            **extra}  # fmt: skip


def broken(rid: str, name: str = "demo") -> dict[str, Any]:
    data = rec(rid, name)
    data["affected"][0]["ranges"][0]["events"].append("junk")
    return data


@dataclass
class FakeSource:
    """An in-memory source: fixed answers, fixed failures, and a log of what it was asked."""

    name: str
    answers: dict[Query, tuple[Advisory, ...]] = field(default_factory=dict)
    fail: dict[Query, str] = field(default_factory=dict)
    has_data: bool = True
    calls: list[tuple[list[Query], str | None]] = field(default_factory=list)

    def available(self) -> bool:
        return self.has_data

    def query(self, queries: Sequence[Query], *, why: str | None = None) -> SourceAnswer:
        self.calls.append((list(queries), why))
        return SourceAnswer(
            advisories={q: self.answers.get(q, ()) for q in queries if q not in self.fail},
            failed={q: self.fail[q] for q in queries if q in self.fail},
            data_sources=(DataSource(name=self.name, detail=why or "asked"),),
        )


def store_at(tmp_path: Path, kind: str, *records: dict[str, Any]) -> Path:
    path = tmp_path / "osv.sqlite3"
    with write_store(path) as writer:
        writer.replace_source(f"src-{kind}", kind, "test", list(records))
    return path


def store_source(store: OsvStore, kind: str = KIND_OSV) -> StoreSource:
    return StoreSource(store=store, kind=kind, why="offline mode", stale_after_days=7.0)


@pytest.fixture
def failing_api() -> Iterator[OsvApiSource]:
    fake = FakeOsv()
    fake.add(rec("PYSEC-1"))
    with serve(fake) as server:
        server.faults["/v1/querybatch"] = Fault(status=500)
        yield api_source(server)


def api_source(server: LoopbackServer) -> OsvApiSource:
    session = make_session(timeout=5, retries=0, backoff=0)
    return OsvApiSource(client=OsvClient(session, server.url), url=server.url)


def test_a_fake_source_satisfies_the_protocol() -> None:
    advisory = parse_advisory(rec("PYSEC-1"))
    source: AdvisorySource = FakeSource("fake", answers={Q1: (advisory,)})
    facts = collect(SourcePlan(vulnerabilities=source), [Q1, Q2, Q1])
    assert facts.for_query(Q1) == (advisory,)
    assert facts.for_query(Q2) == ()
    assert facts.checked(Q1)
    assert facts.checked(Q2)
    assert [d.name for d in facts.data_sources] == ["fake"]


def test_fallback_api_fails_store_answers(failing_api: OsvApiSource, tmp_path: Path) -> None:
    with OsvStore(store_at(tmp_path, KIND_OSV, rec("PYSEC-1"), rec("PYSEC-2", "other"))) as store:
        plan = SourcePlan(
            vulnerabilities=FallbackSource(primary=failing_api, fallback=store_source(store))
        )
        facts = collect(plan, [Q1])
    assert [a.id for a in facts.for_query(Q1)] == ["PYSEC-1"]
    assert facts.checked(Q1)
    assert facts.incomplete == ()
    (source,) = facts.data_sources
    assert source.name == "osv-store"
    assert source.detail.startswith(
        "OSV API failed for 1 queries (querybatch: HTTP 500): 2 records from src-osv in"
    )
    assert facts.mode == "osv-store"


def test_fallback_without_store_data_leaves_the_queries_unchecked(
    failing_api: OsvApiSource, tmp_path: Path
) -> None:
    with OsvStore(tmp_path / "absent.sqlite3") as store:
        plan = SourcePlan(
            vulnerabilities=FallbackSource(primary=failing_api, fallback=store_source(store))
        )
        facts = collect(plan, [Q1, Q2])
    reason = (
        "OSV API: querybatch: HTTP 500; no offline advisory data to fall back on "
        "(run auditor db update/import)"
    )
    assert dict(facts.unchecked) == {Q1: reason, Q2: reason}
    (item,) = facts.incomplete
    assert (item.source, item.reason, item.packages) == ("osv", reason,
                                                         ("demo==1.0", "other==1.0"))  # fmt: skip
    assert facts.data_sources == ()
    assert facts.mode == "none"


def test_fallback_asks_the_store_only_for_what_the_primary_failed() -> None:
    first, second = parse_advisory(rec("PYSEC-1")), parse_advisory(rec("GHSA-2", "other"))
    primary = FakeSource("osv-api", answers={Q1: (first,)}, fail={Q2: "boom"})
    fallback = FakeSource("osv-store", answers={Q2: (second,)})
    answer = FallbackSource(primary=primary, fallback=fallback).query([Q1, Q2])
    assert fallback.calls == [([Q2], "OSV API failed for 1 queries (boom)")]
    assert answer.advisories == {Q1: (first,), Q2: (second,)}
    assert answer.failed == {}
    assert [d.name for d in answer.data_sources] == ["osv-api", "osv-store"]
    facts = collect(SourcePlan(vulnerabilities=FallbackSource(primary=primary, fallback=fallback)),
                    [Q1, Q2])  # fmt: skip
    assert facts.mode == "osv-api+store"


def test_supplements_are_asked_when_they_have_data() -> None:
    mal = parse_advisory({**rec("MAL-1"), "database_specific": {"auditor": {"kind": "malicious"}}})
    empty = FakeSource("malicious-store", has_data=False)
    lists = FakeSource("malicious-store", answers={Q1: (mal,)})
    main = FakeSource("osv-api", answers={Q1: (parse_advisory(rec("PYSEC-1")),)})
    facts = collect(SourcePlan(vulnerabilities=main, supplements=(empty, lists)), [Q1])
    assert empty.calls == []
    assert [a.id for a in facts.for_query(Q1)] == ["PYSEC-1", "MAL-1"]
    assert [d.name for d in facts.data_sources] == ["osv-api", "malicious-store"]


def test_store_source_reports_a_malformed_record_and_keeps_the_rest(tmp_path: Path) -> None:
    path = store_at(tmp_path, KIND_OSV, rec("PYSEC-1"), broken("PYSEC-9"), broken("PYSEC-8", "x"))
    with OsvStore(path) as store:
        facts = collect(SourcePlan(vulnerabilities=store_source(store)), [Q1])
    assert [a.id for a in facts.for_query(Q1)] == ["PYSEC-1"]
    assert facts.checked(Q1)
    (item,) = facts.incomplete
    assert item.source == "osv"
    assert item.reason == (
        "advisory PYSEC-9 skipped: malformed OSV record "
        "(affected[0].ranges[0].events[2]: expected an object)"
    )
    assert item.packages == ("demo==1.0",)


def test_api_source_reports_a_malformed_record(tmp_path: Path) -> None:
    fake = FakeOsv()
    fake.add(rec("PYSEC-1"))
    fake.add(broken("PYSEC-9"))
    with serve(fake) as server:
        answer = api_source(server).query([Q1, Q2])
    assert [a.id for a in answer.advisories[Q1]] == ["PYSEC-1"]
    assert answer.advisories[Q2] == ()
    (record,) = answer.malformed[Q1]
    assert (record.id, record.problem) == (
        "PYSEC-9", "affected[0].ranges[0].events[2]: expected an object")  # fmt: skip
    assert answer.failed == {}
    (source,) = answer.data_sources
    assert source.name == "osv-api"
    assert "2 of 2 queries answered" in source.detail


def test_store_source_without_data_fails_every_query(tmp_path: Path) -> None:
    with OsvStore(tmp_path / "absent.sqlite3") as store:
        source = store_source(store)
        assert not source.available()
        answer = source.query([Q1])
    assert answer.failed == {Q1: "no offline advisory data; run auditor db update/import"}


def test_the_registry_picks_sources_from_the_config(tmp_path: Path) -> None:
    assert set(SOURCES) == {"osv-api", "osv-store", "malicious-store"}
    env = dict(os.environ)
    online = load_config(tmp_path, env=env)
    offline = load_config(tmp_path, env={**env, "AUDITOR_OFFLINE": "1"})
    with OsvStore(tmp_path / "absent.sqlite3") as store:
        session = make_session(timeout=5, retries=0, backoff=0)
        plan = plan_sources(SourceSettings(config=online, policy=advisory_policy(online),
                                           store=store, session=session))  # fmt: skip
        assert isinstance(plan.vulnerabilities, FallbackSource)
        assert isinstance(plan.vulnerabilities.primary, OsvApiSource)
        assert plan.vulnerabilities.fallback.name == "osv-store"
        assert not plan.offline
        for config, used in ((offline, session), (online, None)):
            plan = plan_sources(SourceSettings(config=config, policy=advisory_policy(config),
                                               store=store, session=used))  # fmt: skip
            assert plan.offline
            assert isinstance(plan.vulnerabilities, StoreSource)
            assert plan.vulnerabilities.name == "osv-store"
        assert [s.name for s in plan.supplements] == ["malicious-store"]
        with pytest.raises(ValueError, match="needs a session"):
            SOURCES["osv-api"](SourceSettings(config=online, policy=advisory_policy(online),
                                              store=store))  # fmt: skip


def test_resolve_advisories_offline_with_malicious_lists(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    manifest = {**rec("src:evil", "evil"), "database_specific": {"auditor": {"kind": "malicious"}}}
    with write_store(cache / "osv.sqlite3") as writer:
        writer.replace_source("db", KIND_OSV, "t", [rec("PYSEC-1")])
        writer.replace_source("lists", KIND_MALICIOUS, "t", [manifest])
    config = load_config(tmp_path, env={**os.environ, "AUDITOR_CACHE_DIR": str(cache),
                                        "AUDITOR_OFFLINE": "1"})  # fmt: skip
    evil = Query(name="evil", version="1.0")
    facts = resolve_advisories([Q1, evil], config=config, session=None, cache=None)
    assert [a.id for a in facts.for_query(Q1)] == ["PYSEC-1"]
    assert [a.id for a in facts.for_query(evil)] == ["src:evil"]
    assert all(isinstance(a, Advisory) for a in facts.for_query(evil))
    assert [d.name for d in facts.data_sources] == ["osv-store", "malicious-store"]
    assert facts.data_sources[0].detail.startswith("offline mode: 1 records from db")
    assert facts.data_sources[1].detail.startswith("malicious-package lists: 1 records from")
    assert facts.mode == "osv-store"
    assert facts.incomplete == ()
