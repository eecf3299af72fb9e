"""End to end: parsed advisories feed AUD201's evidence and `auditor fix`; bad records are told."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import run_cli
from fakes import FakeOsv, LoopbackServer

from auditor.advisories.advisory import parse_advisory
from auditor.advisories.evidence import AdvisoryEvidence
from auditor.advisories.matching import group_aliases


def branches(rid: str, name: str, *fixes: tuple[str, str], **extra: Any) -> dict[str, Any]:
    events = [
        {kind: v} for low, high in fixes for kind, v in (("introduced", low), ("fixed", high))
    ]
    package = {"ecosystem": "PyPI", "name": name}
    ranges = [{"type": "ECOSYSTEM", "events": events}]
    return {"id": rid, "modified": "2024-01-01T00:00:00Z",
            "affected": [{"package": package, "ranges": ranges}], **extra}  # fmt: skip


def scan(folder: Path, *args: str) -> tuple[int, dict[str, Any]]:
    done = run_cli("scan", str(folder), "--format", "json", "--enable", "AUD2", *args)
    assert done.out, done.err
    return done.code, json.loads(done.out)


def test_vulns_and_fix_read_the_parsed_fixed_versions(
    osv_server: tuple[FakeOsv, LoopbackServer], tmp_path: Path
) -> None:
    fake, _server = osv_server
    records = [
        branches("PYSEC-1", "demo", ("0", "1.2.5"), ("2.0", "2.0.1"), aliases=["CVE-1"]),
        branches("GHSA-1", "demo", ("0", "1.2.5"), ("2.0", "2.0.1"), aliases=["CVE-1"]),
    ]
    for record in records:
        fake.add(record)
    (tmp_path / "requirements.txt").write_text("demo==1.2.0\n")
    code, data = scan(tmp_path)
    assert code == 1
    (finding,) = [f for f in data["findings"] if f["rule_id"] == "AUD201"]
    (group,) = group_aliases([parse_advisory(r) for r in records])
    expected = AdvisoryEvidence.for_group(group, "demo", "1.2.0", "1.2.5").to_json()
    assert finding["evidence"] == expected
    assert finding["evidence"]["fixed_by_advisory"] == {
        "PYSEC-1": ["1.2.5", "2.0.1"], "GHSA-1": ["1.2.5", "2.0.1"]}  # fmt: skip
    assert finding["fix"] == "upgrade demo to >= 1.2.5"
    planned = run_cli("fix", str(tmp_path), "--format", "json")
    edits = json.loads(planned.out)["edits"]
    assert [(e["from"], e["to"], e["advisories"]) for e in edits] == [
        ("1.2.0", "1.2.5", ["GHSA-1", "PYSEC-1"])]  # fmt: skip


def test_a_malformed_record_is_reported_not_skipped_silently(
    osv_server: tuple[FakeOsv, LoopbackServer], tmp_path: Path
) -> None:
    fake, _server = osv_server
    fake.add(branches("PYSEC-1", "demo", ("0", "2.0")))
    bad = branches("PYSEC-2", "demo", ("0", "3.0"))
    bad["affected"][0]["ranges"][0]["events"].append(["not", "an", "object"])
    fake.add(bad)
    (tmp_path / "requirements.txt").write_text("demo==1.0\n")
    code, data = scan(tmp_path)
    assert code == 1  # the PYSEC-1 finding gates; the unreadable PYSEC-2 makes it incomplete
    (entry,) = data["incomplete"]
    assert entry == {
        "source": "osv",
        "reason": "advisory PYSEC-2 skipped: malformed OSV record "
        "(affected[0].ranges[0].events[2]: expected an object)",
        "packages": ["demo==1.0"],
    }
    ids = [f["evidence"]["advisories"] for f in data["findings"] if f["rule_id"] == "AUD201"]
    assert ids == [["PYSEC-1"]]
    # Without a finding to gate on, the unreadable record alone makes the scan incomplete.
    (tmp_path / "requirements.txt").write_text("demo==2.5\n")
    code, data = scan(tmp_path)
    assert code == 3
    assert [i["packages"] for i in data["incomplete"]] == [["demo==2.5"]]
