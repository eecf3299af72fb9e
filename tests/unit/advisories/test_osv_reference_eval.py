"""Range evaluation against the OSV schema's reference pseudo-code, on every shared PYSEC record.

`reference_vulnerable` below is a direct transcription of the schema's ``IsVulnerable`` /
``IncludedInRanges`` / ``BeforeLimits`` (https://ossf.github.io/osv-schema/#evaluation) over
`packaging.version`, written independently of `auditor.advisories.matching`. The choices the
pseudo-code leaves open are made explicit here: ``introduced: "0"`` sorts before every version;
at equal versions ``fixed``/``last_affected`` close their interval before an ``introduced``
opens the next; only ``ECOSYSTEM``/``SEMVER`` ranges are ordered (``GIT`` names commits); an
event or version that is not PEP 440 cannot be compared, so such an event is skipped and such
a version is only inside a range that no event can close (``introduced: "0"`` alone).
"""

from __future__ import annotations

import functools
import json
import re
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from packaging.version import InvalidVersion, Version

from auditor.advisories.advisory import parse_advisory
from auditor.advisories.matching import affects, record_affects

PYSEC_ZIP = Path("../shared/data/osv/pypi-advisory-database.zip")
ORDERED = ("ECOSYSTEM", "SEMVER")


@functools.cache
def _v(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _sorted_events(events: list[dict[str, str]]) -> list[tuple[str, str]]:
    """Flatten and sort events: introduced "0" first, then by version, closers before openers."""
    flat = [(kind, value) for event in events for kind, value in event.items()]
    keyed = []
    for kind, value in flat:
        if kind == "introduced" and value == "0":
            keyed.append(((0, Version("0"), 0), kind, value))
            continue
        version = _v(value)
        if version is None:
            continue  # not comparable: skipped
        keyed.append(((1, version, 1 if kind == "introduced" else 0), kind, value))
    keyed.sort(key=lambda item: item[0])
    return [(kind, value) for _key, kind, value in keyed]


def _before_limits(v: Version, events: list[dict[str, str]]) -> bool:
    limits = [_v(e["limit"]) for e in events if "limit" in e]
    if not limits:
        return True  # implicit "*"
    return any(limit is not None and v < limit for limit in limits)


def _included_in_range(v: Version | None, events: list[dict[str, str]]) -> bool:
    if v is None:
        # Nothing can be compared with v: only an "introduced 0" that no event can close.
        kinds = [(kind, value) for event in events for kind, value in event.items()]
        return ("introduced", "0") in kinds and all(kind == "introduced" for kind, _ in kinds)
    ordered = _sorted_events(events)
    if not _before_limits(v, events):
        return False
    vulnerable = False
    for kind, value in ordered:
        if kind == "introduced" and (value == "0" or v >= Version(value)):
            vulnerable = True
        elif kind == "fixed" and v >= Version(value):  # noqa: SIM114 - the pseudo-code's shape
            vulnerable = False
        elif kind == "last_affected" and v > Version(value):
            vulnerable = False
    return vulnerable


@functools.cache
def _parsed(listed: tuple[str, ...]) -> frozenset[Version]:
    return frozenset(v for v in map(_v, listed) if v is not None)


def reference_entry(affected: Mapping[str, Any], version: str) -> bool:
    """IncludedInVersions or IncludedInRanges for one ``affected`` entry."""
    v = _v(version)
    listed = tuple(affected.get("versions") or ())
    if version in listed or (v is not None and v in _parsed(listed)):
        return True
    for range_ in affected.get("ranges") or []:
        if range_.get("type") in ORDERED and _included_in_range(v, range_.get("events") or []):
            return True
    return False


def reference_vulnerable(record: Mapping[str, Any], name: str, version: str) -> bool:
    """IsVulnerable: any ``affected`` entry of the package includes the version."""
    if record.get("withdrawn"):
        return False
    return any(
        reference_entry(a, version)
        for a in record.get("affected") or []
        if re.sub(r"[-_.]+", "-", a["package"]["name"]).lower() == name
    )


def _neighbours(text: str) -> Iterator[str]:
    """The version itself and its ±1 neighbours in the last release component."""
    yield text
    version = _v(text)
    if version is None:
        return
    release = list(version.release)
    for step in (-1, 1):
        bumped = [*release[:-1], release[-1] + step]
        if bumped[-1] >= 0:
            yield ".".join(map(str, bumped))
    yield f"{version.base_version}.post1"
    if not version.is_prerelease:
        yield f"{version.base_version}rc1"


def _probe_versions(affected: Mapping[str, Any]) -> set[str]:
    probes: set[str] = set(affected.get("versions") or [])
    for range_ in affected.get("ranges") or []:
        for event in range_.get("events") or []:
            for value in event.values():
                if value != "0":
                    probes.update(_neighbours(value))
    probes.update(("0", "0.0.1"))
    return probes


def _records() -> list[dict[str, Any]]:
    if not PYSEC_ZIP.is_file():
        pytest.skip(f"{PYSEC_ZIP} is absent (run from the repo root with the shared data)")
    with zipfile.ZipFile(PYSEC_ZIP) as archive:
        return [json.loads(archive.read(n)) for n in archive.namelist() if n.endswith(".json")]


def test_every_pysec_record_matches_the_reference_algorithm() -> None:
    records = _records()
    compared = 0
    mismatches: list[tuple[str, str, str, bool, bool]] = []
    for raw in records:
        advisory = parse_advisory(raw)
        for entry_raw, entry in zip(raw.get("affected") or [], advisory.affected, strict=True):
            name = entry.key
            for version in sorted(_probe_versions(entry_raw)):
                expected = reference_entry(entry_raw, version)
                got = affects(entry, version)
                if entry.every_version:
                    expected = True  # Auditor's documented reading of an empty entry
                compared += 1
                if got != expected:
                    mismatches.append((raw["id"], name, version, got, expected))
                whole = reference_vulnerable(raw, name, version)
                if record_affects(advisory, name, version) != whole:
                    mismatches.append((raw["id"], name, version, not whole, whole))
    assert len(records) > 2000
    assert compared > 50_000
    assert mismatches == []


@pytest.mark.parametrize(
    ("events", "version", "expected"),
    [
        # fixed and introduced at the same version: 1.1 is inside the second interval.
        (
            [{"introduced": "0"}, {"fixed": "1.1"}, {"introduced": "1.1"}, {"fixed": "1.3"}],
            "1.1",
            True,
        ),
        (
            [{"introduced": "1.1"}, {"fixed": "1.3"}, {"introduced": "0"}, {"fixed": "1.1"}],
            "1.1",
            True,
        ),
        (
            [{"introduced": "0"}, {"fixed": "1.1"}, {"introduced": "1.2"}, {"fixed": "1.3"}],
            "1.1",
            False,
        ),
        # last_affected then introduced at the same version, probed above it.
        (
            [
                {"introduced": "0"},
                {"last_affected": "1.0"},
                {"introduced": "1.0"},
                {"fixed": "2.0"},
            ],
            "1.5",
            True,
        ),
        ([{"introduced": "0"}, {"last_affected": "1.0"}], "1.0", True),
        ([{"introduced": "0"}, {"last_affected": "1.0"}], "1.0.post1", False),
        ([{"introduced": "0"}, {"limit": "2.0"}], "1.9", True),
        ([{"introduced": "0"}, {"limit": "2.0"}], "2.0", False),
        ([{"introduced": "0"}], "0.0.dev0", True),
        ([{"introduced": "0"}], "not-a-version", True),
        ([{"introduced": "0"}, {"fixed": "1.0"}], "not-a-version", False),
    ],
)
def test_reference_cases(events: list[dict[str, str]], version: str, expected: bool) -> None:
    entry = {
        "package": {"ecosystem": "PyPI", "name": "p"},
        "ranges": [{"type": "ECOSYSTEM", "events": events}],
    }
    assert reference_entry(entry, version) is expected
    assert affects(entry, version) is expected
