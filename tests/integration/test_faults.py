"""Fault injection: every way the OSV API or the package index can misbehave ends honestly.

The real CLI runs in-process against loopback servers that refuse, hang up, hang, drip, fail,
rate-limit, truncate, flood or answer the wrong shape. Each scan must end within its deadline
(plus a generous margin for a loaded machine) with an ``incomplete`` entry naming the source,
exit 3, and exit 0 with ``--allow-incomplete`` (the scans have no findings otherwise).
"""

from __future__ import annotations

import email.utils
import json
import re
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli
from fakes import FakeIndex, FakeOsv, Fault, LoopbackServer, serve

REQUEST_DEADLINE = 1.5
SOCKET_TIMEOUT = 30  # far above the deadline: only the deadline can end a hang or a drip
MAX_BYTES = 1 << 20
RETRY_AFTER_MAX = 2
# A scan makes a few requests in sequence (JSON API, then status page; a batch, then records).
BOUND = 4 * REQUEST_DEADLINE + 10
OSV_RULES = ("--enable", "AUD2")
INDEX_RULES = ("--enable", "AUD403", "--enable", "AUD404", "--enable", "AUD405")
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"


@pytest.fixture(autouse=True)
def _limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDITOR_TIMEOUT", str(SOCKET_TIMEOUT))
    monkeypatch.setenv("AUDITOR_REQUEST_DEADLINE", str(REQUEST_DEADLINE))
    monkeypatch.setenv("AUDITOR_MAX_RESPONSE_BYTES", str(MAX_BYTES))
    monkeypatch.setenv("AUDITOR_RETRY_AFTER_MAX", str(RETRY_AFTER_MAX))
    monkeypatch.setenv("AUDITOR_TODAY", "2025-06-01")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "requirements.txt").write_text("requests==2.19.0\n")
    return tmp_path


