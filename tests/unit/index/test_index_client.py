"""The package index client against a loopback index: answers, faults, cache, offline, threads."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes import FakeIndex, Fault, LoopbackServer, serve

from auditor.cache import Cache
from auditor.config import load_config
from auditor.context import RunContext
from auditor.errors import IndexError_
from auditor.http import make_session
from auditor.index.client import (
    CACHE_NAMESPACE,
    IndexClient,
    index_lookups,
    parse_simple_html_status,
    redact_url,
)
from auditor.index.model import LookupState, ProjectStatus
from auditor.pipeline import merge_incomplete


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake() -> FakeIndex:
    index = FakeIndex()
    index.add(
        "Requests",
        {"2.19.0": "2018-06-14T12:00:00Z", "2.31.0": "2023-05-22T00:00:00Z"},
        summary="HTTP for Humans.",
        license_expression="Apache-2.0",
        classifiers=["Programming Language :: Python :: 3"],
        requires_dist=["urllib3>=1.21.1"],
    )
    index.add(
        "oldlib",
        {"1.0": "2015-01-01T00:00:00Z", "1.1": "2016-01-01T00:00:00Z"},
        yanked={"1.1": "broken \x1b[31mbuild"},
        status="archived",
        status_reason="no longer maintained",
    )
    return index


@pytest.fixture
def server(fake: FakeIndex) -> Iterator[LoopbackServer]:
    with serve(fake) as srv:
        yield srv


def _client(
    server: LoopbackServer,
    tmp_path: Path,
    *,
    offline: bool = False,
    timeout: float = 5.0,
    retries: int = 0,
    clock: Clock | None = None,
    max_workers: int = 4,
) -> IndexClient:
    cache = Cache(tmp_path / "cache", clock=clock) if clock else Cache(tmp_path / "cache")
    return IndexClient(
        session=make_session(timeout=timeout, retries=retries, offline=offline, backoff=0),
        cache=cache,
        json_url=f"{server.url}/pypi",
        simple_url=f"{server.url}/simple",
        max_workers=max_workers,
    )


def test_found_project_metadata(server: LoopbackServer, tmp_path: Path) -> None:
    lookup = _client(server, tmp_path).lookup("requests")
    assert lookup.state is LookupState.FOUND
    info = lookup.info
    assert info is not None
    assert info.name == "requests"
    assert info.display_name == "Requests"
    assert info.summary == "HTTP for Humans."
    assert info.latest_version == "2.31.0"
    assert info.license_expression == "Apache-2.0"
    assert info.classifiers == ("Programming Language :: Python :: 3",)
    assert info.requires_dist == ("urllib3>=1.21.1",)
    assert info.versions() == ["2.19.0", "2.31.0"]
    assert info.status is ProjectStatus.ACTIVE
    first = info.release("2.19")
    assert first is not None
    assert first.upload_time is not None
    assert first.upload_time.isoformat() == "2018-06-14T12:00:00+00:00"
    assert info.first_release == first.upload_time


def test_missing_project_is_missing_not_unknown(server: LoopbackServer, tmp_path: Path) -> None:
    lookup = _client(server, tmp_path).lookup("no-such-thing")
    assert lookup.state is LookupState.MISSING
    assert lookup.info is None


def test_names_are_normalized(server: LoopbackServer, tmp_path: Path) -> None:
    found = _client(server, tmp_path).lookup_many(["Requests", "requests", "OLD_LIB", "oldlib"])
    assert sorted(found) == ["old-lib", "oldlib", "requests"]
    assert found["old-lib"].state is LookupState.MISSING
    json_requests = [r.path for r in server.requests if r.path.endswith("/json")]
    expected = ["/pypi/old-lib/json", "/pypi/oldlib/json", "/pypi/requests/json"]
    assert sorted(json_requests) == expected


def test_yanked_release_and_status_from_simple_json(server: LoopbackServer, tmp_path: Path) -> None:
    info = _client(server, tmp_path).lookup("oldlib").info
    assert info is not None
    yanked = info.release("1.1")
    assert yanked is not None
    assert yanked.yanked
    # Hostile text is kept as data; reporters escape it.
    assert yanked.yanked_reason == "broken \x1b[31mbuild"
    release_1_0 = info.release("1.0")
    assert release_1_0 is not None
    assert not release_1_0.yanked
    assert info.newest_version() == "1.0"
    assert info.versions(include_yanked=False) == ["1.0"]
    assert info.status is ProjectStatus.ARCHIVED
    assert info.status_reason == "no longer maintained"
    simple = [r for r in server.requests if r.path.startswith("/simple/")]
    assert [r.path for r in simple] == ["/simple/oldlib/"]


def test_release_is_yanked_only_when_every_file_is(tmp_path: Path) -> None:
    index = FakeIndex()
    files = [
        {"filename": "a.whl", "upload_time_iso_8601": "2020-02-01T00:00:00Z", "yanked": True},
        {"filename": "a.tar.gz", "upload_time_iso_8601": "2020-01-01T00:00:00Z", "yanked": False},
    ]
    index.add("half", {"1.0": files})
    with serve(index) as srv:
        info = _client(srv, tmp_path).lookup("half").info
    assert info is not None
    release = info.release("1.0")
    assert release is not None
    assert not release.yanked
    assert release.upload_time is not None
    assert release.upload_time.month == 1  # the earliest file's upload time


def test_status_from_html_meta(fake: FakeIndex, tmp_path: Path) -> None:
    fake.add("quiet", {"0.1": "2024-01-01T00:00:00Z"})

    def handler(method: str, path: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        if path.startswith("/simple/"):
            page = (
                "<!DOCTYPE html><html><head>"
                '<meta name="pypi:repository-version" content="1.4">'
                '<meta name="pypi:project-status" content="quarantined">'
                '<meta name="pypi:project-status-reason" content="malware &amp; more">'
                "</head><body></body></html>"
            )
            return 200, page, {"Content-Type": "text/html"}
        return fake.handle(method, path, body)

    srv = LoopbackServer(handler).start()
    try:
        info = _client(srv, tmp_path).lookup("quiet").info
    finally:
        srv.stop()
    assert info is not None
    assert info.status is ProjectStatus.QUARANTINED
    assert info.status_reason == "malware & more"


def test_html_without_status_meta_is_active() -> None:
    assert parse_simple_html_status("<html><head></head><body>x</body></html>") is None


@pytest.mark.parametrize("page", ["x <![{J", "x <![[", "<meta name=a content=b><![ y"])
def test_html_the_parser_gives_up_on_is_an_index_error(page: str) -> None:
    # Found by benchmarks/fuzz_long.py: html.parser raised AssertionError on these.
    with pytest.raises(IndexError_, match="cannot be parsed"):
        parse_simple_html_status(page)


def test_unknown_status_value_counts_as_active(fake: FakeIndex, tmp_path: Path) -> None:
    fake.add("odd", {"1.0": "2024-01-01T00:00:00Z"}, status="frozen-in-time")
    with serve(fake) as srv:
        info = _client(srv, tmp_path).lookup("odd").info
    assert info is not None
    assert info.status is ProjectStatus.ACTIVE


def test_simple_page_failure_keeps_the_json_answer(server: LoopbackServer, tmp_path: Path) -> None:
    server.faults["/simple/"] = Fault(status=500)
    lookup = _client(server, tmp_path).lookup("oldlib")
    assert lookup.state is LookupState.FOUND
    assert lookup.info is not None
    assert lookup.info.status is ProjectStatus.ACTIVE


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (Fault(status=500), "the index answered HTTP 500"),
        (Fault(status=503), "the index answered HTTP 503"),
        (Fault(status=429, retry_after="0"), "the index answered HTTP 429"),
        (Fault(truncate=True), "the index sent invalid JSON"),
    ],
)
def test_faults_are_unknown_with_reason(
    server: LoopbackServer, tmp_path: Path, fault: Fault, reason: str
) -> None:
    server.faults["/pypi/requests/"] = fault
    client = _client(server, tmp_path)
    lookup = client.lookup("requests")
    assert lookup.state is LookupState.UNKNOWN
    assert lookup.reason == reason
    # A failure is never cached: once the index recovers, the next lookup finds the project.
    del server.faults["/pypi/requests/"]
    assert client.lookup("requests").state is LookupState.FOUND


def test_timeout_is_unknown(server: LoopbackServer, tmp_path: Path) -> None:
    server.faults["/pypi/requests/"] = Fault(delay=1.0)
    lookup = _client(server, tmp_path, timeout=0.2).lookup("requests")
    assert lookup.state is LookupState.UNKNOWN
    assert lookup.reason == "the index timed out"


def test_connection_refused_is_unknown(tmp_path: Path) -> None:
    client = IndexClient(
        session=make_session(timeout=2, retries=0),
        cache=Cache(tmp_path),
        json_url="http://127.0.0.1:9/pypi",
        simple_url="http://127.0.0.1:9/simple",
        max_workers=2,
    )
    lookup = client.lookup("requests")
    assert lookup.state is LookupState.UNKNOWN
    assert lookup.reason == "could not connect to the index"


def test_429_with_retry_after_is_retried(server: LoopbackServer, tmp_path: Path) -> None:
    server.faults["/pypi/requests/"] = Fault(status=429, retry_after="0", times=1)
    lookup = _client(server, tmp_path, retries=2).lookup("requests")
    assert lookup.state is LookupState.FOUND
    paths = [r.path for r in server.requests]
    assert paths.count("/pypi/requests/json") == 2


def test_unexpected_json_shape_is_unknown(tmp_path: Path) -> None:
    def handler(method: str, path: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        if path == "/pypi/weird/json":
            return 200, ["not", "a", "document"], {}
        return 200, {"releases": {}}, {}

    srv = LoopbackServer(handler).start()
    try:
        client = _client(srv, tmp_path)
        weird = client.lookup("weird")
        noinfo = client.lookup("noinfo")
    finally:
        srv.stop()
    assert weird.state is LookupState.UNKNOWN
    assert weird.reason == "the index sent an unexpected JSON document"
    assert noinfo.state is LookupState.UNKNOWN
    assert noinfo.reason == "the index sent a document without project info"


def test_offline_uses_only_the_cache(server: LoopbackServer, tmp_path: Path) -> None:
    online = _client(server, tmp_path)
    assert online.lookup("requests").state is LookupState.FOUND
    assert online.lookup("no-such-thing").state is LookupState.MISSING
    before = len(server.requests)
    offline = _client(server, tmp_path, offline=True)
    found = offline.lookup_many(["requests", "no-such-thing", "oldlib"])
    assert len(server.requests) == before  # no socket opened
    assert found["requests"].state is LookupState.FOUND
    assert found["no-such-thing"].state is LookupState.MISSING
    assert found["oldlib"].state is LookupState.UNKNOWN
    assert found["oldlib"].reason == "offline"


def test_no_session_is_offline_and_answers_from_the_cache(
    server: LoopbackServer, tmp_path: Path
) -> None:
    assert _client(server, tmp_path).lookup("requests").state is LookupState.FOUND
    before = len(server.requests)
    client = IndexClient(
        session=None, cache=Cache(tmp_path / "cache"), json_url=f"{server.url}/pypi",
        simple_url=f"{server.url}/simple", max_workers=2,
    )  # fmt: skip
    assert client.offline
    found = client.lookup_many(["requests", "oldlib"])
    assert len(server.requests) == before
    assert found["requests"].state is LookupState.FOUND
    assert (found["oldlib"].state, found["oldlib"].reason) == (LookupState.UNKNOWN, "offline")
    assert client.release_lookup("oldlib", "1.0").state is LookupState.UNKNOWN


def test_cache_ttl(server: LoopbackServer, tmp_path: Path) -> None:
    clock = Clock()
    client = _client(server, tmp_path, clock=clock)
    assert client.lookup("requests").state is LookupState.FOUND
    count = len(server.requests)
    clock.now += client.ttl - 1
    assert client.lookup("requests").state is LookupState.FOUND
    assert len(server.requests) == count  # served from the cache
    clock.now += 2
    assert client.lookup("requests").state is LookupState.FOUND
    assert len(server.requests) == count + 2  # JSON API and simple API again


def test_corrupt_cache_entry_is_refetched(server: LoopbackServer, tmp_path: Path) -> None:
    client = _client(server, tmp_path)
    client.cache.set(CACHE_NAMESPACE, f"{client.json_url} requests", {"state": "found"})
    assert client.lookup("requests").state is LookupState.FOUND
    assert any(r.path == "/pypi/requests/json" for r in server.requests)


def test_thread_pool_many_names_bounded(tmp_path: Path) -> None:
    index = FakeIndex()
    names = [f"pkg{i}" for i in range(60)]
    for name in names:
        index.add(name, {"1.0": "2024-01-01T00:00:00Z"})
    workers = 4
    # The first `workers` JSON requests wait for each other: this only completes if the client
    # really runs `workers` requests at once; the in-flight count shows it never runs more.
    barrier = threading.Barrier(workers, timeout=10)
    lock = threading.Lock()
    state = {"inflight": 0, "peak": 0, "seen": 0}

    def handler(method: str, path: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        with lock:
            state["inflight"] += 1
            state["peak"] = max(state["peak"], state["inflight"])
            state["seen"] += 1
            first = state["seen"] <= workers
        try:
            if first:
                barrier.wait()
            return index.handle(method, path, body)
        finally:
            with lock:
                state["inflight"] -= 1

    srv = LoopbackServer(handler).start()
    try:
        found = _client(srv, tmp_path, max_workers=workers).lookup_many(names)
    finally:
        srv.stop()
    assert sorted(found) == sorted(names)
    assert all(item.state is LookupState.FOUND for item in found.values())
    assert state["peak"] == workers
    assert len(srv.requests) == 2 * len(names)


def test_release_lookup(server: LoopbackServer, tmp_path: Path) -> None:
    client = _client(server, tmp_path)
    lookup = client.release_lookup("Requests", "2.19.0")
    assert lookup.state is LookupState.FOUND
    assert lookup.info is not None
    assert lookup.info.latest_version == "2.19.0"
    assert lookup.info.versions() == ["2.19.0"]
    assert client.release_lookup("requests", "9.9").state is LookupState.MISSING
    count = len(server.requests)
    assert client.release_lookup("requests", "2.19.0").state is LookupState.FOUND
    assert len(server.requests) == count


def _context(root: Path) -> RunContext:
    return RunContext(config=load_config(root))


def test_index_lookups_memoizes_and_reports_incomplete(
    index_server: tuple[FakeIndex, LoopbackServer], tmp_path: Path
) -> None:
    fake, server = index_server
    fake.add("requests", {"2.31.0": "2023-05-22T00:00:00Z"})
    fake.add("flaky", {"1.0": "2023-05-22T00:00:00Z"})
    fake.add("shaky", {"1.0": "2023-05-22T00:00:00Z"})
    server.faults["/pypi/flaky/"] = Fault(truncate=True)
    ctx = _context(tmp_path)
    try:
        answers = [index_lookups(ctx, ["Requests", "flaky", "nope"])]
        first = answers[0].lookups
        assert {k: v.state for k, v in first.items()} == {
            "flaky": LookupState.UNKNOWN,
            "nope": LookupState.MISSING,
            "requests": LookupState.FOUND,
        }
        count = len(server.requests)
        server.faults["/pypi/shaky/"] = Fault(truncate=True)
        answers.append(index_lookups(ctx, ["requests", "shaky"]))
        second = answers[1].lookups
        assert second["requests"] == first["requests"]
        # Only the new name was fetched; the earlier answer comes from the cache.
        assert {r.path for r in server.requests[count:]} == {"/pypi/shaky/json"}
    finally:
        ctx.close()
    incomplete = merge_incomplete(i for a in answers for i in a.incomplete)
    assert [i.to_json() for i in incomplete] == [
        {
            "source": "index",
            "reason": "package index not checked: the index sent invalid JSON",
            "packages": ["flaky", "shaky"],
        }
    ]
    assert {d.name for a in answers for d in a.data_sources} == {"index"}


def test_index_lookups_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDITOR_OFFLINE", "1")
    ctx = _context(tmp_path)
    try:
        answers = index_lookups(ctx, ["requests"])
        # Offline, the cache answers alone: no HTTP session is made (nor requests imported).
        assert ctx._session is None
    finally:
        ctx.close()
    assert answers.lookups["requests"].state is LookupState.UNKNOWN
    assert [i.to_json() for i in answers.incomplete] == [
        {
            "source": "index",
            "reason": "package index not checked: offline",
            "packages": ["requests"],
        }
    ]


def test_credentials_in_the_index_url_stay_out_of_cache_and_report(
    index_server: tuple[FakeIndex, LoopbackServer],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake, server = index_server
    fake.add("requests", {"2.31.0": "2023-05-22T00:00:00Z"})
    secret_url = server.url.replace("http://", "http://me:s3cret@") + "/simple"
    monkeypatch.setenv("AUDITOR_INDEX_URL", secret_url)
    assert redact_url(secret_url) == f"{server.url}/simple"
    assert redact_url("https://127.0.0.1/simple") == "https://127.0.0.1/simple"
    ctx = _context(tmp_path)
    try:
        answers = index_lookups(ctx, ["requests"])
        stored = ctx.cache.get_many(CACHE_NAMESPACE, [f"{server.url}/pypi requests"])
    finally:
        ctx.close()
    assert answers.lookups["requests"].state is LookupState.FOUND
    assert list(stored) == [f"{server.url}/pypi requests"]
    assert "s3cret" not in repr(answers.data_sources)


def test_one_simple_page_reader_serves_wheels_and_licenses() -> None:
    from auditor.index.simple_page import simple_page_files

    html = (
        b'<a href="/f/x-1.0-py3-none-any.whl" data-core-metadata="sha256=AB" data-yanked>x</a>'
        b'<a href="/f/x-1.0.tar.gz">x</a>'
    )
    files = simple_page_files(html, "text/html")
    assert files[0] == {
        "filename": "x-1.0-py3-none-any.whl",
        "url": "/f/x-1.0-py3-none-any.whl",
        "yanked": True,
        "core-metadata": {"sha256": "AB"},
    }
    assert files[1]["core-metadata"] is None
    with pytest.raises(ValueError, match="invalid JSON"):
        simple_page_files(b"[" * 100_000, "application/vnd.pypi.simple.v1+json")
