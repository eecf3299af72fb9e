"""Version matching against OSV records, alias merging, and the fix that clears a group.

Follows the OSV schema (https://ossf.github.io/osv-schema/): an ``affected`` entry matches a
version when the version is in its explicit ``versions`` list or inside one of its ``ECOSYSTEM``
(or ``SEMVER``) ranges, evaluated with PEP 440 ordering. ``GIT`` ranges name commits, not
releases, so only the ``versions`` list counts for them. Versions that are not PEP 440 never raise:
they can only match a ``versions`` list exactly.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from auditor.model import normalize_name

ECOSYSTEM = "PyPI"
_ORDERED_RANGES = frozenset({"ECOSYSTEM", "SEMVER"})

# Order of id prefixes when choosing the primary id of merged advisories: the PyPI database's
# own ids first, then GitHub's, then other databases, CVE last (it names the flaw, not the fix).
_ID_RANK = (("PYSEC-", 0), ("GHSA-", 1), ("MAL-", 2), ("CVE-", 4))


@functools.lru_cache(maxsize=65536)
def parse_version(text: str) -> Version | None:
    """Parse a PEP 440 version, or return None when `text` is not one."""
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _same_version(a: str, b: str) -> bool:
    if a == b:
        return True
    va, vb = parse_version(a), parse_version(b)
    return va is not None and vb is not None and va == vb


@functools.lru_cache(maxsize=8192)
def _canonical_set(items: tuple[Any, ...]) -> frozenset[str]:
    """Return the canonical (PEP 440 normalised where possible) forms of a versions list."""
    found: set[str] = set()
    for item in items:
        if isinstance(item, str):
            parsed = parse_version(item)
            found.add(str(parsed) if parsed is not None else item)
    return frozenset(found)


def _in_versions(affected: Mapping[str, Any], version: str) -> bool:
    listed = affected.get("versions") or ()
    if not isinstance(listed, list):
        return False
    if version in listed:
        return True
    parsed = parse_version(version)
    key = str(parsed) if parsed is not None else version
    try:
        return key in _canonical_set(tuple(listed))
    except TypeError:  # unhashable junk in the list: compare item by item
        return any(isinstance(i, str) and _same_version(i, version) for i in listed)


def _events(range_: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Return the (kind, version) events of a range, skipping malformed ones."""
    found: list[tuple[str, str]] = []
    events = range_.get("events")
    if not isinstance(events, list):
        return found
    for event in events:
        if not isinstance(event, dict):
            continue
        for kind in ("introduced", "fixed", "last_affected", "limit"):
            value = event.get(kind)
            if isinstance(value, str) and value:
                found.append((kind, value))
    return found


def _in_range(range_: Mapping[str, Any], version: Version) -> bool:
    """Evaluate one ordered range per the OSV reference algorithm."""
    points: list[tuple[Version | None, int, str]] = []
    limits: list[Version] = []
    for kind, text in _events(range_):
        if kind == "introduced" and text == "0":
            points.append((None, 0, kind))
            continue
        parsed = parse_version(text)
        if parsed is None:
            continue  # an unparsable bound cannot be ordered; the versions list still counts
        if kind == "limit":
            limits.append(parsed)
            continue
        points.append((parsed, {"introduced": 0, "fixed": 1, "last_affected": 2}[kind], kind))
    # None (introduced "0") sorts before every real version.
    points.sort(key=lambda p: (p[0] is not None, p[0] or Version("0"), p[1]))
    affected = False
    for bound, _order, kind in points:
        if kind == "introduced":
            if bound is None or version >= bound:
                affected = True
        elif kind == "fixed":
            if bound is not None and version >= bound:
                affected = False
        elif bound is not None and version > bound:  # last_affected
            affected = False
    if affected and limits and not any(version < limit for limit in limits):
        return False
    return affected


