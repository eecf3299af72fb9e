"""Finding evidence built from parsed advisories, and `auditor fix` reading it back."""

from __future__ import annotations

from typing import Any

from auditor.advisories.advisory import Advisory, parse_advisory
from auditor.advisories.evidence import AdvisoryEvidence, summary_of
from auditor.advisories.matching import group_aliases
from auditor.advisories.severity import CvssScore
from auditor.fix import fix_targets
from auditor.model import Finding, Severity

V3_CRITICAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"


def branches(rid: str, *fixes: tuple[str, str], **extra: Any) -> Advisory:
    """An advisory with one introduced/fixed pair per release branch."""
    events = [
        {kind: v} for low, high in fixes for kind, v in (("introduced", low), ("fixed", high))
    ]
    return parse_advisory({"id": rid, "modified": "2024-01-01T00:00:00Z",
                           "affected": [{"package": {"ecosystem": "PyPI", "name": "demo"},
                                         "ranges": [{"type": "ECOSYSTEM", "events": events}]}],
                           **extra})  # fmt: skip


def finding(evidence: dict[str, Any], fix: str | None = None) -> Finding:
    return Finding(rule_id="AUD201", rule_name="known-vulnerability", severity=Severity.HIGH,
                   message="demo 1.2.0 is affected", package="demo", version="1.2.0",
                   evidence=evidence, fix=fix, key="PYSEC-1")  # fmt: skip


def test_evidence_comes_from_the_parsed_fixed_versions() -> None:
    pysec = branches("PYSEC-1", ("0", "1.2.5"), ("2.0", "2.0.1"), aliases=["CVE-1"],
                     summary="  A   flaw\n in demo ")  # fmt: skip
    ghsa = branches("GHSA-1", ("0", "1.3.2"), aliases=["CVE-1"],
                    severity=[{"type": "CVSS_V3", "score": V3_CRITICAL}])  # fmt: skip
    (group,) = group_aliases([ghsa, pysec])
    evidence = AdvisoryEvidence.for_group(group, "demo", "1.2.0")
    assert pysec.fixed_for("demo") == ["1.2.5", "2.0.1"]
    assert dict(evidence.fixed_by_advisory) == {"PYSEC-1": ("1.2.5", "2.0.1"), "GHSA-1": ("1.3.2",)}
    assert evidence.fixed_in == ("1.2.5", "1.3.2", "2.0.1")
    # Only fixes above the affected version count.
    later = AdvisoryEvidence.for_group(group, "demo", "2.0.0")
    assert dict(later.fixed_by_advisory) == {"PYSEC-1": ("2.0.1",), "GHSA-1": ()}
    data = evidence.to_json()
    assert list(data) == ["advisories", "aliases", "fixed_in", "fixed_by_advisory", "summary",
                          "cvss", "fix_version"]  # fmt: skip
    assert data["advisories"] == ["PYSEC-1", "GHSA-1", "CVE-1"]
    assert data["aliases"] == ["GHSA-1", "CVE-1"]
    assert data["summary"] == "A flaw in demo"
    assert data["cvss"]["score"] == 9.8
    assert AdvisoryEvidence.from_json(data) == evidence


def test_from_json_tolerates_other_shapes() -> None:
    assert AdvisoryEvidence.from_json({}) == AdvisoryEvidence()
    odd = AdvisoryEvidence.from_json({"advisories": "PYSEC-1", "fixed_by_advisory": [],
                                      "cvss": {"vector": "x"}, "summary": 3})  # fmt: skip
    assert odd == AdvisoryEvidence()
    cvss = {"vector": V3_CRITICAL, "version": "3", "score": 9.8, "severity": "critical"}
    assert AdvisoryEvidence.from_json({"cvss": cvss}).cvss == CvssScore(
        vector=V3_CRITICAL, version="3", score=9.8, severity=Severity.CRITICAL
    )


def test_summary_falls_back_to_details_and_is_shortened() -> None:
    assert summary_of(parse_advisory({"id": "X", "details": "Only details"})) == "Only details"
    long = summary_of(parse_advisory({"id": "X", "summary": "word " * 100}))
    assert len(long) == 200
    assert long.endswith("…")


def test_fix_reads_the_fixed_versions_of_the_evidence() -> None:
    pysec = branches("PYSEC-1", ("0", "1.2.5"), ("2.0", "2.0.1"))
    (group,) = group_aliases([pysec])
    evidence = AdvisoryEvidence.for_group(group, "demo", "1.2.0").to_json()
    # The fix text disagrees: the advisory's own fixed versions win (stay on the 1.x branch).
    (target,) = fix_targets([finding(evidence, fix="upgrade demo to >= 2.0.1")])
    assert target.target == "1.2.5"
    assert target.advisories == ("PYSEC-1",)
    # An advisory with no fixed version: nothing to upgrade to, and it is named.
    (unfixed,) = group_aliases([branches("PYSEC-2", ("0", "0.1"))])
    evidence = AdvisoryEvidence.for_group(unfixed, "demo", "1.2.0").to_json()
    (target,) = fix_targets([finding(evidence, fix="upgrade demo to >= 9.0")])
    assert (target.target, target.unfixed_advisories) == (None, ("PYSEC-2",))
