"""The offline advisory store: one SQLite file of OSV records, indexed by package name.

The file is never changed in place. A writer (`auditor.advisories.store_writer`) takes a lock,
copies the current file, changes the copy and renames it over the old one (`os.replace`), so
a reader that opened the old file keeps reading a complete database through its open handle,
and a crash never leaves a half-written store. Readers open the file with SQLite's
``immutable`` flag for that reason.

A damaged store (not SQLite, truncated, another schema, or found corrupt while reading) is
detected at open: `OsvStore.problem` says why, the store then answers nothing, and the run
reports its queries as not checked with the command that repairs it (`REPAIR`). A writer never
copies a damaged store: it starts from an empty one and moves the old file aside to
``osv.sqlite3.corrupt``. Temporary copies a killed writer left behind are removed by the next
writer (under the lock no other writer can be using them).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import sqlite3
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.advisories.advisory import ECOSYSTEM, Advisory, MalformedRecord, parse_advisory
from auditor.advisories.matching import is_withdrawn
from auditor.advisories.store_check import (
    REPAIR,
    damaged_message,
    schema_problem,
)
from auditor.config import Config
from auditor.model import normalize_name

log = logging.getLogger(__name__)

STORE_FILE = "osv.sqlite3"


KIND_OSV = "osv"
KIND_MALICIOUS = "malicious"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
    name TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    origin TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    records INTEGER NOT NULL,
    withdrawn INTEGER NOT NULL,
    newest_modified TEXT
);
CREATE TABLE IF NOT EXISTS records (
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    modified TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (source, id)
);
CREATE TABLE IF NOT EXISTS affected (
    name TEXT NOT NULL,
    source TEXT NOT NULL,
    id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS affected_name ON affected (name);
CREATE INDEX IF NOT EXISTS affected_source ON affected (source);
"""


def store_path(config: Config) -> Path:
    """Return the store file for a configuration (beside the cache, a file of its own)."""
    from auditor.cache import default_cache_dir

    return (config.cache_dir or default_cache_dir()) / STORE_FILE


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceInfo:
    """One imported source: what it is, when it came in, how much it holds."""

    name: str
    kind: str
    origin: str
    imported_at: str
    records: int
    withdrawn: int
    newest_modified: str | None

    def age_days(self, now: dt.datetime | None = None) -> float | None:
        """Days since the import (None when the timestamp is unreadable)."""
        try:
            when = dt.datetime.fromisoformat(self.imported_at)
        except ValueError:
            return None
        now = now or dt.datetime.now(tz=dt.UTC)
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        return max(0.0, (now - when).total_seconds() / 86400)

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form used by ``auditor db status``."""
        age = self.age_days()
        return {
            "name": self.name,
            "kind": self.kind,
            "origin": self.origin,
            "imported_at": self.imported_at,
            "records": self.records,
            "withdrawn": self.withdrawn,
            "newest_modified": self.newest_modified,
            "age_days": None if age is None else round(age, 2),
        }


def record_names(record: Mapping[str, Any]) -> set[str]:
    """Return the normalized PyPI package names a record's ``affected`` entries name."""
    names: set[str] = set()
    affected = record.get("affected")
    if not isinstance(affected, list):
        return names
    for entry in affected:
        package = entry.get("package") if isinstance(entry, dict) else None
        if isinstance(package, dict) and package.get("ecosystem") == ECOSYSTEM:
            name = package.get("name")
            if isinstance(name, str) and name.strip():
                names.add(normalize_name(name))
    return names


@functools.lru_cache(maxsize=8192)
def _parse_stored(rid: str, modified: str, data: str) -> Advisory | MalformedRecord:
    try:
        return parse_advisory(json.loads(data))
    except ValueError as exc:  # AdvisoryFormatError, or JSON the store should never hold
        return MalformedRecord(id=rid, modified=modified, problem=str(exc))


class StoreDamagedError(Exception):
    """The store cannot be read; the message names the file, why, and the repairing command."""


