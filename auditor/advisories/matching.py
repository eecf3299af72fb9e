"""Version matching against parsed OSV advisories, alias merging, and the fix that clears a group.

The functions work on `Advisory` values (see `auditor.advisories.advisory`); each also accepts a
raw OSV dict, read leniently (malformed parts skipped), for tests and tools that hold raw JSON.

Follows the OSV schema (https://ossf.github.io/osv-schema/): an ``affected`` entry matches a
version when the version is in its explicit ``versions`` list or inside one of its ``ECOSYSTEM``
(or ``SEMVER``) ranges, evaluated with PEP 440 ordering. ``GIT`` ranges name commits, not
releases, so only the ``versions`` list counts for them. Versions that are not PEP 440 never raise:
they can only match a ``versions`` list exactly (or a range that nothing closes: ``introduced: 0``
alone).

Range evaluation is the schema's reference algorithm (``IncludedInRanges``/``BeforeLimits``):
events sorted by version with ``introduced: "0"`` first; at equal versions the events that close
an interval (``fixed``, ``last_affected``) come before an ``introduced`` that opens the next, so
``fixed: 1.1`` then ``introduced: 1.1`` leaves 1.1 affected by the second interval;
``last_affected`` is inclusive; a range with ``limit`` events only covers versions below one of
them; ranges are OR'd. Events whose version is not PEP 440 cannot be ordered and are skipped.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from auditor.advisories.advisory import (
    ECOSYSTEM,
    Advisory,
    AffectedPackage,
    AffectedRange,
    Event,
    as_advisory,
    parse_affected,
    parse_version,
    sort_versions,
)

# A parsed advisory, or a raw OSV dict (read leniently, as these helpers always read it).
Record = Advisory | Mapping[str, Any]
R = TypeVar("R", Advisory, Mapping[str, Any])

# Order of id prefixes when choosing the primary id of merged advisories: the PyPI database's
# own ids first, then GitHub's, then other databases, CVE last (it names the flaw, not the fix).
_ID_RANK = (("PYSEC-", 0), ("GHSA-", 1), ("MAL-", 2), ("CVE-", 4))
# At equal versions, events that close an interval sort before an `introduced` opening one.
_ORDER = {"fixed": 0, "last_affected": 0, "introduced": 1}
_ZERO = Version("0")


# A release, pre-, post- or dev-release written the way PEP 440 normalises it (no leading
# zeros, no separators, no epoch or local part): its normal form is the text itself.
_NORMAL = re.compile(r"(?:0|[1-9]\d*)(?:\.(?:0|[1-9]\d*))*(?:(?:a|b|rc)(?:0|[1-9]\d*))?"
                     r"(?:\.post(?:0|[1-9]\d*))?(?:\.dev(?:0|[1-9]\d*))?")  # fmt: skip


@functools.lru_cache(maxsize=65536)
def _canonical(text: str) -> str:
    """Return the PEP 440 normalised form of a version (`text` itself when not PEP 440)."""
    if _NORMAL.fullmatch(text):
        return text  # most listed versions: no parse needed
    parsed = parse_version(text)
    return str(parsed) if parsed is not None else text


@functools.lru_cache(maxsize=8192)
def _canonical_set(items: tuple[str, ...]) -> frozenset[str]:
    """Return the canonical (PEP 440 normalised where possible) forms of a versions list."""
    return frozenset(map(_canonical, items))


def _in_versions(entry: AffectedPackage, version: str) -> bool:
    listed = entry.versions
    if not listed:
        return False
    if version in listed:
        return True
    return _canonical(version) in _canonical_set(listed)


Point = tuple[Version | None, int, str]


@functools.lru_cache(maxsize=65536)
def _ordered_events(events: tuple[Event, ...]) -> tuple[tuple[Point, ...], tuple[Version, ...]]:
    """A range's events as sorted (bound, order, kind) points, and its ``limit`` versions.

    Memoised per events tuple: the same range is evaluated for many versions (every candidate
    fix, every locked version).
    """
    points: list[Point] = []
    limits: list[Version] = []
    for event in events:
        kind, text = event.kind, event.version
        if kind == "introduced" and text == "0":
            points.append((None, 0, kind))
            continue
        parsed = parse_version(text)
        if parsed is None:
            continue  # an unparsable bound cannot be ordered; the versions list still counts
        if kind == "limit":
            limits.append(parsed)
            continue
        points.append((parsed, _ORDER[kind], kind))
    # None (introduced "0") sorts before every real version.
    points.sort(key=lambda p: (p[0] is not None, p[0] or _ZERO, p[1]))
    return tuple(points), tuple(limits)


def _in_range(range_: AffectedRange, version: Version) -> bool:
    """Evaluate one ordered range per the OSV reference algorithm."""
    points, limits = _ordered_events(range_.events)
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


def _covers_everything(range_: AffectedRange) -> bool:
    events = range_.events
    return any(e.kind == "introduced" and e.version == "0" for e in events) and all(
        e.kind == "introduced" for e in events
    )


def affects(affected: AffectedPackage | Mapping[str, Any], version: str) -> bool:
    """Return whether one OSV ``affected`` entry covers `version` of its package.

    Args:
        affected: one parsed ``affected`` entry (or its raw OSV dict).
        version: the release to test (any string; non-PEP 440 versions match only the
            explicit ``versions`` list).

    Returns:
        True when the version is listed, or lies inside an ``ECOSYSTEM``/``SEMVER`` range. An
        entry with neither ranges nor versions affects every version (as osv-scanner reads it).
    """
    entry = affected if isinstance(affected, AffectedPackage) else _entry(affected)
    if entry.every_version:
        return True
    if entry.ranges:
        parsed = parse_version(version)
        for range_ in entry.ranges:
            if not range_.ordered:
                continue
            if parsed is None:
                # Unorderable version: only a range covering everything can include it.
                if _covers_everything(range_):
                    return True
            elif _in_range(range_, parsed):
                return True
    return _in_versions(entry, version)


def _entry(data: Mapping[str, Any]) -> AffectedPackage:
    if not isinstance(data, dict):
        return AffectedPackage()
    return parse_affected(data, strict=False)


def is_withdrawn(record: Record) -> bool:
    """Whether the record has been withdrawn by its database (it must be ignored)."""
    if isinstance(record, Advisory):
        return record.is_withdrawn
    return bool(record.get("withdrawn"))


def affected_entries(record: Record, name: str) -> tuple[AffectedPackage, ...]:
    """Return the record's ``affected`` entries for PyPI package `name` (any spelling)."""
    return as_advisory(record).entries_for(name)


