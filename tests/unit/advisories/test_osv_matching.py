"""OSV range matching, alias merging and fix selection (auditor.advisories.matching)."""

from __future__ import annotations

import json
import zipfile
from typing import Any

import pytest
from conftest import shared_data
from hypothesis import given
from hypothesis import strategies as st

from auditor.advisories.matching import (
    admitted_versions,
    affects,
    affects_all_versions,
    group_aliases,
    is_malicious,
    order_ids,
    record_affects,
    smallest_fix,
)


def entry(
    *events: dict[str, str], versions: list[str] | None = None, kind: str = "ECOSYSTEM"
) -> dict[str, Any]:
    data: dict[str, Any] = {"package": {"ecosystem": "PyPI", "name": "demo"}}
    if events:
        data["ranges"] = [{"type": kind, "events": list(events)}]
    if versions is not None:
        data["versions"] = versions
    return data


def record(
    rid: str, *affected: dict[str, Any], aliases: list[str] | None = None, **extra: Any
) -> dict[str, Any]:
    return {"id": rid, "modified": "2024-01-01T00:00:00Z", "aliases": aliases or [],
            "affected": list(affected), **extra}  # fmt: skip


@pytest.mark.parametrize(
    ("affected", "version", "expected"),
    [
        (entry({"introduced": "0"}, {"fixed": "2.0"}), "1.9", True),
        (entry({"introduced": "0"}, {"fixed": "2.0"}), "2.0", False),
        (entry({"introduced": "0"}, {"fixed": "2.0"}), "2.0.1", False),
        (entry({"introduced": "1.0"}, {"fixed": "2.0"}), "0.9", False),
        (entry({"introduced": "1.0"}, {"fixed": "2.0"}), "1.0", True),
        (entry({"introduced": "1.0"}, {"last_affected": "1.5"}), "1.5", True),
        (entry({"introduced": "1.0"}, {"last_affected": "1.5"}), "1.5.1", False),
        (entry({"introduced": "0"}), "99.0", True),
        (entry({"introduced": "0"}, {"limit": "3.0"}), "2.9", True),
        (entry({"introduced": "0"}, {"limit": "3.0"}), "3.0", False),
        # Two introduced/fixed pairs in one range: the hole between them is not affected.
        (entry({"introduced": "1.0"}, {"fixed": "1.2"}, {"introduced": "2.0"}, {"fixed": "2.1"}),
         "1.5", False),
        (entry({"introduced": "1.0"}, {"fixed": "1.2"}, {"introduced": "2.0"}, {"fixed": "2.1"}),
         "2.0.5", True),
        # PEP 440 ordering, not text ordering.
        (entry({"introduced": "0"}, {"fixed": "1.10"}), "1.9", True),
        (entry({"introduced": "0"}, {"fixed": "1.10"}), "1.10.0", False),
        (entry({"introduced": "0"}, {"fixed": "2.0"}), "2.0rc1", True),
        # Explicit versions list (normalised comparison) and GIT ranges ignored.
        (entry(versions=["0.12.01"]), "0.12.1", True),
        (entry({"introduced": "0"}, {"fixed": "abc123"}, kind="GIT"), "1.0", False),
        (entry({"introduced": "0"}, {"fixed": "abc123"}, kind="GIT", versions=["1.0"]), "1.0",
         True),
        # Non-PEP 440 versions never raise; only the list can match them.
        (entry({"introduced": "0"}, {"fixed": "2.0"}), "not-a-version!", False),
        (entry({"introduced": "0"}, versions=["weird_1"]), "weird_1", True),
        (entry({"introduced": "banana"}, {"fixed": "2.0"}), "1.0", False),
        # Neither ranges nor versions: every version (as osv-scanner reads it).
        (entry(), "1.0", True),
    ],
)  # fmt: skip
def test_affects(affected: dict[str, Any], version: str, expected: bool) -> None:
    assert affects(affected, version) is expected


def test_specific_fields_are_ignored_safely() -> None:
    data = entry({"introduced": "0"}, {"fixed": "2.0"})
    data["database_specific"] = {"anything": [1, {"x": None}]}
    data["ecosystem_specific"] = "not even an object"
    data["ranges"].append({"type": "ECOSYSTEM", "events": "garbage"})
    data["ranges"].append("garbage")
    assert affects(data, "1.0")
    assert not affects(data, "2.0")


def test_multiple_affected_entries_and_other_packages() -> None:
    rec = record(
        "PYSEC-1",
        entry({"introduced": "0"}, {"fixed": "1.0"}),
        entry({"introduced": "3.0"}, {"fixed": "3.2"}),
        {"package": {"ecosystem": "npm", "name": "demo"}, "ranges": []},
    )
    assert record_affects(rec, "Demo", "0.5")
    assert record_affects(rec, "DEMO", "3.1")
    assert not record_affects(rec, "demo", "2.0")
    assert not record_affects(rec, "other", "0.5")


def test_withdrawn_records_are_dropped() -> None:
    rec = record("PYSEC-1", entry({"introduced": "0"}), withdrawn="2024-01-01T00:00:00Z")
    assert not record_affects(rec, "demo", "1.0")
    assert not affects_all_versions(rec, "demo")


version_parts = st.tuples(st.integers(0, 30), st.integers(0, 30), st.integers(0, 30))


def _text(parts: tuple[int, int, int]) -> str:
    return ".".join(str(p) for p in parts)


@given(st.lists(version_parts, min_size=3, max_size=3, unique=True))
def test_property_between_introduced_and_fixed(points: list[tuple[int, int, int]]) -> None:
    low, middle, high = (_text(p) for p in sorted(points))
    affected = entry({"introduced": low}, {"fixed": high})
    assert affects(affected, low)
    assert affects(affected, middle)
    assert not affects(affected, high)


