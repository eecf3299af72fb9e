"""The one on-disk cache: SQLite in the user cache dir, values with TTLs, safe across processes."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import platformdirs

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    namespace TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    stored REAL NOT NULL,
    expires REAL,
    PRIMARY KEY (namespace, key)
);
"""


def default_cache_dir() -> Path:
    """Return the per-user cache folder (``platformdirs.user_cache_dir('auditor')``)."""
    return Path(platformdirs.user_cache_dir("auditor", appauthor=False))


class Cache:
    """A JSON key-value store with expiry, one SQLite file, usable from many threads.

    SQLite's WAL mode and busy timeout make concurrent runs safe; every write is one
    transaction, so an interrupted run never leaves a half-written entry.
    """

    def __init__(self, directory: Path | None = None, *, clock: Any = time.time) -> None:
        self.directory = directory or default_cache_dir()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / "cache.sqlite3"
        self._clock = clock
        self._local = threading.local()
        with self._connect() as conn:
            conn.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    def get(self, namespace: str, key: str, *, max_age: float | None = None) -> Any | None:
        """Return the stored value, or None when absent, expired or older than `max_age` s."""
        row = (
            self._connect()
            .execute(
                "SELECT value, stored, expires FROM entries WHERE namespace=? AND key=?",
                (namespace, key),
            )
            .fetchone()
        )
        if row is None:
            return None
        value, stored, expires = row
        now = self._clock()
        if expires is not None and now > expires:
            return None
        if max_age is not None and now - stored > max_age:
            return None
        return json.loads(value)

    def set(self, namespace: str, key: str, value: Any, *, ttl: float | None = None) -> None:
        """Store `value` (JSON-serialisable) for `ttl` seconds (None = until replaced)."""
        now = self._clock()
        self._connect().execute(
            "INSERT OR REPLACE INTO entries (namespace, key, value, stored, expires) "
            "VALUES (?, ?, ?, ?, ?)",
            (namespace, key, json.dumps(value, separators=(",", ":")), now,
             None if ttl is None else now + ttl),
        )  # fmt: skip

    def get_many(self, namespace: str, keys: list[str]) -> dict[str, Any]:
        """Return the live values of several keys at once (missing keys are left out)."""
        found: dict[str, Any] = {}
        now = self._clock()
        conn = self._connect()
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(
                f"SELECT key, value, expires FROM entries WHERE namespace=? AND key IN ({marks})",  # noqa: S608 - placeholders only
                (namespace, *chunk),
            )
            for key, value, expires in rows:
                if expires is None or now <= expires:
                    found[key] = json.loads(value)
        return found

    def set_many(self, namespace: str, items: dict[str, Any], *, ttl: float | None = None) -> None:
        """Store several values in one transaction."""
        now = self._clock()
        expires = None if ttl is None else now + ttl
        conn = self._connect()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(
                "INSERT OR REPLACE INTO entries (namespace, key, value, stored, expires) "
                "VALUES (?, ?, ?, ?, ?)",
                [(namespace, k, json.dumps(v, separators=(",", ":")), now, expires)
                 for k, v in items.items()],
            )  # fmt: skip
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def delete_namespace(self, namespace: str) -> None:
        """Drop every entry of one namespace."""
        self._connect().execute("DELETE FROM entries WHERE namespace=?", (namespace,))

    def close(self) -> None:
        """Close this thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


__all__ = ["Cache", "default_cache_dir"]
