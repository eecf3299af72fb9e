"""Writing the offline advisory store: a locked, atomically swapped copy (see `store`)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.advisories.matching import is_withdrawn
from auditor.advisories.store import SCHEMA, OsvStore, record_names
from auditor.advisories.store_check import SCHEMA_VERSION

log = logging.getLogger(__name__)


def _utc_now() -> str:
    return dt.datetime.now(tz=dt.UTC).replace(microsecond=0).isoformat()


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceImport:
    """The outcome of replacing one source: stored, withdrawn and skipped record counts."""

    name: str
    kind: str
    records: int
    withdrawn: int
    skipped: int


class StoreWriter:
    """Changes to a copy of the store, swapped in atomically by `commit`."""

    def __init__(self, conn: sqlite3.Connection, tmp: Path) -> None:
        self._conn = conn
        self.tmp = tmp

    def replace_source(
        self, name: str, kind: str, origin: str, records: Iterable[Mapping[str, Any]]
    ) -> SourceImport:
        """Drop the source `name` and store `records` under it.

        Records naming no PyPI package are skipped (counted); withdrawn ones are kept, so the
        status can count them, and dropped when read.
        """
        conn = self._conn
        conn.execute("DELETE FROM records WHERE source=?", (name,))
        conn.execute("DELETE FROM affected WHERE source=?", (name,))
        stored = withdrawn = skipped = 0
        newest: str | None = None
        seen: set[str] = set()
        for record in records:
            rid = record.get("id")
            names = record_names(record)
            if not isinstance(rid, str) or not rid or not names:
                skipped += 1
                continue
            modified = str(record.get("modified") or "")
            if rid in seen:
                row = conn.execute(
                    "SELECT modified FROM records WHERE source=? AND id=?", (name, rid)
                ).fetchone()
                if row is not None and row[0] >= modified:
                    continue
                conn.execute("DELETE FROM affected WHERE source=? AND id=?", (name, rid))
            else:
                stored += 1
                withdrawn += is_withdrawn(record)
            seen.add(rid)
            conn.execute(
                "INSERT OR REPLACE INTO records (source, id, modified, data) VALUES (?, ?, ?, ?)",
                (name, rid, modified, json.dumps(record, separators=(",", ":"))),
            )
            conn.executemany(
                "INSERT INTO affected (name, source, id) VALUES (?, ?, ?)",
                [(pkg, name, rid) for pkg in sorted(names)],
            )
            if modified and (newest is None or modified > newest):
                newest = modified
        conn.execute(
            "INSERT OR REPLACE INTO sources "
            "(name, kind, origin, imported_at, records, withdrawn, newest_modified) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (name, kind, origin, _utc_now(), stored, withdrawn, newest),
        )
        return SourceImport(
            name=name, kind=kind, records=stored, withdrawn=withdrawn, skipped=skipped
        )

    def remove_source(self, name: str) -> None:
        """Drop a source and its records."""
        self._conn.execute("DELETE FROM records WHERE source=?", (name,))
        self._conn.execute("DELETE FROM affected WHERE source=?", (name,))
        self._conn.execute("DELETE FROM sources WHERE name=?", (name,))


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock beside the store so concurrent writers take turns."""
    lock_path = path.with_name(path.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a+b") as handle:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: the rename is still atomic
            yield
            return
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _leftovers(path: Path) -> None:
    """Remove temporary copies of a killed writer (call under the lock: none is in use).

    Other temporary files in the folder (a download in progress) are removed only when stale.
    """
    from auditor.cache import remove_stale_temp_files

    for leftover in path.parent.glob(f".{path.name}.*.tmp*"):
        with contextlib.suppress(OSError):
            leftover.unlink()
    with contextlib.suppress(OSError):
        remove_stale_temp_files(path.parent)


def _writable_problem(path: Path) -> str | None:
    """Return why the existing store cannot be copied (damaged), or None (fine or absent)."""
    if not path.is_file():
        return None
    store = OsvStore(path)
    try:
        store.record_count()  # reads every table page it needs; a broken one shows here
        return store.problem
    finally:
        store.close()


@contextlib.contextmanager
def write_store(path: Path) -> Iterator[StoreWriter]:
    """Open a writable copy of the store; on a clean exit it replaces the store atomically.

    An exception inside the block discards the copy and leaves the store as it was. A damaged
    store is not copied: the new store starts empty and the old file is kept as ``.corrupt``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path):
        _leftovers(path)
        problem = _writable_problem(path)
        if problem is not None:
            log.warning(
                "offline advisory store %s is damaged (%s); rebuilding it from this import "
                "(the old file is kept as %s.corrupt)", path, problem, path.name,
            )  # fmt: skip
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            if problem is None and path.is_file():
                shutil.copyfile(path, tmp)
            conn = sqlite3.connect(tmp, isolation_level=None)
            try:
                conn.execute("PRAGMA journal_mode=DELETE")
                conn.executescript(SCHEMA)
                conn.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)",
                    (str(SCHEMA_VERSION),),
                )
                conn.execute("BEGIN")
                writer = StoreWriter(conn, tmp)
                yield writer
                conn.execute("COMMIT")
            finally:
                conn.close()
            with tmp.open("rb") as handle:
                os.fsync(handle.fileno())
            tmp.chmod(0o644)
            if problem is not None:
                path.replace(path.with_name(path.name + ".corrupt"))
            tmp.replace(path)
        finally:
            tmp.unlink(missing_ok=True)


__all__ = ["SourceImport", "StoreWriter", "write_store"]
