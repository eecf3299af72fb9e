"""An OSV record parsed once into frozen, typed values (`Advisory`), with key-path errors.

`parse_advisory` checks the shape the OSV schema gives each field Auditor reads and raises
`AdvisoryFormatError` naming the first bad key (``affected[0].ranges[1].events[2]: expected an
object``). Fields Auditor does not read are not checked; ``database_specific`` and
``ecosystem_specific`` are free-form by the schema and only ever read where they fit. A JSON
``null`` reads as an absent field.

`parse_advisory(data, strict=False)` is the lenient reading the raw-dict helpers of
`auditor.advisories.matching` use: malformed parts are skipped, as those helpers always did.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from packaging.version import InvalidVersion, Version

from auditor.model import normalize_name

ECOSYSTEM = "PyPI"
EVENT_KINDS = ("introduced", "fixed", "last_affected", "limit")
ORDERED_RANGES = frozenset({"ECOSYSTEM", "SEMVER"})
_EVENT_KIND_SET = frozenset(EVENT_KINDS)
_ZERO = Version("0")


class AdvisoryFormatError(ValueError):
    """An OSV record whose shape is not the schema's; `path` names the offending key."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}" if path else problem)
        self.path = path
        self.problem = problem


@functools.lru_cache(maxsize=65536)
@functools.lru_cache(maxsize=65536)
def parse_version(text: str) -> Version | None:
    """Parse a PEP 440 version, or return None when `text` is not one (memoised: immutable)."""
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _version_sort_key(text: str) -> tuple[int, Version, str]:
    parsed = parse_version(text)
    return (0, parsed, text) if parsed is not None else (1, _ZERO, text)


def sort_versions(versions: Iterable[str]) -> list[str]:
    """Sort versions by PEP 440 order; unparsable ones go last, in text order."""
    return sorted(set(versions), key=_version_sort_key)


@dataclass(frozen=True, slots=True)
class Event:
    """One range event: `kind` is ``introduced``, ``fixed``, ``last_affected`` or ``limit``."""

    kind: str
    version: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AffectedRange:
    """One ``ranges`` entry: its type (``ECOSYSTEM``, ``SEMVER``, ``GIT`` ...) and events."""

    type: str
    events: tuple[Event, ...] = ()

    @property
    def ordered(self) -> bool:
        """Whether the events are release versions (``ECOSYSTEM``/``SEMVER``, not commits)."""
        return self.type in ORDERED_RANGES


@dataclass(frozen=True, slots=True)
class SeverityEntry:
    """One ``severity`` entry: a scoring type (``CVSS_V3`` ...) and its vector."""

    type: str
    score: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AffectedPackage:
    """One ``affected`` entry: the package, its ranges, versions list and ``fixed`` versions.

    `every_version` is True when the entry gives neither ranges nor versions (read, as
    osv-scanner does, as every release affected). `fixed` holds the ``fixed`` events of the
    ordered ranges, PEP 440 sorted.
    """

    ecosystem: str = ""
    name: str = ""
    key: str = ""
    ranges: tuple[AffectedRange, ...] = ()
    versions: tuple[str, ...] = ()
    fixed: tuple[str, ...] = ()
    severity: tuple[SeverityEntry, ...] = ()
    every_version: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Advisory:
    """One OSV record, as much of it as Auditor reads.

    `database_severity` is the database's own label (``database_specific.severity``);
    `feed_kind` is ``database_specific.auditor.kind`` (``malicious`` for imported lists).
    """

    id: str
    modified: str = ""
    aliases: tuple[str, ...] = ()
    summary: str = ""
    details: str = ""
    affected: tuple[AffectedPackage, ...] = ()
    severity: tuple[SeverityEntry, ...] = ()
    database_severity: str | None = None
    feed_kind: str | None = None
    withdrawn: str | None = None

    @property
    def is_withdrawn(self) -> bool:
        """Whether the database withdrew the record (it must be ignored)."""
        return bool(self.withdrawn)

    @property
    def malicious(self) -> bool:
        """Whether it reports a malicious package (a ``MAL-`` id or alias, or a manifest entry)."""
        return (
            self.id.startswith("MAL-")
            or any(a.startswith("MAL-") for a in self.aliases)
            or self.feed_kind == "malicious"
        )

    def entries_for(self, name: str) -> tuple[AffectedPackage, ...]:
        """Return the ``affected`` entries for PyPI package `name` (any spelling)."""
        key = normalize_name(name)
        return tuple(a for a in self.affected if a.ecosystem == ECOSYSTEM and a.key == key)

    def fixed_for(self, name: str) -> list[str]:
        """Return the ``fixed`` versions of the ordered ranges for `name`, PEP 440 sorted."""
        found = [v for entry in self.entries_for(name) for v in entry.fixed]
        return sort_versions(found) if len(found) > 1 else found


