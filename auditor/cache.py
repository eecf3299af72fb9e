"""The one on-disk cache: SQLite in the user cache dir, values with TTLs, safe across processes.

A cache is only ever an optimisation, so it never fails a run. At open, a damaged file (not
SQLite, truncated, the wrong schema, or marked damaged by an earlier run) is moved aside to
``cache.sqlite3.corrupt`` and rebuilt empty, and temporary files that a killed run left in the
cache folder are removed. During a run, an SQLite error skips that use of the cache (a miss, or
a value not stored); corruption found mid-run switches the cache off for the run and marks the
file for rebuilding at the next open. Each case logs one warning.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import orjson

log = logging.getLogger(__name__)

T = TypeVar("T")

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
# (column, position in the primary key) as PRAGMA table_info reports them for _SCHEMA.
_COLUMNS = (("namespace", 1), ("key", 2), ("value", 0), ("stored", 0), ("expires", 0))
_MAGIC = b"SQLite format 3\x00"
CACHE_FILE = "cache.sqlite3"
# Temporary files of the atomic writers and of `auditor db update`; older ones are leftovers.
TEMP_PATTERNS = (".*.tmp", ".*.tmp-journal", ".*.tmp-wal", ".*.tmp-shm", ".osv-bulk.*.zip")
STALE_TEMP_SECONDS = 3600.0


def default_cache_dir() -> Path:
    """Return the per-user cache folder (``platformdirs.user_cache_dir('auditor')``)."""
    import platformdirs  # only when no cache folder is configured

    return Path(platformdirs.user_cache_dir("auditor", appauthor=False))


def remove_stale_temp_files(directory: Path, *, older_than: float = STALE_TEMP_SECONDS) -> int:
    """Delete temporary files untouched for `older_than` seconds (a killed run's); return count.

    Younger ones may belong to a run in progress and are left alone.
    """
    limit = time.time() - older_than
    removed = 0
    for pattern in TEMP_PATTERNS:
        for path in directory.glob(pattern):
            try:
                if path.is_file() and path.stat().st_mtime < limit:
                    path.unlink()
                    removed += 1
            except OSError:
                continue
    return removed


def sqlite_header_problem(path: Path) -> str | None:
    """Return why the file is not a whole SQLite database (cheap: header and size only)."""
    try:
        size = path.stat().st_size
        if size == 0:
            return None  # SQLite creates the file empty; its first write fills it
        with path.open("rb") as handle:
            header = handle.read(100)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"unreadable ({exc.strerror})"
    if len(header) < 100 or not header.startswith(_MAGIC):
        return "not an SQLite database"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        return "not an SQLite database"
    if size % page_size:
        return "truncated"
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        return None  # pages may still live in the log; SQLite itself checks the rest
    pages = int.from_bytes(header[28:32], "big")
    if header[92:96] == header[24:28] and pages * page_size > size:
        return "truncated"
    return None


PRUNE_EVERY_SECONDS = 86400.0


class _WrongSchemaError(Exception):
    pass


class Cache:
    """A JSON key-value store with expiry, one SQLite file, usable from many threads.

    SQLite's WAL mode and busy timeout make concurrent runs safe; every write is one
    transaction, so an interrupted run never leaves a half-written entry.
    """

    def __init__(self, directory: Path | None = None, *, clock: Any = time.time) -> None:
        self.directory = directory or default_cache_dir()
        self.path = self.directory / CACHE_FILE
        self._clock = clock
        self._local = threading.local()
        self._broken = False
        self._warned: set[str] = set()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            remove_stale_temp_files(self.directory)
        except OSError as exc:
            self._give_up(f"cache folder {self.directory} unusable ({exc.strerror})")
            return
        self._open()

    # -- opening, checking, rebuilding ---------------------------------------------------------

    @property
    def _marker(self) -> Path:
        return self.path.with_name(self.path.name + ".rebuild")

    def _open(self) -> None:
        problem = "marked damaged by an earlier run" if self._marker.exists() else None
        problem = problem or sqlite_header_problem(self.path)
        if problem is None:
            try:
                self._prepare()
            except _WrongSchemaError:
                problem = "a different schema"
            except sqlite3.DatabaseError as exc:
                problem = f"unreadable ({exc})"
            else:
                self._prune_daily()
                return
        self._warn_once("rebuild", f"cache {self.path} is damaged ({problem}); rebuilding it")
        self.close()
        try:
            self._set_aside()
            self._prepare()
        except (OSError, sqlite3.Error, _WrongSchemaError) as exc:
            self._give_up(f"cache {self.path} cannot be rebuilt ({exc})")

    def _prepare(self) -> None:
        """Create the table if needed and check it is the one this code writes."""
        conn = self._connect()
        conn.executescript(_SCHEMA)
        columns = tuple((row[1], row[5]) for row in conn.execute("PRAGMA table_info(entries)"))
        if columns != _COLUMNS:
            raise _WrongSchemaError
        conn.execute(
            "SELECT namespace, key, value, stored, expires FROM entries LIMIT 1"
        ).fetchall()

    def _prune_daily(self) -> None:
        """Delete the expired entries, at most once a day (a stamp file's mtime says when).

        Entries keyed by something that changes (an environment fingerprint, a store version)
        are never read again once it has: without this they would stay in the file forever.
        """
        stamp = self.path.with_name(self.path.name + ".pruned")
        try:
            if time.time() - stamp.stat().st_mtime < PRUNE_EVERY_SECONDS:
                return
        except FileNotFoundError:
            pass
        except OSError:
            return
        now = self._clock()

        def work(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM entries WHERE expires IS NOT NULL AND expires < ?", (now,))

        self._guard("prune", None, work)
        with contextlib.suppress(OSError):
            stamp.touch()

    def _set_aside(self) -> None:
        """Move the damaged file to ``.corrupt`` (replacing an older one) and drop its logs."""
        if self.path.exists():
            self.path.replace(self.path.with_name(self.path.name + ".corrupt"))
        for suffix in ("-wal", "-shm", "-journal"):
            self.path.with_name(self.path.name + suffix).unlink(missing_ok=True)
        self._marker.unlink(missing_ok=True)

    def _give_up(self, message: str) -> None:
        self._broken = True
        self._warn_once("off", f"{message}; running without the cache")

    def _warn_once(self, kind: str, message: str) -> None:
        if kind not in self._warned:
            self._warned.add(kind)
            log.warning("%s", message)

    def _connect(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
            except sqlite3.Error:
                conn.close()
                raise
            self._local.conn = conn
        return conn

    def _guard(self, action: str, default: T, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work` on this thread's connection; an SQLite error yields `default`."""
        if self._broken:
            return default
        try:
            return work(self._connect())
        except sqlite3.OperationalError as exc:  # busy, read-only, disk full, I/O: skip this use
            self._warn_once("skip", f"cache {self.path}: {action} skipped ({exc})")
            return default
        except sqlite3.DatabaseError as exc:  # corrupt: off for this run, rebuilt at next open
            self._broken = True
            with contextlib.suppress(OSError):
                self._marker.touch()
            self._warn_once("off", f"cache {self.path} is damaged ({exc}); running without it")
            return default

    # -- the store ----------------------------------------------------------------------------

    def get(self, namespace: str, key: str, *, max_age: float | None = None) -> Any | None:
        """Return the stored value, or None when absent, expired or older than `max_age` s."""

        def work(conn: sqlite3.Connection) -> Any:
            return conn.execute(
                "SELECT value, stored, expires FROM entries WHERE namespace=? AND key=?",
                (namespace, key),
            ).fetchone()

        row = self._guard("read", None, work)
        if row is None:
            return None
        value, stored, expires = row
        now = self._clock()
        if expires is not None and now > expires:
            return None
        if max_age is not None and now - stored > max_age:
            return None
        loaded = _loads(value)
        return None if loaded is _DAMAGED else loaded

    def set(self, namespace: str, key: str, value: Any, *, ttl: float | None = None) -> None:
        """Store `value` (JSON-serialisable) for `ttl` seconds (None = until replaced)."""
        now = self._clock()
        row = (namespace, key, _dumps(value), now, None if ttl is None else now + ttl)

        def work(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT OR REPLACE INTO entries (namespace, key, value, stored, expires) "
                "VALUES (?, ?, ?, ?, ?)",
                row,
            )

        self._guard("write", None, work)

    def get_many(self, namespace: str, keys: list[str]) -> dict[str, Any]:
        """Return the live values of several keys at once (missing keys are left out)."""
        now = self._clock()

        def work(conn: sqlite3.Connection) -> dict[str, Any]:
            found: dict[str, Any] = {}
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = conn.execute(
                    "SELECT key, value, expires FROM entries "  # noqa: S608 - placeholders only
                    f"WHERE namespace=? AND key IN ({marks})",
                    (namespace, *chunk),
                )
                for key, value, expires in rows:
                    loaded = _loads(value)
                    if (expires is None or now <= expires) and loaded is not _DAMAGED:
                        found[key] = loaded
            return found

        return self._guard("read", {}, work)

    def set_many(self, namespace: str, items: dict[str, Any], *, ttl: float | None = None) -> None:
        """Store several values in one transaction."""
        now = self._clock()
        expires = None if ttl is None else now + ttl
        rows = [(namespace, k, _dumps(v), now, expires) for k, v in items.items()]

        def work(conn: sqlite3.Connection) -> None:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany(
                    "INSERT OR REPLACE INTO entries (namespace, key, value, stored, expires) "
                    "VALUES (?, ?, ?, ?, ?)",
                    rows,
                )
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

        self._guard("write", None, work)

    def delete_namespace(self, namespace: str) -> None:
        """Drop every entry of one namespace."""

        def work(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM entries WHERE namespace=?", (namespace,))

        self._guard("delete", None, work)

    def close(self) -> None:
        """Close this thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


_DAMAGED = object()


def _loads(value: Any) -> Any:
    """Decode a stored value; a damaged one is `_DAMAGED` (read as a miss).

    orjson reads the import scan's per-folder entries (megabytes on a large tree) in half the
    standard library's time; what it refuses (NaN, integers beyond 64 bits) is a miss.
    """
    try:
        return orjson.loads(value)
    except (TypeError, ValueError):
        return _DAMAGED


def _dumps(value: Any) -> str:
    """Encode a value to store: compact JSON (orjson; the standard library for what it refuses)."""
    try:
        return orjson.dumps(value).decode()
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(value, separators=(",", ":"))


__all__ = [
    "CACHE_FILE",
    "Cache",
    "default_cache_dir",
    "remove_stale_temp_files",
    "sqlite_header_problem",
]