def record_affects(record: Record, name: str, version: str) -> bool:
    """Whether a (non-withdrawn) record affects `version` of package `name`."""
    advisory = as_advisory(record)
    if advisory.is_withdrawn:
        return False
    return any(affects(entry, version) for entry in advisory.entries_for(name))


def affects_all_versions(record: Record, name: str) -> bool:
    """Whether the record covers every release of `name` (introduced 0, no end, no list)."""
    advisory = as_advisory(record)
    if advisory.is_withdrawn:
        return False
    for entry in advisory.entries_for(name):
        if entry.every_version:
            return True
        if any(r.ordered and _covers_everything(r) for r in entry.ranges):
            return True
    return False


def candidate_versions(record: Record, name: str) -> set[str]:
    """Return every version a record names for `name`: ``versions`` lists and range events."""
    found: set[str] = set()
    for entry in as_advisory(record).entries_for(name):
        found.update(entry.versions)
        for range_ in entry.ranges:
            if range_.ordered:
                found.update(
                    e.version for e in range_.events if e.version != "0" and e.kind != "limit"
                )
    return found


def fixed_versions(record: Record, name: str) -> list[str]:
    """Return the ``fixed`` versions of a record's ordered ranges for `name`, PEP 440 sorted."""
    return as_advisory(record).fixed_for(name)


def smallest_fix(records: Sequence[Record], name: str, version: str) -> str | None:
    """Return the smallest version above `version` that no record of the group affects."""
    advisories = [as_advisory(r) for r in records]
    current = parse_version(version)
    candidates: set[str] = set()
    for advisory in advisories:
        candidates.update(advisory.fixed_for(name))
    for candidate in sort_versions(candidates):
        parsed = parse_version(candidate)
        if parsed is None or (current is not None and parsed <= current):
            continue
        if not any(record_affects(a, name, candidate) for a in advisories):
            return candidate
    return None


