"""The fleet inventory: one SQLite file indexing the stored reports for org-wide questions.

The client adds each repository's report as its outcome arrives (one report in memory at a
time). Queries ("who uses X", "who is affected by ADVISORY-ID") and the fleet report read this
file, never rescanning. A repository that failed this run keeps the rows of its last report,
marked stale.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import closing
from pathlib import Path
from typing import Any

from auditor.fleet.model import RepoOutcome, RepoStatus, failed
from auditor.fleet.sources import RepoSource
from auditor.model import Severity, normalize_name

INVENTORY_FILE = "fleet.sqlite3"
SEVERITIES = tuple(str(s) for s in Severity)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS repos (
    key TEXT PRIMARY KEY, name TEXT NOT NULL, location TEXT NOT NULL, origin TEXT NOT NULL,
    status TEXT NOT NULL, revision TEXT, report TEXT, exit_code INTEGER, error TEXT,
    stale INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 1,
    seconds REAL NOT NULL DEFAULT 0, summary TEXT NOT NULL DEFAULT '{}',
    incomplete INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS packages (
    repo TEXT NOT NULL, name TEXT NOT NULL, display TEXT NOT NULL, version TEXT NOT NULL,
    direct INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS packages_name ON packages (name, version);
CREATE INDEX IF NOT EXISTS packages_repo ON packages (repo);
CREATE TABLE IF NOT EXISTS findings (
    repo TEXT NOT NULL, rule_id TEXT NOT NULL, severity TEXT NOT NULL, package TEXT NOT NULL,
    version TEXT NOT NULL, advisory TEXT NOT NULL, location TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS findings_advisory ON findings (advisory);
CREATE INDEX IF NOT EXISTS findings_repo ON findings (repo);
CREATE TABLE IF NOT EXISTS licenses (
    repo TEXT NOT NULL, package TEXT NOT NULL, version TEXT NOT NULL, license TEXT NOT NULL,
    category TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS licenses_repo ON licenses (repo);
"""


def _location(finding: Mapping[str, Any]) -> str:
    locations = finding.get("locations") or []
    if not locations:
        return ""
    first = locations[0]
    line = first.get("line")
    return f"{first.get('path', '')}:{line}" if line else str(first.get("path", ""))


def _license_rows(report: Mapping[str, Any]) -> Iterator[tuple[str, str, str, str]]:
    """The ``licenses`` section (another stage's), read when present, in either known shape."""
    section = report.get("licenses")
    rows = section.get("packages") if isinstance(section, Mapping) else section
    if not isinstance(rows, list):
        return
    for row in rows:
        if isinstance(row, Mapping) and row.get("name"):
            yield (
                normalize_name(str(row["name"])),
                str(row.get("version") or ""),
                str(row.get("license") or "unknown"),
                str(row.get("category") or ""),
            )


def _advisory_ids(finding: Mapping[str, Any]) -> list[str]:
    ids = (finding.get("evidence") or {}).get("advisories")
    return [str(i) for i in ids] if isinstance(ids, list) and ids else [""]


class Inventory:
    """The inventory file of a fleet state folder (opened for one thread)."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / INVENTORY_FILE
        state_dir.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(self.path, timeout=30)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the file."""
        self.conn.close()

    def __enter__(self) -> Inventory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ----------------------------------------------------------------------------

    def record(self, source: RepoSource, outcome: RepoOutcome) -> None:
        """Record one repository's outcome; index its report when it has a new one."""
        conn = self.conn
        with conn:
            old = conn.execute("SELECT report FROM repos WHERE key = ?", (source.key,)).fetchone()
            if outcome.status is RepoStatus.FAILED:
                conn.execute(
                    "INSERT INTO repos (key, name, location, origin, status, error, attempts, "
                    "seconds, stale) VALUES (?, ?, ?, ?, 'failed', ?, ?, ?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET status = 'failed', error = excluded.error, "
                    "attempts = excluded.attempts, seconds = excluded.seconds, "
                    "stale = (repos.report IS NOT NULL)",
                    (
                        source.key,
                        source.name,
                        source.location,
                        source.origin,
                        outcome.error,
                        outcome.attempts,
                        outcome.seconds,
                        0,
                    ),
                )
                return
            report = outcome.report
            reindex = old is None or old[0] != report
            incomplete = 0
            if reindex and report is not None:
                try:
                    data = json.loads(Path(report).read_text(encoding="utf-8"))
                except (OSError, ValueError) as exc:
                    problem = f"stored report unreadable: {report}: {exc}"
                    self.record(source, failed(source.key, problem, retriable=False))
                    return
                incomplete = len(data.get("incomplete") or [])
                self._index(source.key, data)
            elif old is not None:
                row = conn.execute(
                    "SELECT incomplete FROM repos WHERE key = ?", (source.key,)
                ).fetchone()
                incomplete = int(row[0])
            conn.execute(
                "INSERT OR REPLACE INTO repos (key, name, location, origin, status, revision, "
                "report, exit_code, error, stale, attempts, seconds, summary, incomplete) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, 0, ?, ?, ?, ?)",
                (
                    source.key,
                    source.name,
                    source.location,
                    source.origin,
                    str(outcome.status),
                    outcome.revision,
                    report,
                    outcome.exit_code,
                    outcome.attempts,
                    outcome.seconds,
                    json.dumps(dict(outcome.summary)),
                    incomplete,
                ),
            )

    def _index(self, key: str, report: Mapping[str, Any]) -> None:
        conn = self.conn
        for table in ("packages", "findings", "licenses"):
            conn.execute(f"DELETE FROM {table} WHERE repo = ?", (key,))  # noqa: S608 - fixed
        conn.executemany(
            "INSERT INTO packages VALUES (?, ?, ?, ?, ?)",
            [
                (
                    key,
                    normalize_name(str(p["name"])),
                    str(p["name"]),
                    str(p.get("version") or ""),
                    int(bool(p.get("direct"))),
                )
                for p in report.get("packages") or []
            ],
        )
        rows = [
            (
                key,
                str(finding.get("rule_id", "")),
                str(finding.get("severity")),
                normalize_name(str(finding.get("package") or "")),
                str(finding.get("version") or ""),
                str(advisory).upper(),
                _location(finding),
            )
            for finding in report.get("findings") or []
            for advisory in _advisory_ids(finding)
        ]
        conn.executemany("INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        conn.executemany(
            "INSERT INTO licenses VALUES (?, ?, ?, ?, ?)",
            [(key, *row) for row in _license_rows(report)],
        )

    def prune(self, keep: Iterable[str]) -> int:
        """Forget repositories no longer in the fleet; return how many."""
        keep_set = set(keep)
        with self.conn:
            gone = [k for (k,) in self.conn.execute("SELECT key FROM repos") if k not in keep_set]
            for key in gone:
                for table in ("packages", "findings", "licenses"):
                    self.conn.execute(f"DELETE FROM {table} WHERE repo = ?", (key,))  # noqa: S608
                self.conn.execute("DELETE FROM repos WHERE key = ?", (key,))
        return len(gone)

    # -- reading ----------------------------------------------------------------------------

    def rows(self, sql: str, args: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a read query."""
        with closing(self.conn.execute(sql, tuple(args))) as cursor:
            return list(cursor)


def open_inventory(state_dir: Path) -> Inventory:
    """Open the inventory of `state_dir` (created empty when absent)."""
    return Inventory(state_dir)


__all__ = ["INVENTORY_FILE", "SEVERITIES", "Inventory", "open_inventory"]
