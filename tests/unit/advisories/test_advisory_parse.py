"""OSV records parsed into `Advisory` values, key-path errors (auditor.advisories.advisory)."""

from __future__ import annotations

import copy
import json
import zipfile
from typing import Any

import pytest
from conftest import shared_data

from auditor.advisories.advisory import (
    Advisory,
    AdvisoryFormatError,
    Event,
    SeverityEntry,
    parse_advisory,
)
from auditor.advisories.matching import (
    affects_all_versions,
    fixed_versions,
    group_aliases,
    is_malicious,
    record_affects,
    smallest_fix,
)
from auditor.advisories.severity import record_severity
from auditor.model import Severity

V3_CRITICAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"


def good() -> dict[str, Any]:
    return {
        "id": "PYSEC-1",
        "modified": "2024-01-01T00:00:00Z",
        "aliases": ["CVE-1", "GHSA-1"],
        "summary": "A flaw",
        "details": "More words",
        "severity": [{"type": "CVSS_V3", "score": V3_CRITICAL}],
        "database_specific": {"severity": "HIGH", "anything": [1, None]},
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "Demo_Pkg"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0.1"},
                                                     {"introduced": "1.0"}, {"fixed": "1.2.5"}]},
                    {"type": "GIT", "repo": "https://x", "events": [{"introduced": "0"},
                                                                    {"fixed": "abc123"}]},
                ],
                "versions": ["1.0", "1.1"],
                "ecosystem_specific": "free-form",
            },
            {"package": {"ecosystem": "npm", "name": "demo-pkg"}, "ranges": []},
        ],
    }  # fmt: skip


def test_parse_reads_the_fields_auditor_uses() -> None:
    advisory = parse_advisory(good())
    assert (advisory.id, advisory.aliases, advisory.summary) == ("PYSEC-1", ("CVE-1", "GHSA-1"),
                                                                 "A flaw")  # fmt: skip
    assert advisory.severity == (SeverityEntry("CVSS_V3", V3_CRITICAL),)
    assert advisory.database_severity == "HIGH"
    assert not advisory.is_withdrawn
    assert not advisory.malicious
    (entry,) = advisory.entries_for("demo.pkg")
    assert (entry.name, entry.key, entry.versions) == ("Demo_Pkg", "demo-pkg", ("1.0", "1.1"))
    assert entry.ranges[0].events[1] == Event("fixed", "2.0.1")
    assert [r.ordered for r in entry.ranges] == [True, False]
    # Fixed versions: ordered ranges only (not the GIT commit), PEP 440 sorted.
    assert entry.fixed == ("1.2.5", "2.0.1")
    assert advisory.fixed_for("DEMO-PKG") == ["1.2.5", "2.0.1"]
    assert advisory.fixed_for("other") == []


def test_parsed_and_raw_forms_match_alike() -> None:
    raw = good()
    advisory = parse_advisory(raw)
    for version in ("0.5", "1.1", "1.2.5", "1.5", "2.0", "2.0.1", "not a version"):
        assert record_affects(advisory, "demo-pkg", version) is record_affects(
            raw, "demo-pkg", version
        )
    assert record_affects(advisory, "demo-pkg", "1.1")
    assert not record_affects(advisory, "demo-pkg", "2.0.1")
    assert fixed_versions(advisory, "demo-pkg") == fixed_versions(raw, "demo-pkg")
    assert (
        smallest_fix([advisory], "demo-pkg", "1.1")
        == smallest_fix([raw], "demo-pkg", "1.1")
        == "1.2.5"
    )
    assert not affects_all_versions(advisory, "demo-pkg")
    assert record_severity(advisory) == record_severity(raw)
    assert record_severity(advisory)[0] is Severity.CRITICAL


def test_group_aliases_keeps_the_parsed_values() -> None:
    first = parse_advisory(good())
    second = parse_advisory({**good(), "id": "GHSA-1", "aliases": ["CVE-1"]})
    (group,) = group_aliases([second, first])
    assert group.primary == "PYSEC-1"
    assert group.record_ids == ("PYSEC-1", "GHSA-1")
    assert group.records == (first, second)
    assert all(isinstance(r, Advisory) for r in group.records)


def test_withdrawn_and_malicious() -> None:
    withdrawn = parse_advisory({**good(), "withdrawn": "2024-02-01T00:00:00Z"})
    assert withdrawn.is_withdrawn
    assert not record_affects(withdrawn, "demo-pkg", "1.1")
    assert parse_advisory({"id": "MAL-2024-1"}).malicious
    assert is_malicious(parse_advisory({"id": "GHSA-x", "aliases": ["MAL-2024-1"]}))
    manifest = {"id": "src:x", "database_specific": {"auditor": {"kind": "malicious"}}}
    assert parse_advisory(manifest).malicious


def test_nulls_read_as_absent() -> None:
    advisory = parse_advisory({"id": "X", "aliases": None, "summary": None, "affected": None,
                               "withdrawn": None, "database_specific": None})  # fmt: skip
    assert (advisory.aliases, advisory.summary, advisory.affected) == ((), "", ())
    assert not advisory.is_withdrawn


