"""The one HTTP session factory: timeouts, retries with backoff, user agent, offline guard."""

from __future__ import annotations

from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from auditor import __version__
from auditor.errors import OfflineError

USER_AGENT = f"auditor/{__version__} (+dependency audit)"
RETRY_STATUSES = (429, 500, 502, 503, 504)


class AuditorSession(requests.Session):
    """A requests session with a default timeout that refuses to connect when offline."""

    def __init__(self, *, timeout: float, offline: bool) -> None:
        super().__init__()
        self.timeout = timeout
        self.offline = offline

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        """Send a request, refusing in offline mode and applying the default timeout."""
        if self.offline:
            raise OfflineError(url.decode() if isinstance(url, bytes) else url)
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)


def make_session(
    *, timeout: float = 15.0, retries: int = 3, offline: bool = False, backoff: float = 0.5
) -> AuditorSession:
    """Build the session every network client uses.

    Retries cover connection errors and 429/5xx answers, honouring ``Retry-After``; POST is
    retried too because the OSV query endpoints are read-only.
    """
    session = AuditorSession(timeout=timeout, offline=offline)
    retry = Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        backoff_factor=backoff,
        backoff_max=10,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET", "POST", "HEAD"}),
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    adapter = HTTPAdapter(max_retries=retry, pool_maxsize=32)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session


__all__ = ["USER_AGENT", "AuditorSession", "make_session"]