@pytest.fixture
def osv(monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopbackServer]:
    """An OSV API with one record for requests 2.19.0 (so record fetches happen too)."""
    fake = FakeOsv()
    fake.add(
        {
            "id": "PYSEC-2018-28",
            "modified": "2024-01-01T00:00:00Z",
            "affected": [
                {
                    "package": {"ecosystem": "PyPI", "name": "requests"},
                    "ranges": [
                        {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.20"}]}
                    ],
                }
            ],
        }
    )
    with serve(fake) as server:
        monkeypatch.setenv("AUDITOR_OSV_URL", server.url)
        yield server


@pytest.fixture
def index(monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopbackServer]:
    """A package index knowing requests 2.19.0 (active, not yanked, its newest release)."""
    fake = FakeIndex()
    fake.add("requests", {"2.19.0": "2025-01-10T00:00:00Z"})
    with serve(fake) as server:
        monkeypatch.setenv("AUDITOR_INDEX_URL", f"{server.url}/simple")
        yield server


@dataclass
class Outcome:
    code: int
    data: dict[str, Any]
    err: str
    seconds: float

    def gap(self, source: str) -> dict[str, Any]:
        entries: list[dict[str, Any]] = [
            i for i in self.data["incomplete"] if i["source"] == source
        ]
        assert len(entries) == 1, self.data["incomplete"]
        return entries[0]


def scan(folder: Path, *args: str) -> Outcome:
    start = time.monotonic()
    done = run_cli("scan", str(folder), "--format", "json", *args)
    seconds = time.monotonic() - start
    assert done.out, done.err
    return Outcome(done.code, json.loads(done.out), done.err, seconds)


def http_date(seconds_from_now: float) -> str:
    return email.utils.formatdate(time.time() + seconds_from_now, usegmt=True)


def dead_url() -> str:
    """A loopback URL nothing listens on (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _seconds(reason: str) -> str:
    return re.sub(r"\b\d+ s\b", "N s", reason)


def assert_not_checked(
    folder: Path, rules: tuple[str, ...], source: str, reason: str, *, allow_too: bool = True
) -> Outcome:
    """Scan: exit 3, one incomplete entry for `source` naming requests and `reason`, in time.

    With `allow_too`, scan again with --allow-incomplete: exit 0, the same entry.
    """
    outcome = scan(folder, *rules)
    assert outcome.seconds < BOUND, outcome.seconds
    assert outcome.code == 3, outcome.err
    gap = outcome.gap(source)
    assert reason in gap["reason"], gap["reason"]
    assert any(p.startswith("requests") for p in gap["packages"]), gap
    assert outcome.data["findings"] == []
    assert "INCOMPLETE" in outcome.err
    if allow_too:
        allowed = scan(folder, *rules, "--allow-incomplete")
        assert allowed.seconds < BOUND, allowed.seconds
        assert allowed.code == 0, allowed.err
        # The same reason, but for seconds counted down to an HTTP date (Retry-After).
        assert _seconds(allowed.gap(source)["reason"]) == _seconds(gap["reason"])
    return outcome


BIG = 8 * MAX_BYTES
# Cases that spend the whole deadline scan once; the gate option is checked on the others.
SLOW = {"drip-body", "drip-headers", "drip", "429-within-cap", "429-past-deadline"}
DRIP = 0.05  # a byte every 50 ms: 2,000+ bytes would take minutes

DEEP_JSON = "[" * 100_000  # a valid prefix nested past the parser's recursion limit

# (fault, words the "not checked" reason must contain)
OSV_BATCH_FAULTS: dict[str, tuple[Fault, str]] = {
    "hang-up": (Fault(close=True), "connection failed"),
    "hang": (Fault(hang=True), "timed out (RequestDeadlineExceeded)"),
    "drip-body": (Fault(drip=DRIP, body={"results": [{}], "pad": "x" * 4000}), "timed out"),
    "drip-headers": (Fault(drip=DRIP, drip_headers=True), "timed out"),
    "500": (Fault(status=500), "querybatch: HTTP 500"),
    "503": (Fault(status=503), "querybatch: HTTP 503"),
    "429-within-cap": (Fault(status=429, retry_after="1"), "querybatch: HTTP 429"),
    "429-past-deadline": (Fault(status=429, retry_after=str(RETRY_AFTER_MAX)), "timed out"),
    "429-over-cap": (Fault(status=429, retry_after="3600"), "retry-after-max"),
    "429-date-over-cap": (Fault(status=429, retry_after=http_date(3600)), "retry-after-max"),
    "429-garbage": (Fault(status=429, retry_after="soon-ish"), "querybatch: HTTP 429"),
    "truncated": (Fault(truncate=True), "invalid or truncated JSON"),
    "short-body": (Fault(short=True), "Connection broken"),
    "huge-declared": (Fault(huge=BIG), f"larger than {MAX_BYTES} bytes"),
    "huge-undeclared": (Fault(huge=BIG, huge_undeclared=True), f"larger than {MAX_BYTES} bytes"),
    "shape-list": (Fault(body=[1, 2, 3]), "expected 1 results, got none"),
    "shape-results": (Fault(body={"results": "none"}), "expected 1 results, got none"),
    "shape-result": (Fault(body={"results": ["x"]}), "a result is not an object"),
    "html": (Fault(body="<html>busy</html>", content_type="text/html"), "invalid or truncated"),
    "deep-json": (Fault(body=DEEP_JSON), "invalid or truncated JSON"),
}


@pytest.mark.parametrize("case", list(OSV_BATCH_FAULTS))
def test_osv_querybatch_faults(osv: LoopbackServer, folder: Path, case: str) -> None:
    fault, reason = OSV_BATCH_FAULTS[case]
    osv.faults["/v1/querybatch"] = fault
    outcome = assert_not_checked(folder, OSV_RULES, "osv", reason, allow_too=case not in SLOW)
    if case == "429-within-cap":  # the 1 s wait was honoured before the retry
        assert outcome.seconds >= 1


OSV_RECORD_FAULTS: dict[str, tuple[Fault, str]] = {
    "hang": (Fault(hang=True), "vulns/PYSEC-2018-28: timed out"),
    "drip": (Fault(drip=DRIP), "vulns/PYSEC-2018-28: timed out"),
    "500": (Fault(status=500), "vulns/PYSEC-2018-28: HTTP 500"),
    "429-over-cap": (Fault(status=429, retry_after="86400"), "retry-after-max"),
    "truncated": (Fault(truncate=True), "invalid or truncated JSON"),
    "huge": (Fault(huge=BIG, huge_undeclared=True), f"larger than {MAX_BYTES} bytes"),
    "other-record": (Fault(body={"id": "PYSEC-0000-1"}), "not the requested OSV record"),
    "shape-list": (Fault(body=[]), "not the requested OSV record"),
}


@pytest.mark.parametrize("case", list(OSV_RECORD_FAULTS))
def test_osv_record_faults(osv: LoopbackServer, folder: Path, case: str) -> None:
    fault, reason = OSV_RECORD_FAULTS[case]
    osv.faults["/v1/vulns/"] = fault
    assert_not_checked(folder, OSV_RULES, "osv", reason, allow_too=case not in SLOW)


def test_osv_refused(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDITOR_OSV_URL", dead_url())
    assert_not_checked(folder, OSV_RULES, "osv", "connection failed (NewConnectionError)")


def test_osv_healthy_baseline(osv: LoopbackServer, folder: Path) -> None:
    outcome = scan(folder, *OSV_RULES)
    assert outcome.code == 1  # the one record is found: the fault cases above are the faults
    assert outcome.data["incomplete"] == []


def test_osv_retry_after_within_cap_is_honoured_then_succeeds(
    osv: LoopbackServer, folder: Path
) -> None:
    osv.faults["/v1/querybatch"] = Fault(status=429, retry_after="1", times=1)
    outcome = scan(folder, *OSV_RULES)
    assert outcome.data["incomplete"] == []
    assert outcome.code == 1
    assert outcome.seconds >= 1
    assert [r.path for r in osv.requests][:2] == ["/v1/querybatch", "/v1/querybatch"]


INDEX_JSON_FAULTS: dict[str, tuple[Fault, str]] = {
    "hang-up": (Fault(close=True), "could not connect to the index"),
    "hang": (Fault(hang=True), "the index timed out"),
    "drip-body": (Fault(drip=DRIP), "the index timed out"),
    "drip-headers": (Fault(drip=DRIP, drip_headers=True), "the index timed out"),
    "500": (Fault(status=500), "the index answered HTTP 500"),
    "429-within-cap": (Fault(status=429, retry_after="1"), "the index answered HTTP 429"),
    "429-over-cap": (Fault(status=429, retry_after="3600"), "RetryAfterTooLong"),
    "429-date-over-cap": (Fault(status=429, retry_after=http_date(7200)), "RetryAfterTooLong"),
    "truncated": (Fault(truncate=True), "the index sent invalid JSON"),
    "short-body": (Fault(short=True), "request to the index failed"),
    "huge-declared": (Fault(huge=BIG), "ResponseTooLarge"),
    "huge-undeclared": (Fault(huge=BIG, huge_undeclared=True), "ResponseTooLarge"),
    "shape-list": (Fault(body=[]), "unexpected JSON document"),
    "shape-info": (Fault(body={"info": "requests"}), "without project info"),
    "deep-json": (Fault(body=DEEP_JSON), "the index sent invalid JSON"),
}


@pytest.mark.parametrize("case", list(INDEX_JSON_FAULTS))
def test_index_json_api_faults(index: LoopbackServer, folder: Path, case: str) -> None:
    fault, reason = INDEX_JSON_FAULTS[case]
    index.faults["/pypi/"] = fault
    assert_not_checked(folder, INDEX_RULES, "index", reason, allow_too=case not in SLOW)


INDEX_SIMPLE_FAULTS: dict[str, tuple[Fault, str]] = {
    "hang": (Fault(hang=True), "project status unknown (the index timed out)"),
    "drip": (Fault(drip=DRIP), "project status unknown (the index timed out)"),
    "500": (Fault(status=500), "project status unknown (the simple API answered HTTP 500)"),
    "429-over-cap": (Fault(status=429, retry_after="3600"), "RetryAfterTooLong"),
    "huge": (Fault(huge=BIG), "ResponseTooLarge"),
    "truncated": (
        Fault(truncate=True, body={"name": "requests", "files": []}, content_type=SIMPLE_JSON),
        "the simple API sent invalid JSON",
    ),
    "shape-list": (
        Fault(body=[], content_type=SIMPLE_JSON),
        "the simple API sent an unexpected JSON document",
    ),
}


@pytest.mark.parametrize("case", list(INDEX_SIMPLE_FAULTS))
def test_index_simple_page_faults(index: LoopbackServer, folder: Path, case: str) -> None:
    fault, reason = INDEX_SIMPLE_FAULTS[case]
    index.faults["/simple/"] = fault
    assert_not_checked(folder, INDEX_RULES, "index", reason, allow_too=case not in SLOW)


def test_index_refused(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDITOR_INDEX_URL", f"{dead_url()}/simple")
    assert_not_checked(folder, INDEX_RULES, "index", "could not connect to the index")


def test_index_healthy_baseline(index: LoopbackServer, folder: Path) -> None:
    outcome = scan(folder, *INDEX_RULES)
    assert outcome.data["incomplete"] == []
    assert outcome.code in (0, 1)


def test_run_timeout_bounds_the_whole_run(
    osv: LoopbackServer, index: LoopbackServer, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUDITOR_REQUEST_DEADLINE", "600")  # only --timeout can end this run
    osv.faults["/v1/"] = Fault(hang=True)
    index.faults["/pypi/"] = Fault(hang=True)
    outcome = scan(folder, *OSV_RULES, *INDEX_RULES, "--timeout", "2")
    assert outcome.seconds < 2 + 10, outcome.seconds
    assert outcome.code == 3
    assert "RunDeadlineExceeded" in outcome.gap("osv")["reason"]
    assert "the index timed out" in outcome.gap("index")["reason"]


def test_run_timeout_from_the_environment(
    osv: LoopbackServer, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUDITOR_REQUEST_DEADLINE", "600")
    monkeypatch.setenv("AUDITOR_RUN_TIMEOUT", "1.5")
    osv.faults["/v1/querybatch"] = Fault(drip=DRIP, drip_headers=True)
    outcome = scan(folder, *OSV_RULES, "--allow-incomplete")
    assert outcome.seconds < 1.5 + 10, outcome.seconds
    assert outcome.code == 0
    assert "RunDeadlineExceeded" in outcome.gap("osv")["reason"]


def test_timeout_option_is_validated(folder: Path) -> None:
    for value in ("0", "-1", "soon"):
        done = run_cli("scan", str(folder), "--timeout", value)
        assert done.code == 2
        assert "--timeout" in done.err