def affects(affected: dict[str, Any], version: str) -> bool:
    """Return whether one OSV ``affected`` entry covers `version` of its package.

    Args:
        affected: one element of an OSV record's ``affected`` array.
        version: the release to test (any string; non-PEP 440 versions match only the
            explicit ``versions`` list).

    Returns:
        True when the version is listed, or lies inside an ``ECOSYSTEM``/``SEMVER`` range. An
        entry with neither ranges nor versions affects every version (as osv-scanner reads it).
    """
    ranges = affected.get("ranges")
    listed = affected.get("versions")
    if not ranges and not listed:
        return True
    if isinstance(ranges, list):
        parsed = parse_version(version)
        for range_ in ranges:
            if not isinstance(range_, dict) or range_.get("type") not in _ORDERED_RANGES:
                continue
            if parsed is None:
                # Unorderable version: only a range covering everything can include it.
                if _covers_everything(range_):
                    return True
            elif _in_range(range_, parsed):
                return True
    return _in_versions(affected, version)


def _covers_everything(range_: Mapping[str, Any]) -> bool:
    kinds = _events(range_)
    return ("introduced", "0") in kinds and all(k == "introduced" for k, _ in kinds)


def is_withdrawn(record: Mapping[str, Any]) -> bool:
    """Whether the record has been withdrawn by its database (it must be ignored)."""
    return bool(record.get("withdrawn"))


def affected_entries(record: Mapping[str, Any], name: str) -> list[dict[str, Any]]:
    """Return the record's ``affected`` entries for PyPI package `name` (any spelling)."""
    key = normalize_name(name)
    found: list[dict[str, Any]] = []
    entries = record.get("affected")
    if not isinstance(entries, list):
        return found
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        package = entry.get("package")
        if not isinstance(package, dict):
            continue
        if package.get("ecosystem") != ECOSYSTEM:
            continue
        if normalize_name(str(package.get("name", ""))) == key:
            found.append(entry)
    return found


def record_affects(record: Mapping[str, Any], name: str, version: str) -> bool:
    """Whether a (non-withdrawn) record affects `version` of package `name`."""
    if is_withdrawn(record):
        return False
    return any(affects(entry, version) for entry in affected_entries(record, name))


def affects_all_versions(record: Mapping[str, Any], name: str) -> bool:
    """Whether the record covers every release of `name` (introduced 0, no end, no list)."""
    if is_withdrawn(record):
        return False
    for entry in affected_entries(record, name):
        ranges = entry.get("ranges") or []
        if not ranges and not entry.get("versions"):
            return True
        for range_ in ranges:
            if not isinstance(range_, dict) or range_.get("type") not in _ORDERED_RANGES:
                continue
            if _covers_everything(range_):
                return True
    return False


def candidate_versions(record: Mapping[str, Any], name: str) -> set[str]:
    """Return every version a record names for `name`: ``versions`` lists and range events."""
    found: set[str] = set()
    for entry in affected_entries(record, name):
        listed = entry.get("versions")
        if isinstance(listed, list):
            found.update(v for v in listed if isinstance(v, str))
        for range_ in entry.get("ranges") or []:
            if isinstance(range_, dict) and range_.get("type") in _ORDERED_RANGES:
                found.update(v for k, v in _events(range_) if v != "0" and k != "limit")
    return found


def fixed_versions(record: Mapping[str, Any], name: str) -> list[str]:
    """Return the ``fixed`` versions of a record's ordered ranges for `name`, PEP 440 sorted."""
    found: set[str] = set()
    for entry in affected_entries(record, name):
        for range_ in entry.get("ranges") or []:
            if isinstance(range_, dict) and range_.get("type") in _ORDERED_RANGES:
                found.update(v for k, v in _events(range_) if k == "fixed")
    return sort_versions(found)


def sort_versions(versions: Iterable[str]) -> list[str]:
    """Sort versions by PEP 440 order; unparsable ones go last, in text order."""
    return sorted(set(versions), key=_version_sort_key)


def _version_sort_key(text: str) -> tuple[int, Version, str]:
    parsed = parse_version(text)
    return (0, parsed, text) if parsed is not None else (1, Version("0"), text)


def smallest_fix(records: Sequence[Mapping[str, Any]], name: str, version: str) -> str | None:
    """Return the smallest version above `version` that no record of the group affects."""
    current = parse_version(version)
    candidates: set[str] = set()
    for record in records:
        candidates.update(fixed_versions(record, name))
    for candidate in sort_versions(candidates):
        parsed = parse_version(candidate)
        if parsed is None or (current is not None and parsed <= current):
            continue
        if not any(record_affects(record, name, candidate) for record in records):
            return candidate
    return None