@dataclass(frozen=True, slots=True, kw_only=True)
class MalformedRecord:
    """A record that could not be parsed: its id, and the problem (key path first)."""

    id: str
    problem: str
    modified: str = ""


# -- parsing ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=65536)
def _event(kind: str, version: str) -> Event:
    """Return the one shared `Event` for (kind, version): records repeat them a lot."""
    return Event(kind, version)


def _non_empty(items: tuple[str, ...]) -> tuple[str, ...]:
    return items if "" not in items else tuple(i for i in items if i)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


@dataclass(frozen=True, slots=True)
class _Reader:
    """Reads one record; `strict` raises on the first bad key, otherwise the part is skipped."""

    strict: bool

    def bad(self, path: str, problem: str) -> None:
        if self.strict:
            raise AdvisoryFormatError(path, problem)

    def text(self, data: Mapping[str, Any], key: str, path: str) -> str:
        value = data.get(key)
        if isinstance(value, str):
            return value
        if value is not None:
            self.bad(_join(path, key), "expected a string")
        return ""

    def items(self, data: Mapping[str, Any], key: str, path: str) -> list[Any]:
        value = data.get(key)
        if isinstance(value, list):
            return value
        if value is not None:
            self.bad(_join(path, key), "expected a list")
        return []

    def strings(self, data: Mapping[str, Any], key: str, path: str) -> tuple[str, ...]:
        items = self.items(data, key, path)
        try:
            "".join(items)  # the common case (only strings), checked at C speed
        except TypeError:
            pass
        else:
            return tuple(items)
        found: list[str] = []
        for index, item in enumerate(items):
            if isinstance(item, str):
                found.append(item)
            else:
                self.bad(f"{_join(path, key)}[{index}]", "expected a string")
        return tuple(found)

    def severity(self, data: Mapping[str, Any], path: str) -> tuple[SeverityEntry, ...]:
        found: list[SeverityEntry] = []
        for index, item in enumerate(self.items(data, "severity", path)):
            where = f"{_join(path, 'severity')}[{index}]"
            if not isinstance(item, dict):
                self.bad(where, "expected an object")
                continue
            kind, score = item.get("type"), item.get("score")
            if not isinstance(kind, str):
                self.bad(f"{where}.type", "expected a string")
            elif not isinstance(score, str):
                self.bad(f"{where}.score", "expected a string")
            else:
                found.append(SeverityEntry(kind, score))
        return tuple(found)

    def event(self, item: Any, path: str) -> list[Event]:
        if not isinstance(item, dict):
            self.bad(path, "expected an object")
            return []
        found: list[Event] = []
        for kind in EVENT_KINDS:
            value = item.get(kind)
            if value is None:
                continue
            if isinstance(value, str) and value:
                found.append(_event(kind, value))
            else:
                self.bad(f"{path}.{kind}", "expected a non-empty version string")
        if not found:
            self.bad(path, "expected one of " + ", ".join(EVENT_KINDS))
        return found

    def range_(self, item: Any, parent: str, index: int) -> AffectedRange | None:
        if not isinstance(item, dict):
            self.bad(f"{parent}.ranges[{index}]", "expected an object")
            return None
        kind = item.get("type")
        if not isinstance(kind, str):
            self.bad(f"{parent}.ranges[{index}].type", "expected a string")
            return None
        raw = item.get("events")
        if type(raw) is list:  # the common case, quickly: a list of {kind: "version"} objects
            pairs = [p for e in raw if type(e) is dict and len(e) == 1 for p in e.items()]
            if len(pairs) == len(raw) and all(
                k in _EVENT_KIND_SET and type(v) is str and v for k, v in pairs
            ):
                return AffectedRange(type=kind, events=tuple(itertools.starmap(_event, pairs)))
        path = f"{parent}.ranges[{index}]"
        events: list[Event] = []
        for position, event in enumerate(self.items(item, "events", path)):
            events.extend(self.event(event, f"{path}.events[{position}]"))
        return AffectedRange(type=kind, events=tuple(events))

    def affected(self, item: Any, path: str) -> AffectedPackage | None:
        if not isinstance(item, dict):
            self.bad(path, "expected an object")
            return None
        ecosystem = name = ""
        package = item.get("package")
        if isinstance(package, dict):
            where = f"{path}.package"
            ecosystem = self.text(package, "ecosystem", where)
            name = self.text(package, "name", where)
        elif package is not None:
            self.bad(f"{path}.package", "expected an object")
        ranges: list[AffectedRange] = []
        for index, raw in enumerate(self.items(item, "ranges", path)):
            parsed = self.range_(raw, path, index)
            if parsed is not None:
                ranges.append(parsed)
        versions = self.strings(item, "versions", path)
        fixed = [e.version for r in ranges if r.ordered for e in r.events if e.kind == "fixed"]
        return AffectedPackage(
            ecosystem=ecosystem,
            name=name,
            key=normalize_name(name) if name else "",
            ranges=tuple(ranges),
            versions=versions,
            fixed=tuple(sort_versions(fixed) if len(fixed) > 1 else fixed),
            severity=self.severity(item, path),
            # From the raw fields, so junk there (skipped when lenient) never widens the entry.
            every_version=not item.get("ranges") and not item.get("versions"),
        )

    def advisory(self, data: Any) -> Advisory:
        if not isinstance(data, dict) and not isinstance(data, Mapping):
            raise AdvisoryFormatError("", "expected an OSV record (a JSON object)")
        rid = data.get("id")
        if not isinstance(rid, str) or not rid:
            self.bad("id", "expected a non-empty string")
            rid = "" if rid is None else str(rid)
        affected: list[AffectedPackage] = []
        for index, item in enumerate(self.items(data, "affected", "")):
            parsed = self.affected(item, f"affected[{index}]")
            if parsed is not None:
                affected.append(parsed)
        withdrawn = data.get("withdrawn")
        if withdrawn is not None and not isinstance(withdrawn, str):
            self.bad("withdrawn", "expected a timestamp string")
            withdrawn = str(withdrawn) if withdrawn else None
        specific = data.get("database_specific")
        label = kind = None
        if isinstance(specific, dict):
            label = specific.get("severity") if isinstance(specific.get("severity"), str) else None
            ours = specific.get("auditor")
            if isinstance(ours, dict) and isinstance(ours.get("kind"), str):
                kind = ours["kind"]
        return Advisory(
            id=rid,
            modified=self.text(data, "modified", ""),
            aliases=_non_empty(self.strings(data, "aliases", "")),
            summary=self.text(data, "summary", ""),
            details=self.text(data, "details", ""),
            affected=tuple(affected),
            severity=self.severity(data, ""),
            database_severity=label,
            feed_kind=kind,
            withdrawn=withdrawn or None,
        )


