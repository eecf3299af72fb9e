"""Severity from CVSS vectors and database labels (auditor.advisories.severity)."""

from __future__ import annotations

import pytest

from auditor.advisories.severity import group_severity, parse_cvss, rating, record_severity
from auditor.model import Severity

V3_CRITICAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
V3_MEDIUM = "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H"
V4_CRITICAL = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"


@pytest.mark.parametrize(
    ("score", "expected"),
    [(9.8, Severity.CRITICAL), (9.0, Severity.CRITICAL), (7.0, Severity.HIGH),
     (6.9, Severity.MEDIUM), (4.0, Severity.MEDIUM), (3.9, Severity.LOW), (0.0, Severity.LOW)],
)  # fmt: skip
def test_rating_bands(score: float, expected: Severity) -> None:
    assert rating(score) is expected


def test_cvss_v3_and_v4() -> None:
    v3 = parse_cvss("CVSS_V3", V3_CRITICAL)
    assert v3 is not None
    assert (v3.score, v3.severity, v3.version) == (9.8, Severity.CRITICAL, "3")
    v4 = parse_cvss("CVSS_V4", V4_CRITICAL)
    assert v4 is not None
    assert (v4.severity, v4.version) == (Severity.CRITICAL, "4")
    assert parse_cvss("CVSS_V3", "CVSS:3.1/garbage") is None
    assert parse_cvss("CVSS_V2", "AV:N/AC:L/Au:N/C:P/I:P/A:P") is None


def test_record_severity_prefers_cvss_then_label() -> None:
    rec = {"id": "X", "severity": [{"type": "CVSS_V3", "score": V3_MEDIUM}],
           "database_specific": {"severity": "CRITICAL"}}  # fmt: skip
    severity, cvss = record_severity(rec)
    assert severity is Severity.MEDIUM
    assert cvss is not None
    assert cvss.vector == V3_MEDIUM
    assert record_severity({"id": "X", "database_specific": {"severity": "MODERATE"}}) == (
        Severity.MEDIUM, None)  # fmt: skip
    assert record_severity({"id": "X", "database_specific": {"severity": 3}}) == (None, None)
    affected_level = {
        "id": "X",
        "affected": [{"severity": [{"type": "CVSS_V3", "score": V3_CRITICAL}]}],
    }
    assert record_severity(affected_level)[0] is Severity.CRITICAL


def test_group_severity_takes_the_worst_or_the_default() -> None:
    low = {"id": "A", "database_specific": {"severity": "LOW"}}
    high = {"id": "B", "database_specific": {"severity": "HIGH"}}
    assert group_severity([low, high], Severity.MEDIUM) == (Severity.HIGH, None)
    assert group_severity([{"id": "C"}], Severity.MEDIUM) == (Severity.MEDIUM, None)
