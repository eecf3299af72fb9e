"""Wall-clock deadlines for HTTP requests: a watchdog that cuts a request's sockets when it ends.

A socket timeout bounds one read, not a request: a server that drips a byte a second never trips
it. Each request of an `auditor.http.AuditorSession` runs under a `Budget` (its deadline and the
connections it uses); the connection classes below attach themselves to the running budget, and
one `Watchdog` thread per session shuts those sockets down when the deadline passes, so whatever
read is blocked fails at once and the session turns the failure into a deadline error.
"""

from __future__ import annotations

import contextlib
import contextvars
import heapq
import itertools
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import PoolManager

_OWNER = "_auditor_budget"
_SOCKET = "_auditor_socket"
IDLE_SECONDS = 5.0


@dataclass(eq=False)
class Budget:
    """One request's limits: its deadline (a `time.monotonic` instant) and body size cap.

    Args:
        deadline: the instant the request must have ended by.
        by_run: whether the run's deadline (not the request's own) is the binding one.
        max_bytes: the largest body read into memory; None when the caller streams the body.
    """

    deadline: float
    by_run: bool = False
    max_bytes: int | None = None
    fired: bool = False
    done: bool = False
    _connections: list[Any] = field(default_factory=list)

    def remaining(self) -> float:
        """Seconds left before the deadline (negative once it passed)."""
        return self.deadline - time.monotonic()

    def expired(self) -> bool:
        """Whether the deadline passed (or the watchdog already cut the request)."""
        return self.fired or self.remaining() <= 0

    def attach(self, connection: Any) -> None:
        """Claim `connection` for this request so the watchdog can cut it."""
        setattr(connection, _OWNER, self)
        self._connections.append(connection)

    def cut(self) -> None:
        """Shut down the sockets this request still owns (called by the watchdog)."""
        self.fired = True
        for connection in list(self._connections):
            if getattr(connection, _OWNER, None) is not self:
                continue  # back in the pool and claimed by another request
            # An HTTP/1.0 or "Connection: close" answer takes the socket off its connection
            # (``sock`` is None) while the body is read: the socket saved at connect remains.
            sock = getattr(connection, "sock", None) or getattr(connection, _SOCKET, None)
            if sock is None:
                continue
            # The plain socket's shutdown, also for TLS: it unblocks a read in progress.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


ACTIVE: contextvars.ContextVar[Budget | None] = contextvars.ContextVar(
    "auditor_http_budget", default=None
)


class Watchdog:
    """A daemon thread cutting requests whose deadline passed; disarmed ones are skipped.

    The thread starts with the first request and ends after `IDLE_SECONDS` without one.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Budget]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None
        self._closed = False

    def arm(self, budget: Budget) -> None:
        """Watch `budget` until `disarm`."""
        with self._cond:
            heapq.heappush(self._heap, (budget.deadline, next(self._order), budget))
            if self._thread is None:
                self._closed = False
                self._thread = threading.Thread(
                    target=self._run, name="auditor-http-deadline", daemon=True
                )
                self._thread.start()
            self._cond.notify()

    def disarm(self, budget: Budget) -> None:
        """Stop watching `budget`; once this returns, the watchdog never cuts it."""
        with self._cond:
            budget.done = True

    def close(self) -> None:
        """Stop the thread (a later `arm` starts a new one)."""
        with self._cond:
            self._closed = True
            self._heap.clear()
            self._cond.notify()
            thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    def _run(self) -> None:
        with self._cond:
            while not self._closed:
                while self._heap and self._heap[0][2].done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    if not self._cond.wait(IDLE_SECONDS) and not self._heap:
                        self._thread = None  # idle: end; the next `arm` starts a new thread
                        return
                    continue
                delay = self._heap[0][0] - time.monotonic()
                if delay > 0:
                    self._cond.wait(delay)
                    continue
                _when, _order, budget = heapq.heappop(self._heap)
                budget.cut()


def _claim(connection: Any) -> None:
    budget = ACTIVE.get()
    if budget is not None:
        budget.attach(connection)


class _Tracked:
    """Mixin for urllib3 connections: register with the request's budget before any I/O."""

    sock: Any

    def connect(self) -> None:
        _claim(self)
        super().connect()  # type: ignore[misc]  # the HTTP(S)Connection beside it in the MRO
        setattr(self, _SOCKET, self.sock)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _claim(self)
        super().request(*args, **kwargs)  # type: ignore[misc]


class _TrackedHTTPConnection(_Tracked, HTTPConnection):
    pass


class _TrackedHTTPSConnection(_Tracked, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _TrackedHTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _TrackedHTTPSConnection


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


class DeadlineAdapter(HTTPAdapter):
    """An HTTPAdapter whose connections attach to the running request's `Budget`."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        """Create the pool manager with tracked connection pools."""
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOLS)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> PoolManager:
        """Return the proxy manager, with tracked pools unless it speaks SOCKS."""
        manager: PoolManager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = dict(_POOLS)
        return manager


__all__ = ["ACTIVE", "Budget", "DeadlineAdapter", "Watchdog"]