_STRICT = _Reader(strict=True)
_LENIENT = _Reader(strict=False)


def parse_advisory(data: Any, *, strict: bool = True) -> Advisory:
    """Parse one OSV record.

    Args:
        data: the record, as decoded from JSON.
        strict: raise on the first malformed field (default); False skips malformed parts.

    Raises:
        AdvisoryFormatError: the record (or, when `strict`, one of its fields) is malformed;
            the message starts with the key path.
    """
    return (_STRICT if strict else _LENIENT).advisory(data)


def parse_affected(data: Any, *, strict: bool = True) -> AffectedPackage:
    """Parse one ``affected`` entry on its own (error paths start at ``affected``)."""
    parsed = (_STRICT if strict else _LENIENT).affected(data, "affected")
    if parsed is None:
        raise AdvisoryFormatError("affected", "expected an object")
    return parsed


def as_advisory(record: Advisory | Mapping[str, Any]) -> Advisory:
    """Return `record` as an `Advisory`, reading a raw dict leniently."""
    return record if isinstance(record, Advisory) else parse_advisory(record, strict=False)


__all__ = [
    "ECOSYSTEM",
    "EVENT_KINDS",
    "ORDERED_RANGES",
    "Advisory",
    "AdvisoryFormatError",
    "AffectedPackage",
    "AffectedRange",
    "Event",
    "MalformedRecord",
    "SeverityEntry",
    "as_advisory",
    "parse_advisory",
    "parse_affected",
    "parse_version",
    "sort_versions",
]
