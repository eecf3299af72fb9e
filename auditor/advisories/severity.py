"""Severity of an OSV record: CVSS v3.x / v4 base scores, else the database's own label."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from auditor.advisories.advisory import Advisory, SeverityEntry, as_advisory
from auditor.model import Severity

# GitHub's advisory labels (database_specific.severity) and their Auditor severities.
_LABELS = {
    "CRITICAL": Severity.CRITICAL,
    "HIGH": Severity.HIGH,
    "MODERATE": Severity.MEDIUM,
    "MEDIUM": Severity.MEDIUM,
    "LOW": Severity.LOW,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class CvssScore:
    """A parsed CVSS vector: its version, base score and qualitative rating."""

    vector: str
    version: str
    score: float
    severity: Severity

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form used in finding evidence."""
        return {
            "vector": self.vector,
            "version": self.version,
            "score": self.score,
            "severity": str(self.severity),
        }


def rating(score: float) -> Severity:
    """Map a CVSS base score to its qualitative rating (0.0 is reported as low)."""
    if score >= 9.0:  # the CVSS specification rating bands
        return Severity.CRITICAL
    if score >= 7.0:
        return Severity.HIGH
    if score >= 4.0:
        return Severity.MEDIUM
    return Severity.LOW


@functools.lru_cache(maxsize=4096)
def parse_cvss(kind: str, vector: str) -> CvssScore | None:
    """Score one OSV ``severity`` entry (``CVSS_V3``/``CVSS_V4``); None when unusable."""
    from cvss import CVSS3, CVSS4
    from cvss.exceptions import CVSSError

    try:
        if kind == "CVSS_V3" or vector.startswith("CVSS:3."):
            score = float(CVSS3(vector).scores()[0])
            return CvssScore(vector=vector, version="3", score=score, severity=rating(score))
        if kind == "CVSS_V4" or vector.startswith("CVSS:4."):
            score = float(CVSS4(vector).base_score)
            return CvssScore(vector=vector, version="4", score=score, severity=rating(score))
    except (CVSSError, ValueError, KeyError, TypeError):
        return None
    return None


def _severity_entries(advisory: Advisory) -> Iterable[SeverityEntry]:
    yield from advisory.severity
    for entry in advisory.affected:
        yield from entry.severity


def best_cvss(record: Advisory | Mapping[str, Any]) -> CvssScore | None:
    """Return the highest CVSS score a record carries (v4 and v3 alike), if any."""
    best: CvssScore | None = None
    for entry in _severity_entries(as_advisory(record)):
        parsed = parse_cvss(entry.type, entry.score)
        if parsed is not None and (best is None or parsed.score > best.score):
            best = parsed
    return best


def label_severity(record: Advisory | Mapping[str, Any]) -> Severity | None:
    """Return the database's own label (``database_specific.severity``), if it has one."""
    label = as_advisory(record).database_severity
    return None if label is None else _LABELS.get(label.strip().upper())


def record_severity(
    record: Advisory | Mapping[str, Any],
) -> tuple[Severity | None, CvssScore | None]:
    """Return (severity, the CVSS score it came from) for one record; (None, None) if unknown."""
    advisory = as_advisory(record)
    cvss = best_cvss(advisory)
    if cvss is not None:
        return cvss.severity, cvss
    return label_severity(advisory), None


def group_severity(
    records: Iterable[Advisory | Mapping[str, Any]], default: Severity
) -> tuple[Severity, CvssScore | None]:
    """Return the worst severity over merged records (`default` when none says), and its CVSS."""
    worst: Severity | None = None
    worst_cvss: CvssScore | None = None
    for record in records:
        severity, cvss = record_severity(record)
        if cvss is not None and (worst_cvss is None or cvss.score > worst_cvss.score):
            worst_cvss = cvss
        if severity is not None and (worst is None or severity.rank > worst.rank):
            worst = severity
    return worst or default, worst_cvss


__all__ = [
    "CvssScore",
    "best_cvss",
    "group_severity",
    "label_severity",
    "parse_cvss",
    "rating",
    "record_severity",
]
