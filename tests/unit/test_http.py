"""The session's limits: total deadline, run deadline, Retry-After cap, response size cap."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from fakes import Fault, LoopbackServer

from auditor.deadline import Budget, Watchdog
from auditor.errors import OfflineError
from auditor.http import (
    AuditorSession,
    NetworkLimitError,
    RequestDeadlineExceeded,
    ResponseTooLarge,
    RetryAfterTooLong,
    RunDeadlineExceeded,
    make_session,
    parse_retry_after,
)

MARGIN = 5.0  # generous: the machine may be loaded; what matters is minutes versus seconds


def _answer(method: str, path: str, body: Any) -> tuple[int, Any, dict[str, str]]:
    return 200, {"path": path, "pad": "x" * 3000}, {}


@pytest.fixture(params=["HTTP/1.0", "HTTP/1.1"])
def server(request: pytest.FixtureRequest) -> Iterator[LoopbackServer]:
    """The same server closing after each answer (1.0) or keeping connections alive (1.1)."""
    srv = LoopbackServer(_answer, protocol=request.param).start()
    yield srv
    srv.stop()


def _session(**kwargs: Any) -> AuditorSession:
    kwargs.setdefault("timeout", 30)  # socket timeout far above the deadlines tested
    kwargs.setdefault("retries", 1)
    kwargs.setdefault("backoff", 0)
    return make_session(**kwargs)


def _timed(call: Any) -> tuple[float, BaseException | None]:
    start = time.monotonic()
    try:
        call()
    except Exception as exc:  # noqa: BLE001 - the test inspects it
        return time.monotonic() - start, exc
    return time.monotonic() - start, None


@pytest.mark.parametrize(
    "fault",
    [Fault(hang=True), Fault(drip=0.05), Fault(drip=0.05, drip_headers=True)],
    ids=["hang", "drip-body", "drip-headers"],
)
def test_total_deadline_ends_hangs_and_drips(server: LoopbackServer, fault: Fault) -> None:
    server.faults["/slow"] = fault
    session = _session(request_deadline=1.0)
    seconds, error = _timed(lambda: session.get(f"{server.url}/slow"))
    assert isinstance(error, RequestDeadlineExceeded)
    assert isinstance(error, requests.Timeout)
    assert seconds < 1.0 + MARGIN
    # The cut connection is not reused: the next request on the session works.
    assert session.get(f"{server.url}/fine").json()["path"] == "/fine"
    session.close()


def test_a_drip_within_the_deadline_completes(server: LoopbackServer) -> None:
    server.faults["/slow"] = Fault(drip=0.001, body={"ok": True})
    with _session(request_deadline=30) as session:
        assert session.get(f"{server.url}/slow").json() == {"ok": True}


def test_run_deadline_fails_at_once_without_connecting(server: LoopbackServer) -> None:
    session = _session(run_deadline=time.monotonic() - 1)
    with pytest.raises(RunDeadlineExceeded, match="--timeout"):
        session.get(f"{server.url}/never")
    assert server.requests == []


def test_run_deadline_cuts_a_request_in_flight(server: LoopbackServer) -> None:
    server.faults["/slow"] = Fault(hang=True)
    session = _session(request_deadline=600, run_deadline=time.monotonic() + 1.0)
    seconds, error = _timed(lambda: session.get(f"{server.url}/slow"))
    assert isinstance(error, RunDeadlineExceeded)
    assert seconds < 1.0 + MARGIN


@pytest.mark.parametrize(
    "retry_after",
    ["3600", email.utils.formatdate(time.time() + 3600, usegmt=True)],
    ids=["seconds", "http-date"],
)
def test_retry_after_over_the_cap_fails_at_once(server: LoopbackServer, retry_after: str) -> None:
    server.faults["/busy"] = Fault(status=429, retry_after=retry_after)
    session = _session(retry_after_max=5)
    seconds, error = _timed(lambda: session.get(f"{server.url}/busy"))
    assert isinstance(error, RetryAfterTooLong)  # not wrapped in a ConnectionError
    assert "more than the 5 s allowed (retry-after-max)" in str(error)
    assert seconds < MARGIN
    assert len(server.requests) == 1


def test_retry_after_within_the_cap_is_honoured(server: LoopbackServer) -> None:
    server.faults["/busy"] = Fault(status=503, retry_after="1", times=1)
    with _session(retry_after_max=5) as session:
        start = time.monotonic()
        response = session.get(f"{server.url}/busy")
        assert time.monotonic() - start >= 1
    assert response.status_code == 200
    assert len(server.requests) == 2


def test_a_wait_past_the_deadline_fails_at_once(server: LoopbackServer) -> None:
    server.faults["/busy"] = Fault(status=429, retry_after="4")
    session = _session(retry_after_max=10, request_deadline=2)
    seconds, error = _timed(lambda: session.get(f"{server.url}/busy"))
    assert isinstance(error, RequestDeadlineExceeded)
    assert seconds < 2


def test_unreadable_retry_after_falls_back_to_backoff(server: LoopbackServer) -> None:
    server.faults["/busy"] = Fault(status=429, retry_after="when pigs fly")
    response = _session().get(f"{server.url}/busy")
    assert response.status_code == 429  # retried once, then the answer is returned as is
    assert len(server.requests) == 2


@pytest.mark.parametrize("declared", [True, False], ids=["declared", "undeclared"])
def test_body_over_the_cap_fails(server: LoopbackServer, declared: bool) -> None:
    server.faults["/big"] = Fault(huge=5_000_000, huge_undeclared=not declared)
    session = _session(max_response_bytes=1_000_000)
    seconds, error = _timed(lambda: session.get(f"{server.url}/big"))
    assert isinstance(error, ResponseTooLarge)
    assert isinstance(error, NetworkLimitError)
    assert isinstance(error, requests.RequestException)
    assert "larger than 1000000 bytes (max-response-bytes)" in str(error)
    assert seconds < MARGIN
    assert session.get(f"{server.url}/fine").status_code == 200


def test_body_at_the_cap_is_read(server: LoopbackServer) -> None:
    server.faults["/exact"] = Fault(huge=1_000_000)
    response = _session(max_response_bytes=1_000_000).get(f"{server.url}/exact")
    assert len(response.content) == 1_000_000


def test_streamed_requests_leave_the_body_to_the_caller(server: LoopbackServer) -> None:
    server.faults["/big"] = Fault(huge=3_000_000)
    session = _session(max_response_bytes=1_000_000)
    with session.get(f"{server.url}/big", stream=True) as response:
        total = sum(len(chunk) for chunk in response.iter_content(1 << 16))
    assert total == 3_000_000


def test_offline_session_refuses() -> None:
    with pytest.raises(OfflineError):
        _session(offline=True).get("http://127.0.0.1:9/")


def test_a_refused_connection_stays_a_connection_error() -> None:
    with pytest.raises(requests.ConnectionError) as info:
        _session(retries=0).get("http://127.0.0.1:9/")
    assert not isinstance(info.value, NetworkLimitError)


def test_parse_retry_after() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after(" 120 ") == 120
    assert parse_retry_after(email.utils.formatdate(now + 90, usegmt=True), now) == pytest.approx(
        90
    )
    assert parse_retry_after(email.utils.formatdate(now - 90, usegmt=True), now) == 0
    assert parse_retry_after("-5") is None
    assert parse_retry_after("soon") is None


def test_watchdog_cuts_only_what_is_still_armed() -> None:
    watchdog = Watchdog()
    late = Budget(deadline=time.monotonic() + 0.2)
    done = Budget(deadline=time.monotonic() + 0.1)
    watchdog.arm(late)
    watchdog.arm(done)
    watchdog.disarm(done)
    deadline = time.monotonic() + 10
    while not late.fired and time.monotonic() < deadline:
        time.sleep(0.02)
    assert late.fired
    assert not done.fired
    thread = watchdog._thread
    assert thread is not None
    watchdog.close()
    assert not thread.is_alive()


def test_an_idle_watchdog_thread_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("auditor.deadline.IDLE_SECONDS", 0.05)
    watchdog = Watchdog()
    budget = Budget(deadline=time.monotonic() + 60)
    watchdog.arm(budget)
    thread = watchdog._thread
    assert thread is not None
    watchdog.disarm(budget)
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert watchdog._thread is None
    again = Budget(deadline=time.monotonic() + 0.05)
    watchdog.arm(again)  # a new thread serves the next request
    deadline = time.monotonic() + 10
    while not again.fired and time.monotonic() < deadline:
        time.sleep(0.02)
    assert again.fired
    watchdog.close()


def test_session_close_stops_its_watchdog(server: LoopbackServer) -> None:
    session = _session()
    session.get(f"{server.url}/fine")
    thread = session.watchdog._thread
    assert thread is not None
    assert thread.is_alive()
    session.close()
    assert not thread.is_alive()
