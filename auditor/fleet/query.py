"""Org-wide questions answered from the stored reports, never by rescanning.

"Who is affected by ADVISORY-ID": every repository whose report has a finding citing the id
(or any alias), plus every repository whose recorded package versions the advisory covers when
the advisory store holds the record, so an advisory published after the last scan is answered
from the inventory too. "Who uses package X (version Y)": the recorded packages.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.fleet.inventory import Inventory
from auditor.model import normalize_name

# Only "?" marks are put into these texts; every value is a bound parameter. Each row starts
# (repository, key, package, version, direct, stale), which `_hit` reads.
_FINDINGS_SQL = (
    "SELECT r.name, r.key, f.package, f.version, COALESCE(MAX(p.direct), 0), r.stale, "
    "f.rule_id, f.severity, f.location FROM findings f JOIN repos r ON r.key = f.repo "
    "LEFT JOIN packages p ON p.repo = f.repo AND p.name = f.package AND p.version = f.version "
    "WHERE f.advisory IN ({marks}) GROUP BY f.repo, f.package, f.version, f.rule_id"
)
_USES_SQL = (
    "SELECT r.name, r.key, p.name, p.version, p.direct, r.stale FROM packages p "
    "JOIN repos r ON r.key = p.repo WHERE p.name IN ({marks})"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Hit:
    """One repository that uses (or is affected through) one package version.

    `how` is ``finding`` (its report cites the advisory), ``advisory-store`` (the stored record
    covers the version the repository uses) or ``uses`` (a package query).
    """

    repo: str
    key: str
    package: str
    version: str
    direct: bool
    how: str
    rule_id: str = ""
    severity: str = ""
    location: str = ""
    stale: bool = False

    def to_json(self) -> dict[str, Any]:
        """Return the hit as JSON data."""
        return {
            "repository": self.repo,
            "key": self.key,
            "package": self.package,
            "version": self.version or None,
            "direct": self.direct,
            "how": self.how,
            "rule_id": self.rule_id or None,
            "severity": self.severity or None,
            "location": self.location or None,
            "stale": self.stale,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer:
    """The answer to one fleet query."""

    question: str
    hits: tuple[Hit, ...]
    repositories: int
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        """Return the answer as JSON data (``schema_version`` 1)."""
        return {
            "schema_version": 1,
            "question": self.question,
            "affected_repositories": sorted({h.repo for h in self.hits}),
            "repositories_in_fleet": self.repositories,
            "hits": [h.to_json() for h in self.hits],
            "note": self.note or None,
        }


def _hit(row: tuple[Any, ...], how: str) -> Hit:
    """Read one row: (repository, key, package, version, direct, stale[, rule, severity, where])."""
    repo, key, package, version, direct, stale, *finding = row
    rule_id, severity, location = finding or ("", "", "")
    return Hit(
        repo=repo,
        key=key,
        package=package,
        version=version,
        direct=bool(direct),
        how=how,
        rule_id=rule_id,
        severity=severity,
        location=location,
        stale=bool(stale),
    )


def _record_ids(record: dict[str, Any]) -> set[str]:
    """The advisory's id and aliases, upper-cased."""
    return {
        str(record.get("id", "")).upper(),
        *(str(a).upper() for a in record.get("aliases") or []),
    }


def _fleet_size(inventory: Inventory) -> int:
    return int(inventory.rows("SELECT COUNT(*) FROM repos")[0][0])


def _store_record(store: Path | None, advisory_id: str) -> dict[str, Any] | None:
    """Return the advisory (by id, else by alias) from the store, None when absent/withdrawn."""
    if store is None or not store.is_file():
        return None
    uri = store.resolve().as_uri() + "?immutable=1"
    try:
        with closing(sqlite3.connect(uri, uri=True)) as conn:
            rows = list(
                conn.execute("SELECT data FROM records WHERE id = ? COLLATE NOCASE", (advisory_id,))
            )
            if not rows:
                pattern = f'%"{advisory_id}"%'
                rows = list(conn.execute("SELECT data FROM records WHERE data LIKE ?", (pattern,)))
    except sqlite3.DatabaseError:
        return None
    for (data,) in rows:
        record = json.loads(data)
        if advisory_id.upper() in _record_ids(record) and not record.get("withdrawn"):
            return dict(record)
    return None


def affected_by(inventory: Inventory, advisory_id: str, *, store: Path | None) -> Answer:
    """Return every repository affected by `advisory_id` (see the module docstring)."""
    from auditor.advisories.advisory import as_advisory
    from auditor.advisories.matching import record_affects

    wanted = advisory_id.strip().upper()
    record = _store_record(store, wanted)
    ids = {wanted}
    if record is not None:
        ids |= _record_ids(record)
    marks = ",".join("?" * len(ids))
    hits: dict[tuple[str, str, str], Hit] = {}
    for row in inventory.rows(_FINDINGS_SQL.format(marks=marks), sorted(ids)):
        hit = _hit(row, "finding")
        hits[(hit.key, hit.package, hit.version)] = hit
    note = ""
    if record is None:
        note = "the advisory store does not hold this advisory: only stored findings were read"
    else:
        advisory = as_advisory(record)  # parsed once, matched against every recorded version
        names = sorted(
            {
                normalize_name(str((a.get("package") or {}).get("name", "")))
                for a in record.get("affected") or []
                if isinstance(a, dict)
            }
        )
        marks = ",".join("?" * len(names))
        for row in inventory.rows(_USES_SQL.format(marks=marks), names):
            hit = _hit(row, "advisory-store")
            where = (hit.key, hit.package, hit.version)
            if where in hits or not hit.version:
                continue
            if record_affects(advisory, hit.package, hit.version):
                hits[where] = hit
    ordered = tuple(sorted(hits.values(), key=lambda h: (h.repo, h.package, h.version)))
    return Answer(
        question=f"affected by {advisory_id.strip()}",
        hits=ordered,
        repositories=_fleet_size(inventory),
        note=note,
    )


def who_uses(inventory: Inventory, package: str, version: str | None = None) -> Answer:
    """Return every repository using `package` (at `version`, when given)."""
    name = normalize_name(package)
    sql = (
        "SELECT r.name, r.key, p.display, p.version, MAX(p.direct), r.stale FROM packages p "
        "JOIN repos r ON r.key = p.repo WHERE p.name = ?"
    )
    args: list[str] = [name]
    if version:
        sql += " AND p.version = ?"
        args.append(version)
    sql += " GROUP BY p.repo, p.version ORDER BY r.name, p.version"
    hits = tuple(_hit(row, "uses") for row in inventory.rows(sql, args))
    question = f"uses {package}" + (f" {version}" if version else "")
    return Answer(question=question, hits=hits, repositories=_fleet_size(inventory))


__all__ = ["Answer", "Hit", "affected_by", "who_uses"]
