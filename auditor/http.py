"""The one HTTP session factory: deadlines, size caps, retries with backoff, user agent, offline.

Every request made through the session is bounded:

- a total deadline (``request-deadline``): connection, every read and every retry's wait end by
  then, however slowly the server drips its answer (`auditor.deadline` cuts the socket);
- the run's deadline (``--timeout``): once it passed, requests fail at once without connecting;
- ``Retry-After`` is honoured up to ``retry-after-max`` seconds; a longer wait fails at once;
- the body is read into memory up to ``max-response-bytes``.

Failures are `requests.RequestException` subclasses (`RequestDeadlineExceeded` is also a
`requests.Timeout`), which the OSV and index clients already report as "not checked".
"""

from __future__ import annotations

import email.utils
import math
import re
import time
from typing import TYPE_CHECKING, Any

import requests
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from auditor import __version__
from auditor.deadline import ACTIVE, Budget, DeadlineAdapter, Watchdog
from auditor.errors import OfflineError

if TYPE_CHECKING:
    from auditor.config import Config

USER_AGENT = f"auditor/{__version__} (+dependency audit)"
RETRY_STATUSES = (429, 500, 502, 503, 504)
MiB = 1 << 20
DEFAULT_REQUEST_DEADLINE = 60.0
DEFAULT_RETRY_AFTER_MAX = 30.0
DEFAULT_MAX_RESPONSE_BYTES = 32 * MiB
_CHUNK = 64 * 1024


class NetworkLimitError(requests.RequestException):
    """A request stopped by one of Auditor's limits (deadline, Retry-After cap, size cap)."""


class RequestDeadlineExceeded(NetworkLimitError, requests.Timeout):  # noqa: N818 - the condition
    """The request did not complete within its total deadline."""


class RunDeadlineExceeded(RequestDeadlineExceeded):
    """The run's deadline (``--timeout``) has passed; no more requests are made."""


class RetryAfterTooLong(NetworkLimitError):  # noqa: N818 - reads as the condition
    """The server asked to wait longer than ``retry-after-max`` before retrying."""


class ResponseTooLarge(NetworkLimitError):  # noqa: N818 - reads as the condition
    """The answer is larger than ``max-response-bytes``."""


def _deadline_error(budget: Budget) -> RequestDeadlineExceeded:
    if budget.by_run:
        return RunDeadlineExceeded("the run's time limit (--timeout) passed")
    return RequestDeadlineExceeded("no complete answer within the request deadline")


def parse_retry_after(value: str, now: float | None = None) -> float | None:
    """Return the seconds a ``Retry-After`` value asks for (None when it cannot be read)."""
    text = value.strip()
    if re.fullmatch(r"[0-9]+", text):
        return float(text)
    parsed = email.utils.parsedate_tz(text)
    if parsed is None:
        return None
    when = email.utils.mktime_tz(parsed)
    return max(0.0, when - (time.time() if now is None else now))


class CappedRetry(Retry):
    """urllib3 retries that fail at once rather than wait past the cap or the deadline.

    ``retry_after_max`` is the longest ``Retry-After`` honoured: a longer one raises
    `RetryAfterTooLong` instead of sleeping. A wait that would end after the running request's
    deadline raises `RequestDeadlineExceeded`. An unreadable ``Retry-After`` falls back to the
    exponential backoff.
    """

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        """Wait before the next attempt, within the cap and the deadline."""
        wait: float | None = None
        if response is not None and self.respect_retry_after_header:
            header = response.headers.get("Retry-After")
            if header is not None:
                wait = parse_retry_after(header)
                if wait is not None and wait > self.retry_after_max:
                    raise RetryAfterTooLong(
                        f"the server asked to retry after {wait:.0f} s, more than the "
                        f"{self.retry_after_max:g} s allowed (retry-after-max)"
                    )
        if wait is None:
            wait = self.get_backoff_time()
        budget = ACTIVE.get()
        if budget is not None and (budget.expired() or budget.remaining() < wait):
            raise _deadline_error(budget)
        if wait > 0:
            time.sleep(wait)