def admitted_versions(
    records: Iterable[Mapping[str, Any]], name: str, specifier: str
) -> list[str] | None:
    """Return the affected versions (from the records' own data) that `specifier` admits.

    Returns None when the specifier text is not valid PEP 440.
    """
    try:
        spec = SpecifierSet(specifier)
    except InvalidSpecifier:
        return None
    records = list(records)
    candidates: set[str] = set()
    for record in records:
        if not is_withdrawn(record):
            candidates.update(candidate_versions(record, name))
    admitted = []
    for candidate in candidates:
        parsed = parse_version(candidate)
        if parsed is None or not spec.contains(parsed, prereleases=True):
            continue
        if parsed.is_prerelease and not spec.prereleases:
            continue
        if any(record_affects(record, name, candidate) for record in records):
            admitted.append(candidate)
    return sort_versions(admitted)


def id_rank(advisory_id: str) -> int:
    """Return the rank of an id's database (lower = preferred as the primary id)."""
    for prefix, rank in _ID_RANK:
        if advisory_id.startswith(prefix):
            return rank
    return 3


def order_ids(ids: Iterable[str], primary: str | None = None) -> list[str]:
    """Order advisory ids: the primary first, then by database rank and id."""
    unique = sorted(set(ids), key=lambda i: (id_rank(i), i))
    if primary is not None and primary in unique:
        unique.remove(primary)
        unique.insert(0, primary)
    return unique


@dataclass(frozen=True, slots=True, kw_only=True)
class AdvisoryGroup:
    """Records describing one flaw (joined through ids and aliases), with all their ids."""

    primary: str
    ids: tuple[str, ...]
    records: tuple[Mapping[str, Any], ...]

    @property
    def record_ids(self) -> tuple[str, ...]:
        """The ids of the records themselves (not aliases), in id order."""
        return tuple(order_ids(str(r["id"]) for r in self.records))


def group_aliases(records: Iterable[Mapping[str, Any]]) -> list[AdvisoryGroup]:
    """Merge records that name the same flaw (union-find over ``id`` and ``aliases``).

    Records with the same id (the same advisory from two sources) collapse into one, keeping
    the most recently modified copy.
    """
    by_id: dict[str, Mapping[str, Any]] = {}
    for record in records:
        rid = str(record.get("id", ""))
        if not rid:
            continue
        kept = by_id.get(rid)
        if kept is None or str(record.get("modified", "")) > str(kept.get("modified", "")):
            by_id[rid] = record
    parent: dict[str, str] = {}

    def find(item: str) -> str:
        parent.setdefault(item, item)
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for rid, record in by_id.items():
        find(rid)
        aliases = record.get("aliases")
        if isinstance(aliases, list):
            for alias in aliases:
                if isinstance(alias, str) and alias:
                    union(rid, alias)
    members: dict[str, list[str]] = {}
    for item in list(parent):
        members.setdefault(find(item), []).append(item)
    groups: list[AdvisoryGroup] = []
    for ids in members.values():
        group_records = [by_id[i] for i in order_ids(ids) if i in by_id]
        if not group_records:
            continue
        primary = order_ids(str(r["id"]) for r in group_records)[0]
        groups.append(
            AdvisoryGroup(
                primary=primary, ids=tuple(order_ids(ids, primary)), records=tuple(group_records)
            )
        )
    groups.sort(key=lambda g: (id_rank(g.primary), g.primary))
    return groups


def is_malicious(record: Mapping[str, Any]) -> bool:
    """Whether a record reports a malicious package (an OSV ``MAL-`` record or a manifest entry)."""
    rid = str(record.get("id", ""))
    if rid.startswith("MAL-"):
        return True
    aliases = record.get("aliases")
    if isinstance(aliases, list) and any(str(a).startswith("MAL-") for a in aliases):
        return True
    specific = record.get("database_specific")
    if isinstance(specific, dict):
        ours = specific.get("auditor")
        if isinstance(ours, dict) and ours.get("kind") == "malicious":
            return True
    return False


__all__ = [
    "ECOSYSTEM",
    "AdvisoryGroup",
    "admitted_versions",
    "affected_entries",
    "affects",
    "affects_all_versions",
    "candidate_versions",
    "fixed_versions",
    "group_aliases",
    "id_rank",
    "is_malicious",
    "is_withdrawn",
    "order_ids",
    "parse_version",
    "record_affects",
    "smallest_fix",
    "sort_versions",
]