class OsvStore:
    """A read-only view of the store file; empty when the file does not exist yet."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self.problem: str | None = None
        if path.is_file():
            self._open()

    def _open(self) -> None:
        from auditor.cache import sqlite_header_problem

        problem = sqlite_header_problem(self.path)
        if problem is None and self.path.stat().st_size == 0:
            problem = "empty file"
        if problem is not None:
            self._damaged(problem)
            return
        uri = self.path.resolve().as_uri() + "?immutable=1"
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
        try:
            problem = schema_problem(conn)
        except sqlite3.DatabaseError as exc:
            problem = f"unreadable: {exc}"
        if problem is not None:
            conn.close()
            self._damaged(problem)
            return
        self._conn = conn

    def _damaged(self, problem: str) -> None:
        """Stop answering: the store is damaged (found at open, or by a failing read)."""
        if self.problem is None:
            self.problem = problem
            log.warning("%s", damaged_message(self.path, problem))
        self.close()

    @property
    def damaged(self) -> str | None:
        """The report text when the store is damaged (with the repairing command), else None."""
        return None if self.problem is None else damaged_message(self.path, self.problem)

    def __enter__(self) -> OsvStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the handle."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def sources(self) -> list[SourceInfo]:
        """Return every imported source, by name."""
        if self._conn is None:
            return []
        try:
            rows = self._conn.execute(
                "SELECT name, kind, origin, imported_at, records, withdrawn, newest_modified "
                "FROM sources ORDER BY name"
            ).fetchall()
        except sqlite3.DatabaseError as exc:
            self._damaged(f"unreadable: {exc}")
            return []
        return [
            SourceInfo(
                name=r[0], kind=r[1], origin=r[2], imported_at=r[3], records=r[4],
                withdrawn=r[5], newest_modified=r[6],
            )
            for r in rows
        ]  # fmt: skip

    def has_kind(self, kind: str) -> bool:
        """Whether any source of `kind` (``osv`` or ``malicious``) holds records."""
        return any(s.kind == kind and s.records > 0 for s in self.sources())

    def record_count(self) -> int:
        """Number of stored records (all sources)."""
        if self._conn is None:
            return 0
        try:
            row = self._conn.execute("SELECT COUNT(*) FROM records").fetchone()
        except sqlite3.DatabaseError as exc:
            self._damaged(f"unreadable: {exc}")
            return 0
        return int(row[0])

    def _rows(
        self, names: Iterable[str], kinds: Iterable[str] | None
    ) -> tuple[list[str], list[tuple[str, str, str, str]]]:
        """Return the normalized names and their (name, id, modified, data) rows.

        Raises:
            StoreDamagedError: when the store is damaged (at open, or found now).
        """
        wanted = sorted({normalize_name(n) for n in names})
        if self.problem is not None:
            raise StoreDamagedError(self.damaged or "")
        if self._conn is None or not wanted:
            return wanted, []
        conn = self._conn
        kind_filter = ""
        kind_args: tuple[str, ...] = ()
        if kinds is not None:
            kind_list = sorted(set(kinds))
            kind_filter = f" AND s.kind IN ({','.join('?' * len(kind_list))})"
            kind_args = tuple(kind_list)
        rows: list[tuple[str, str, str, str]] = []
        try:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                sql = (
                    "SELECT a.name, r.id, r.modified, r.data FROM affected a "  # noqa: S608 - ?
                    "JOIN records r ON r.source = a.source AND r.id = a.id "
                    "JOIN sources s ON s.name = a.source "
                    f"WHERE a.name IN ({marks}){kind_filter}"
                )
                rows.extend(conn.execute(sql, (*chunk, *kind_args)))
        except sqlite3.DatabaseError as exc:
            self._damaged(f"unreadable: {exc}")
            raise StoreDamagedError(self.damaged or "") from exc
        return wanted, rows

    def records_for(
        self, names: Iterable[str], *, kinds: Iterable[str] | None = None
    ) -> dict[str, list[dict[str, Any]]]:
        """Return the records naming each package (withdrawn ones dropped, one copy per id).

        Args:
            names: package names (any spelling).
            kinds: only sources of these kinds (default: all).
        """
        wanted, rows = self._rows(names, kinds)
        found: dict[str, dict[str, dict[str, Any]]] = {n: {} for n in wanted}
        for name, rid, modified, data in rows:
            kept = found[name].get(rid)
            if kept is not None and str(kept.get("modified", "")) >= modified:
                continue
            record = json.loads(data)
            if not is_withdrawn(record):
                found[name][rid] = record
        return {n: [recs[i] for i in sorted(recs)] for n, recs in found.items()}

    def advisories_for(
        self,
        names: Iterable[str],
        *,
        kinds: Iterable[str] | None = None,
        only: Mapping[str, AbstractSet[str]] | None = None,
    ) -> tuple[dict[str, list[Advisory]], dict[str, list[MalformedRecord]]]:
        """Return the parsed advisories naming each package, and the records that do not parse.

        Like `records_for` (withdrawn dropped, the newest copy of an id), parsed through a
        process-wide cache keyed by the stored text, so a record is parsed once per process.
        `only` limits a (normalized) name to those record ids: the others are not parsed.
        """
        wanted, rows = self._rows(names, kinds)
        found: dict[str, dict[str, Advisory | MalformedRecord]] = {n: {} for n in wanted}
        limits = only or {}
        for name, rid, modified, data in rows:
            limit = limits.get(name)
            if limit is not None and rid not in limit:
                continue
            kept = found[name].get(rid)
            if kept is not None and kept.modified >= modified:
                continue
            parsed = _parse_stored(rid, modified, data)
            if isinstance(parsed, MalformedRecord) or not parsed.is_withdrawn:
                found[name][rid] = parsed
        good: dict[str, list[Advisory]] = {}
        bad: dict[str, list[MalformedRecord]] = {}
        for name, items in found.items():
            ordered = [items[i] for i in sorted(items)]
            good[name] = [a for a in ordered if isinstance(a, Advisory)]
            if broken := [a for a in ordered if isinstance(a, MalformedRecord)]:
                bad[name] = broken
        return good, bad

    def newest_import(self, kind: str | None = None) -> str | None:
        """Return the newest ``imported_at`` (of sources of `kind`, if given)."""
        times = [s.imported_at for s in self.sources() if kind is None or s.kind == kind]
        return max(times) if times else None


__all__ = [
    "KIND_MALICIOUS",
    "KIND_OSV",
    "REPAIR",
    "SCHEMA",
    "STORE_FILE",
    "OsvStore",
    "SourceInfo",
    "StoreDamagedError",
    "damaged_message",
    "record_names",
    "schema_problem",
    "store_path",
]