class AuditorSession(requests.Session):
    """A requests session whose every request is bounded in time and size; refuses offline.

    Args:
        timeout: seconds one socket operation may block (connect, one read).
        offline: refuse every request.
        request_deadline: total seconds one request may take, retries included.
        max_response_bytes: the largest body read into memory.
        run_deadline: a `time.monotonic` instant after which every request fails at once.
    """

    def __init__(
        self,
        *,
        timeout: float,
        offline: bool,
        request_deadline: float = DEFAULT_REQUEST_DEADLINE,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        run_deadline: float | None = None,
    ) -> None:
        super().__init__()
        self.timeout = timeout
        self.offline = offline
        self.request_deadline = request_deadline
        self.max_response_bytes = max_response_bytes
        self.run_deadline = run_deadline
        self.watchdog = Watchdog()
        self.hooks["response"].append(self._read_body)

    def _budget(self, *, streamed: bool) -> Budget:
        now = time.monotonic()
        deadline = now + self.request_deadline
        by_run = self.run_deadline is not None and self.run_deadline <= deadline
        if by_run and self.run_deadline is not None:
            deadline = self.run_deadline
        budget = Budget(
            deadline=deadline,
            by_run=by_run,
            max_bytes=None if streamed else self.max_response_bytes,
        )
        if deadline <= now:
            raise _deadline_error(budget)
        return budget

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        """Send a request within the deadline, reading at most ``max_response_bytes``.

        With ``stream=True`` the caller reads the body itself: the deadline then covers the
        request up to the headers, and socket timeouts the reads after.
        """
        if self.offline:
            raise OfflineError(url.decode() if isinstance(url, bytes) else url)
        streamed = bool(kwargs.get("stream"))
        budget = self._budget(streamed=streamed)
        socket_timeout = min(float(kwargs.pop("timeout", None) or self.timeout), budget.remaining())
        kwargs["timeout"] = max(socket_timeout, 0.001)
        kwargs["stream"] = True  # the response hook reads the body within the budget
        token = ACTIVE.set(budget)
        self.watchdog.arm(budget)
        try:
            return super().request(method, url, *args, **kwargs)
        except requests.RequestException as exc:
            inner = exc.args[0] if exc.args else None
            if isinstance(inner, NetworkLimitError):  # raised inside urllib3, wrapped by requests
                raise inner from exc
            if isinstance(exc, NetworkLimitError):
                raise
            if budget.expired():
                raise _deadline_error(budget) from exc
            raise
        finally:
            self.watchdog.disarm(budget)
            ACTIVE.reset(token)

    def _read_body(self, response: requests.Response, **_kwargs: Any) -> requests.Response:
        """Response hook: read the body within the budget, or fail (redirect hops too)."""
        budget = ACTIVE.get()
        if budget is None or budget.max_bytes is None:
            return response
        try:
            body = _read_limited(response, budget, budget.max_bytes)
        except BaseException:
            response.close()
            raise
        response._content = body
        response._content_consumed = True  # type: ignore[attr-defined]  # requests' own flag
        return response

    def close(self) -> None:
        """Close the connections and stop the watchdog."""
        self.watchdog.close()
        super().close()


def _read_limited(response: requests.Response, budget: Budget, limit: int) -> bytes:
    """Read the whole body, failing above `limit` bytes or once the budget's deadline passed."""
    too_large = ResponseTooLarge(f"the answer is larger than {limit} bytes (max-response-bytes)")
    try:
        declared = int(response.headers.get("Content-Length") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    if budget.expired():  # a cut socket can look like a short body: never use it
        raise _deadline_error(budget)
    return b"".join(chunks)


def make_session(
    *,
    timeout: float = 15.0,
    retries: int = 3,
    offline: bool = False,
    backoff: float = 0.5,
    request_deadline: float = DEFAULT_REQUEST_DEADLINE,
    retry_after_max: float = DEFAULT_RETRY_AFTER_MAX,
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    run_deadline: float | None = None,
) -> AuditorSession:
    """Build the session every network client uses.

    Retries cover connection errors and 429/5xx answers, honouring ``Retry-After`` up to
    `retry_after_max`; POST is retried too because the OSV query endpoints are read-only.
    """
    session = AuditorSession(
        timeout=timeout,
        offline=offline,
        request_deadline=request_deadline,
        max_response_bytes=max_response_bytes,
        run_deadline=run_deadline,
    )
    retry = CappedRetry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        backoff_factor=backoff,
        backoff_max=10,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET", "POST", "HEAD"}),
        respect_retry_after_header=True,
        retry_after_max=math.ceil(retry_after_max),
        raise_on_status=False,
    )
    adapter = DeadlineAdapter(max_retries=retry, pool_maxsize=32)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session


def make_session_for(config: Config) -> AuditorSession:
    """Build the session with the limits, retries and offline mode of `config`."""
    return make_session(
        timeout=config.timeout,
        retries=config.retries,
        offline=config.offline,
        request_deadline=config.request_deadline,
        retry_after_max=config.retry_after_max,
        max_response_bytes=config.max_response_bytes,
        run_deadline=config.run_deadline,
    )


__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_REQUEST_DEADLINE",
    "DEFAULT_RETRY_AFTER_MAX",
    "USER_AGENT",
    "AuditorSession",
    "CappedRetry",
    "NetworkLimitError",
    "RequestDeadlineExceeded",
    "ResponseTooLarge",
    "RetryAfterTooLong",
    "RunDeadlineExceeded",
    "make_session",
    "make_session_for",
    "parse_retry_after",
]