@given(version_parts, version_parts)
def test_property_at_or_after_fixed_is_not_affected(
    fix: tuple[int, int, int], extra: tuple[int, int, int]
) -> None:
    fixed = _text(fix)
    later = ".".join(str(a + b) for a, b in zip(fix, extra, strict=True))
    affected = entry({"introduced": "0"}, {"fixed": fixed})
    assert not affects(affected, fixed)
    assert not affects(affected, later)


@given(st.text(max_size=20))
def test_property_any_text_version_never_raises(version: str) -> None:
    affected = entry({"introduced": "1.0"}, {"fixed": "2.0"}, versions=["1.5"])
    assert affects(affected, version) in (True, False)


def test_alias_merging_one_group_primary_first() -> None:
    pysec = record("PYSEC-2018-28", entry({"introduced": "0"}, {"fixed": "2.20.0"}),
                   aliases=["CVE-2018-18074", "GHSA-x84v-xcm2-53pg"])  # fmt: skip
    ghsa = record("GHSA-x84v-xcm2-53pg", entry({"introduced": "0"}, {"fixed": "2.20.0"}),
                  aliases=["CVE-2018-18074"])  # fmt: skip
    other = record("PYSEC-2023-74", entry({"introduced": "2.3.0"}, {"fixed": "2.31.0"}))
    groups = group_aliases([ghsa, other, pysec])
    assert [g.ids for g in groups] == [
        ("PYSEC-2018-28", "GHSA-x84v-xcm2-53pg", "CVE-2018-18074"),
        ("PYSEC-2023-74",),
    ]
    assert groups[0].record_ids == ("PYSEC-2018-28", "GHSA-x84v-xcm2-53pg")


def test_alias_merging_is_transitive_through_a_shared_cve() -> None:
    a = record("PYSEC-1", entry(), aliases=["CVE-1"])
    b = record("GHSA-b", entry(), aliases=["CVE-1"])
    c = record("OSV-c", entry(), aliases=["GHSA-b"])
    (group,) = group_aliases([a, b, c])
    assert group.primary == "PYSEC-1"
    assert set(group.ids) == {"PYSEC-1", "GHSA-b", "CVE-1", "OSV-c"}


def test_same_id_twice_keeps_newest() -> None:
    old = record("PYSEC-1", entry(), summary="old")
    new = {**record("PYSEC-1", entry(), summary="new"), "modified": "2025-01-01T00:00:00Z"}
    (group,) = group_aliases([old, new])
    assert group.records[0]["summary"] == "new"


def test_order_ids() -> None:
    assert order_ids(["CVE-1", "GHSA-a", "PYSEC-9", "OSV-1"]) == [
        "PYSEC-9", "GHSA-a", "OSV-1", "CVE-1"]  # fmt: skip
    assert order_ids(["CVE-1", "GHSA-a"], primary="CVE-1") == ["CVE-1", "GHSA-a"]


def test_smallest_fix_clears_every_merged_advisory() -> None:
    a = record("PYSEC-1", entry({"introduced": "0"}, {"fixed": "1.2"}))
    b = record("GHSA-1", entry({"introduced": "0"}, {"fixed": "1.4"}))
    assert smallest_fix([a, b], "demo", "1.0") == "1.4"
    assert smallest_fix([a], "demo", "1.0") == "1.2"
    branches = record("PYSEC-2", entry({"introduced": "1.0"}, {"fixed": "1.0.5"},
                                       {"introduced": "2.0"}, {"fixed": "2.0.3"}))  # fmt: skip
    assert smallest_fix([branches], "demo", "2.0.1") == "2.0.3"
    assert smallest_fix([record("X", entry({"introduced": "0"}))], "demo", "1.0") is None


def test_admitted_versions() -> None:
    rec = record("PYSEC-1", entry({"introduced": "1.0"}, {"fixed": "1.3"},
                                  versions=["1.0", "1.1", "1.2", "1.3rc1"]))  # fmt: skip
    assert admitted_versions([rec], "demo", ">=1.1") == ["1.1", "1.2"]
    assert admitted_versions([rec], "demo", ">=1.3") == []
    assert admitted_versions([rec], "demo", "") == ["1.0", "1.1", "1.2"]
    assert admitted_versions([rec], "demo", ">=1.3rc1") == ["1.3rc1"]
    assert admitted_versions([rec], "demo", "not a spec") is None


def test_malicious_detection() -> None:
    assert is_malicious({"id": "MAL-2024-1"})
    assert is_malicious({"id": "GHSA-x", "aliases": ["MAL-2024-1"]})
    assert is_malicious({"id": "src:x", "database_specific": {"auditor": {"kind": "malicious"}}})
    assert not is_malicious({"id": "PYSEC-1", "database_specific": {"auditor": "x"}})


def _real(rid: str) -> dict[str, Any]:
    path = shared_data("osv", "pypi-advisory-database.zip")
    with zipfile.ZipFile(path) as archive:
        data: dict[str, Any] = json.loads(archive.read(f"{rid}.json"))
    return data


def test_real_record_requests_2_19_0() -> None:
    rec = _real("PYSEC-2018-28")
    assert record_affects(rec, "requests", "2.19.0")
    assert record_affects(rec, "Requests", "2.19.1")
    assert not record_affects(rec, "requests", "2.20.0")
    assert smallest_fix([rec], "requests", "2.19.0") == "2.20.0"


def test_real_record_with_git_and_ecosystem_ranges() -> None:
    rec = _real("PYSEC-2021-335")
    name = rec["affected"][0]["package"]["name"]
    listed = rec["affected"][0].get("versions") or []
    for version in listed[:5]:
        assert record_affects(rec, name, version)
