"""The OSV API client against the loopback FakeOsv, with faults (auditor.advisories.client)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes import FakeOsv, Fault, LoopbackServer, serve

from auditor.advisories.client import OsvClient, Query
from auditor.cache import Cache
from auditor.http import make_session


def rec(
    rid: str, name: str, fixed: str = "2.0", aliases: list[str] | None = None
) -> dict[str, Any]:
    events = [{"introduced": "0"}, {"fixed": fixed}]
    package = {"ecosystem": "PyPI", "name": name}
    return {"id": rid, "modified": "2024-01-01T00:00:00Z", "aliases": aliases or [],
            "affected": [{"package": package,
                          "ranges": [{"type": "ECOSYSTEM", "events": events}]}]}  # fmt: skip


@pytest.fixture
def osv() -> Iterator[tuple[FakeOsv, LoopbackServer]]:
    fake = FakeOsv()
    fake.add(rec("PYSEC-1", "alpha", aliases=["CVE-1"]))
    fake.add(rec("GHSA-1", "alpha", aliases=["CVE-1"]))
    fake.add(rec("PYSEC-2", "beta", fixed="1.5"))
    with serve(fake) as server:
        yield fake, server


def client(server: LoopbackServer, tmp_path: Path | None = None, **kwargs: Any) -> OsvClient:
    session = make_session(timeout=kwargs.pop("timeout", 5), retries=kwargs.pop("retries", 0),
                           backoff=0)  # fmt: skip
    cache = Cache(tmp_path) if tmp_path is not None else None
    return OsvClient(session, server.url, cache=cache, **kwargs)


def paths(server: LoopbackServer) -> list[str]:
    return [r.path for r in server.requests]


def test_query_returns_records_per_query(osv: tuple[FakeOsv, LoopbackServer]) -> None:
    _fake, server = osv
    result = client(server).query(
        [Query(name="alpha", version="1.0"), Query(name="alpha", version="2.0"),
         Query(name="beta"), Query(name="gamma", version="1.0")]
    )  # fmt: skip
    assert result.failed == {}
    ids = {q: [r["id"] for r in recs] for q, recs in result.records.items()}
    assert ids == {
        Query(name="alpha", version="1.0"): ["GHSA-1", "PYSEC-1"],
        Query(name="alpha", version="2.0"): [],
        Query(name="beta"): ["PYSEC-2"],
        Query(name="gamma", version="1.0"): [],
    }
    # One batch, then one GET per distinct id.
    assert paths(server).count("/v1/querybatch") == 1
    assert sorted(p for p in paths(server) if p.startswith("/v1/vulns/")) == [
        "/v1/vulns/GHSA-1", "/v1/vulns/PYSEC-1", "/v1/vulns/PYSEC-2"]  # fmt: skip
    body = server.requests[0].body
    assert body["queries"][0] == {"package": {"name": "alpha", "ecosystem": "PyPI"},
                                  "version": "1.0"}  # fmt: skip
    assert "version" not in body["queries"][2]


def test_pagination_is_followed(osv: tuple[FakeOsv, LoopbackServer]) -> None:
    fake, server = osv
    fake.page_size = 1
    result = client(server).query([Query(name="alpha", version="1.0")])
    assert [r["id"] for r in result.records[Query(name="alpha", version="1.0")]] == [
        "GHSA-1", "PYSEC-1"]  # fmt: skip
    batches = [r.body for r in server.requests if r.path == "/v1/querybatch"]
    assert len(batches) == 2
    assert batches[1]["queries"][0]["page_token"] == "1"


def test_too_many_pages_marks_the_query_failed(osv: tuple[FakeOsv, LoopbackServer]) -> None:
    fake, server = osv
    fake.page_size = 1
    result = client(server, max_pages=1).query([Query(name="alpha", version="1.0")])
    assert "more than 1 pages" in result.failed[Query(name="alpha", version="1.0")]


@pytest.mark.parametrize("count", [1, 999, 1000, 1001, 2500])
def test_batches_of_at_most_1000(osv: tuple[FakeOsv, LoopbackServer], count: int) -> None:
    _fake, server = osv
    queries = [Query(name=f"pkg{n}", version="1.0") for n in range(count)]
    result = client(server).query(queries)
    assert len(result.records) == count
    sizes = [len(r.body["queries"]) for r in server.requests if r.path == "/v1/querybatch"]
    assert len(sizes) == math.ceil(count / 1000)
    assert max(sizes) <= 1000


def test_records_are_cached_by_id_and_modified(
    osv: tuple[FakeOsv, LoopbackServer], tmp_path: Path
) -> None:
    fake, server = osv
    queries = [Query(name="alpha", version="1.0")]
    first = client(server, tmp_path).query(queries)
    assert first.record_requests == 2
    second = client(server, tmp_path).query(queries)
    assert (second.record_requests, second.cache_hits) == (0, 2)
    fake.vulns["PYSEC-1"] = {**fake.vulns["PYSEC-1"], "modified": "2025-01-01T00:00:00Z"}
    third = client(server, tmp_path).query(queries)
    assert (third.record_requests, third.cache_hits) == (1, 1)


@pytest.mark.parametrize(
    ("fault", "reason"),
    [(Fault(status=500), "HTTP 500"),
     (Fault(status=429, retry_after="0"), "HTTP 429"),
     (Fault(truncate=True), "invalid or truncated JSON"),
     (Fault(delay=1.0), "timed out")],
)  # fmt: skip
def test_querybatch_faults_fail_every_query(
    osv: tuple[FakeOsv, LoopbackServer], fault: Fault, reason: str
) -> None:
    _fake, server = osv
    server.faults["/v1/querybatch"] = fault
    queries = [Query(name="alpha", version="1.0"), Query(name="beta")]
    result = client(server, timeout=0.3).query(queries)
    assert result.records == {}
    assert set(result.failed) == set(queries)
    assert all(reason in text for text in result.failed.values())


def test_a_failed_record_fetch_fails_only_its_packages(
    osv: tuple[FakeOsv, LoopbackServer],
) -> None:
    _fake, server = osv
    server.faults["/v1/vulns/PYSEC-2"] = Fault(status=503)
    result = client(server).query([Query(name="alpha", version="1.0"), Query(name="beta")])
    assert list(result.failed) == [Query(name="beta")]
    assert "vulns/PYSEC-2: HTTP 503" in result.failed[Query(name="beta")]
    assert [r["id"] for r in result.records[Query(name="alpha", version="1.0")]] == [
        "GHSA-1", "PYSEC-1"]  # fmt: skip


def test_retry_after_is_honoured_then_succeeds(osv: tuple[FakeOsv, LoopbackServer]) -> None:
    _fake, server = osv
    server.faults["/v1/querybatch"] = Fault(status=429, retry_after="0", times=1)
    result = client(server, retries=2).query([Query(name="alpha", version="1.0")])
    assert result.failed == {}
    assert paths(server).count("/v1/querybatch") == 2


def test_slow_server_within_the_timeout_is_fine(osv: tuple[FakeOsv, LoopbackServer]) -> None:
    _fake, server = osv
    server.faults["/v1/"] = Fault(delay=0.2)
    result = client(server, timeout=5).query([Query(name="alpha", version="1.0")])
    assert result.failed == {}


def test_wrong_result_count_is_invalid(osv: tuple[FakeOsv, LoopbackServer]) -> None:
    fake, server = osv
    original = fake.handle

    def short(method: str, path: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        if path.startswith("/v1/querybatch"):
            return 200, {"results": []}, {}
        return original(method, path, body)

    server.handler = short
    result = client(server).query([Query(name="alpha", version="1.0")])
    assert "expected 1 results, got 0" in result.failed[Query(name="alpha", version="1.0")]


def test_unreachable_service_is_described_briefly(tmp_path: Path) -> None:
    # A refused connection: one short reason, not urllib3's MaxRetryError text.
    dead = OsvClient(
        base_url="http://127.0.0.1:9",
        session=make_session(timeout=2, retries=0),
        cache=Cache(tmp_path),
    )
    result = dead.query([Query(name="alpha", version="1.0")])
    (reason,) = result.failed.values()
    assert "connection failed (NewConnectionError)" in reason
    assert "MaxRetryError" not in reason