def _set(path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    data = good()
    target: Any = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return data


def _append(path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    data = good()
    target: Any = data
    for key in path:
        target = target[key]
    target.append(value)
    return data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "expected an OSV record (a JSON object)"),
        ({"affected": []}, "id: expected a non-empty string"),
        (_set(("id",), 12), "id: expected a non-empty string"),
        (_set(("affected",), {"package": {}}), "affected: expected a list"),
        (_set(("affected", 1), "demo"), "affected[1]: expected an object"),
        (_set(("affected", 0, "package"), ["PyPI", "demo"]),
         "affected[0].package: expected an object"),
        (_set(("affected", 0, "package", "name"), 5),
         "affected[0].package.name: expected a string"),
        (_set(("affected", 0, "ranges"), "ECOSYSTEM"), "affected[0].ranges: expected a list"),
        (_append(("affected", 0, "ranges"), "garbage"),
         "affected[0].ranges[2]: expected an object"),
        (_set(("affected", 0, "ranges", 1, "type"), None),
         "affected[0].ranges[1].type: expected a string"),
        (_set(("affected", 0, "ranges", 0, "events"), {"introduced": "0"}),
         "affected[0].ranges[0].events: expected a list"),
        (_set(("affected", 0, "ranges", 1, "events", 1), "abc123"),
         "affected[0].ranges[1].events[1]: expected an object"),
        (_set(("affected", 0, "ranges", 0, "events", 2), {"introduced": 1.0}),
         "affected[0].ranges[0].events[2].introduced: expected a non-empty version string"),
        (_set(("affected", 0, "ranges", 0, "events", 3), {"fixed": ""}),
         "affected[0].ranges[0].events[3].fixed: expected a non-empty version string"),
        (_set(("affected", 0, "ranges", 0, "events", 0), {"introduced": "0", "fixed": None,
                                                           "note": "x"}), None),
        (_set(("affected", 0, "ranges", 0, "events", 0), {"note": "x"}),
         "affected[0].ranges[0].events[0]: expected one of introduced, fixed, last_affected, "
         "limit"),
        (_set(("affected", 0, "versions", 1), 1.1), "affected[0].versions[1]: expected a string"),
        (_set(("affected", 0, "versions"), "1.0"), "affected[0].versions: expected a list"),
        (_set(("aliases",), "CVE-1"), "aliases: expected a list"),
        (_set(("aliases", 0), {"id": "CVE-1"}), "aliases[0]: expected a string"),
        (_set(("severity", 0), "CVSS:3.1/AV:N"), "severity[0]: expected an object"),
        (_set(("severity", 0, "score"), 9.8), "severity[0].score: expected a string"),
        (_set(("affected", 0, "severity"), [{"type": 3}]),
         "affected[0].severity[0].type: expected a string"),
        (_set(("summary",), ["A flaw"]), "summary: expected a string"),
        (_set(("modified",), 20240101), "modified: expected a string"),
        (_set(("withdrawn",), True), "withdrawn: expected a timestamp string"),
        # Free-form by the schema: never an error.
        (_set(("database_specific",), "not an object"), None),
        (_set(("affected", 0, "ecosystem_specific"), [1, 2]), None),
    ],
)  # fmt: skip
def test_malformed_records_name_the_key_path(data: Any, message: str | None) -> None:
    if message is None:
        assert parse_advisory(data).id == "PYSEC-1"
        return
    with pytest.raises(AdvisoryFormatError) as caught:
        parse_advisory(data)
    assert str(caught.value) == message
    assert caught.value.path == (message.split(": ", 1)[0] if ": " in message else "")


def test_lenient_parse_skips_malformed_parts() -> None:
    data = _append(("affected", 0, "ranges"), "garbage")
    data["affected"][0]["ranges"][0]["events"].append(7)
    data["affected"][0]["versions"].append(None)
    data["aliases"].append(3)
    advisory = parse_advisory(data, strict=False)
    (entry,) = advisory.entries_for("demo-pkg")
    assert len(entry.ranges) == 2
    assert entry.versions == ("1.0", "1.1")
    assert advisory.aliases == ("CVE-1", "GHSA-1")
    # A junk ranges value does not make the entry cover every version.
    junk = parse_advisory({"id": "X", "affected": [{"package": {"ecosystem": "PyPI", "name": "d"},
                                                    "ranges": "junk"}]}, strict=False)  # fmt: skip
    assert not record_affects(junk, "d", "1.0")
    bare = {"id": "Y", "affected": [{"package": {"ecosystem": "PyPI", "name": "d"}}]}
    assert record_affects(bare, "d", "1.0")  # no ranges and no versions: every version


def test_parse_does_not_change_its_input() -> None:
    data = good()
    before = copy.deepcopy(data)
    parse_advisory(data)
    assert data == before


def test_every_record_of_the_real_database_parses() -> None:
    path = shared_data("osv", "pypi-advisory-database.zip")
    with zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist() if n.endswith(".json")]
        for name in names:
            advisory = parse_advisory(json.loads(archive.read(name)))
            assert advisory.id == name.rsplit("/", 1)[-1].removesuffix(".json")
    assert len(names) == 2661