def common_fix(groups: Sequence[Sequence[Record]], name: str, version: str) -> str | None:
    """Return the smallest version above `version` that fixes every group that has a fix.

    Groups with no fixing version (`smallest_fix` is None) are left out: no upgrade clears
    them. The candidates are the groups' ``fixed`` versions; None when no candidate clears
    every fixable group (fixes on branches that exclude each other).
    """
    fixable = [g for g in groups if smallest_fix(g, name, version) is not None]
    if not fixable:
        return None
    current = parse_version(version)
    advisories = [as_advisory(r) for group in fixable for r in group]
    candidates = {f for advisory in advisories for f in advisory.fixed_for(name)}
    for candidate in sort_versions(candidates):
        parsed = parse_version(candidate)
        if parsed is None or (current is not None and parsed <= current):
            continue
        if not any(record_affects(a, name, candidate) for a in advisories):
            return candidate
    return None


def admitted_versions(records: Iterable[Record], name: str, specifier: str) -> list[str] | None:
    """Return the affected versions (from the records' own data) that `specifier` admits.

    Returns None when the specifier text is not valid PEP 440.
    """
    try:
        spec = SpecifierSet(specifier)
    except InvalidSpecifier:
        return None
    advisories = [as_advisory(r) for r in records]
    candidates: set[str] = set()
    for advisory in advisories:
        if not advisory.is_withdrawn:
            candidates.update(candidate_versions(advisory, name))
    admitted = []
    for candidate in candidates:
        parsed = parse_version(candidate)
        if parsed is None or not spec.contains(parsed, prereleases=True):
            continue
        if parsed.is_prerelease and not spec.prereleases:
            continue
        if any(record_affects(a, name, candidate) for a in advisories):
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
class RecordGroup(Generic[R]):
    """Records describing one flaw (joined through ids and aliases), with all their ids.

    `record_ids` are the ids of the records themselves (not aliases), in id order.
    """

    primary: str
    ids: tuple[str, ...]
    record_ids: tuple[str, ...]
    records: tuple[R, ...]


AdvisoryGroup = RecordGroup[Advisory]


def group_aliases(records: Iterable[R]) -> list[RecordGroup[R]]:
    """Merge records that name the same flaw (union-find over ``id`` and ``aliases``).

    Records with the same id (the same advisory from two sources) collapse into one, keeping
    the most recently modified copy. The groups hold the records as given (parsed or raw).
    """
    by_id: dict[str, tuple[Advisory, R]] = {}
    for record in records:
        advisory = as_advisory(record)
        if not advisory.id:
            continue
        kept = by_id.get(advisory.id)
        if kept is None or advisory.modified > kept[0].modified:
            by_id[advisory.id] = (advisory, record)
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

    for rid, (advisory, _record) in by_id.items():
        find(rid)
        for alias in advisory.aliases:
            union(rid, alias)
    members: dict[str, list[str]] = {}
    for item in list(parent):
        members.setdefault(find(item), []).append(item)
    groups: list[RecordGroup[R]] = []
    for ids in members.values():
        record_ids = tuple(i for i in order_ids(ids) if i in by_id)
        if not record_ids:
            continue
        primary = record_ids[0]
        groups.append(
            RecordGroup(
                primary=primary,
                ids=tuple(order_ids(ids, primary)),
                record_ids=record_ids,
                records=tuple(by_id[i][1] for i in record_ids),
            )
        )
    groups.sort(key=lambda g: (id_rank(g.primary), g.primary))
    return groups


def is_malicious(record: Record) -> bool:
    """Whether a record reports a malicious package (an OSV ``MAL-`` record or a manifest entry)."""
    return as_advisory(record).malicious


__all__ = [
    "ECOSYSTEM",
    "AdvisoryGroup",
    "Record",
    "RecordGroup",
    "admitted_versions",
    "affected_entries",
    "affects",
    "affects_all_versions",
    "candidate_versions",
    "common_fix",
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
