"""Every parser against every osv-scalibr fixture in ../shared/data (expected.json files).

Scalibr's range semantics are its own (``pkg>=1.0`` reports version ``1.0``), so versions are
compared only where the expectation is a pin (``==`` for manifests, any version for lockfiles);
names are always compared as a multiset. Deliberate differences are listed in DIFFERENCES
with the reason.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from conftest import SHARED_DATA, shared_data

from auditor.errors import ParseError
from auditor.model import MAIN_GROUP, LockedPackage, ParsedInput, Requirement, normalize_name
from auditor.sources.base import Source
from auditor.sources.pdm_lock import PdmLockSource
from auditor.sources.pipfile_lock import PipfileLockSource
from auditor.sources.poetry_lock import PoetryLockSource
from auditor.sources.pylock import PylockSource
from auditor.sources.pyproject import PyprojectSource
from auditor.sources.requirements import RequirementsSource
from auditor.sources.uv_lock import UvLockSource

LOCKFILES = SHARED_DATA / "fixtures" / "python-lockfiles"

SOURCES: dict[str, Source] = {
    "requirements": RequirementsSource(),
    "pyprojecttoml": PyprojectSource(),
    "pipfilelock": PipfileLockSource(),
    "poetrylock": PoetryLockSource(),
    "uvlock": UvLockSource(),
    "pdmlock": PdmLockSource(),
    "pylock": PylockSource(),
}

# (folder, file) -> (extra names we report, names whose version we do not compare, reason)
DIFFERENCES: dict[tuple[str, str], tuple[list[str], list[str], str]] = {
    ("requirements", "example.txt"): (
        ["urllib3", "numpy", "wxpython-phoenix"],
        [],
        "URL and path requirements are reported (name from the URL / wheel file name); "
        "scalibr skips them. A URL dependency is exactly what a supply-chain audit must see.",
    ),
    ("requirements", "invalid.txt"): (
        ["urllib3"],
        [],
        "'urllib3 @ https://.../==1.26.8.zip' is a valid PEP 508 URL requirement.",
    ),
    ("requirements", "per_req_options.txt"): (
        ["unexpected-text-before-options-stays-around"],
        ["foo7"],
        "'foo7==1.0 unexpected_text...' is two requirements on one line: we report a "
        "several-requirements issue and emit both (foo7==1.0 and the second name); scalibr "
        "glues the text into the version.",
    ),
    ("pipfilelock", "no-version.json"): (
        ["markupsafe", "itsdangerous"],
        [],
        "git entries without a version are reported with version None and the git ref as "
        "source_commit; scalibr skips them.",
    ),
}


def _cases() -> list[Any]:
    if not LOCKFILES.is_dir():
        return [pytest.param("absent", "absent", id="shared-data-absent")]
    cases = []
    for expected in sorted(LOCKFILES.glob("*/expected.json")):
        folder = expected.parent.name
        cases += [
            pytest.param(folder, name, id=f"{folder}/{name}")
            for name in json.loads(expected.read_text())["fixtures"]
        ]
    return cases


def _load(folder: str, name: str) -> dict[str, Any]:
    expected = json.loads(
        shared_data("fixtures", "python-lockfiles", folder, "expected.json").read_text()
    )
    case: dict[str, Any] = expected["fixtures"][name]
    return case


def _pinned(requirement: Requirement) -> str | None:
    spec = str(requirement.specifier)
    if spec.startswith("==") and "," not in spec and not spec.startswith("==="):
        return spec[2:]
    return None


def _groups_match(folder: str, expected: list[str], ours: tuple[str, ...]) -> bool:
    if folder in ("poetrylock", "pipfilelock"):
        if not expected:
            return MAIN_GROUP in ours
        return set(expected) == set(ours)
    if folder == "pdmlock":
        if not expected:
            return ours == (MAIN_GROUP,)
        if expected == ["dev"]:
            return "dev" in ours
        return MAIN_GROUP not in ours and "dev" not in ours  # scalibr's "optional"
    if folder == "uvlock":
        # scalibr lists only direct membership of the root's extras; we propagate groups
        # transitively, so each expected group must be among ours.
        return all(g in ours or f"optional:{g}" in ours for g in expected)
    return True


@pytest.mark.parametrize(("folder", "name"), _cases())
def test_fixture(folder: str, name: str) -> None:
    case = _load(folder, name)
    root = LOCKFILES / folder
    source = SOURCES[folder]
    if case["expect_error"]:
        with pytest.raises(ParseError) as info:
            source.parse(root, name)
        assert str(info.value).startswith(f"{name}")
        return
    parsed = source.parse(root, name)
    extra, unversioned, _reason = DIFFERENCES.get((folder, name), ([], [], ""))
    items = _items(parsed)
    names = Counter(normalize_name(n) for n, _v, _i in items)
    wanted = Counter(normalize_name(p["name"]) for p in case["packages"])
    wanted.update(extra)
    assert names == wanted

    for package in case["packages"]:
        norm = normalize_name(package["name"])
        mine = [item for n, _v, item in items if normalize_name(n) == norm]
        assert mine, package
        if folder in ("requirements", "pyprojecttoml"):
            _check_requirement(package, mine, skip_version=norm in unversioned)
        else:
            _check_locked(folder, package, mine)


def _items(parsed: ParsedInput) -> list[tuple[str, str | None, Any]]:
    items: list[tuple[str, str | None, Any]] = [
        (r.raw_name, _pinned(r), r) for r in parsed.requirements if not r.constraint
    ]
    items += [(p.raw_name, p.version, p) for p in parsed.packages if not p.is_root]
    return items


def _check_requirement(package: dict[str, Any], mine: list[Any], *, skip_version: bool) -> None:
    requirement = mine[0]
    assert isinstance(requirement, Requirement)
    if package.get("version_comparator") == "==" and not skip_version:
        assert _pinned(requirement) == package["version"]
    related = package.get("related_locations")
    if related:
        # Included requirements are located in the included file itself (the -r line is in
        # ParsedInput.includes' including file); scalibr reports the -r line instead.
        assert requirement.location.path == related[0]["file"]
        assert requirement.location.line == related[0]["line"]
    elif package.get("line") is not None:
        assert requirement.location.line == package["line"]
    hashes = package.get("hash_checking_mode_values")
    if hashes and not skip_version:
        assert list(requirement.hashes) == hashes


def _check_locked(folder: str, package: dict[str, Any], mine: list[Any]) -> None:
    candidates = [p for p in mine if p.version == (package["version"] or None)]
    assert candidates, (package, [p.version for p in mine])
    locked = candidates[0]
    assert isinstance(locked, LockedPackage)
    if package.get("line") is not None:
        assert locked.location.line == package["line"]
    if "dep_groups" in package:
        assert _groups_match(folder, package["dep_groups"], locked.groups), (
            package,
            locked.groups,
        )
    if package.get("source_commit"):
        assert locked.source_commit == package["source_commit"]


def test_fixtures_not_asserted_upstream_yield_no_packages() -> None:
    root = shared_data("fixtures", "python-lockfiles", "uvlock")
    for name in ("no-dependencies.lock", "no-packages.lock"):
        parsed = UvLockSource().parse(root, name)
        assert [p for p in parsed.packages if not p.is_root] == []


def test_every_fixture_file_is_exercised() -> None:
    root = shared_data("fixtures", "python-lockfiles")
    for expected in root.glob("*/expected.json"):
        data = json.loads(expected.read_text())
        listed = set(data["fixtures"]) | set(data.get("fixtures_not_asserted_upstream", {}))
        files = {p.name for p in expected.parent.iterdir() if p.name != "expected.json"}
        assert files <= listed, files - listed
