"""The advisory evidence of a vulnerability finding, typed (its JSON keys are the contract).

`AdvisoryEvidence.for_group` builds it from parsed `Advisory` values (ids, aliases, each
record's ``fixed`` versions, severity); `to_json` gives the finding's ``evidence`` (keys
``advisories``, ``aliases``, ``fixed_in``, ``fixed_by_advisory``, ``summary``, ``cvss``), and
`from_json` reads that back for consumers of findings (``auditor fix``), tolerating evidence
written by other versions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from auditor.advisories.advisory import Advisory, parse_version, sort_versions
from auditor.advisories.matching import AdvisoryGroup
from auditor.advisories.severity import CvssScore, group_severity
from auditor.model import Severity

SUMMARY_CHARS = 200


def summary_of(advisory: Advisory) -> str:
    """Return the advisory's summary (else its details) on one line, at most 200 characters."""
    for text in (advisory.summary, advisory.details):
        if text.strip():
            first = " ".join(text.split())
            return first if len(first) <= SUMMARY_CHARS else first[: SUMMARY_CHARS - 1] + "…"
    return ""


def fixes_above(advisory: Advisory, name: str, version: str | None) -> tuple[str, ...]:
    """Return the advisory's fixed versions for `name` above `version` (all, when None)."""
    fixes = advisory.fixed_for(name)
    base = None if version is None else parse_version(version)
    if base is not None:
        fixes = [f for f in fixes if (p := parse_version(f)) is not None and p > base]
    return tuple(fixes)


@dataclass(frozen=True, slots=True, kw_only=True)
class AdvisoryEvidence:
    """Which advisories a finding reports, what fixes each, and the worst CVSS score.

    `advisories` lists every id of the merged group, the primary first; `aliases` the others.
    `fixed_by_advisory` maps each record's id to its fixed versions (above the affected
    version, when known); `fixed_in` is their union, PEP 440 sorted. `fix_version` is the
    upgrade the finding names: the smallest release fixing every fixable advisory of that
    package version (None when no release fixes this one), the version `auditor fix` writes.
    """

    advisories: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    fixed_in: tuple[str, ...] = ()
    fixed_by_advisory: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    summary: str = ""
    cvss: CvssScore | None = None
    fix_version: str | None = None

    @classmethod
    def for_group(
        cls,
        group: AdvisoryGroup,
        name: str,
        version: str | None,
        fix_version: str | None = None,
    ) -> AdvisoryEvidence:
        """Build the evidence of one merged group for `name` (at `version`, when known)."""
        by_advisory = {a.id: fixes_above(a, name, version) for a in group.records}
        _severity, cvss = group_severity(group.records, Severity.HIGH)
        return cls(
            advisories=group.ids,
            aliases=tuple(i for i in group.ids if i != group.primary),
            fixed_in=tuple(sort_versions(v for fixes in by_advisory.values() for v in fixes)),
            fixed_by_advisory=by_advisory,
            summary=summary_of(group.records[0]),
            cvss=cvss,
            fix_version=fix_version,
        )

    def to_json(self) -> dict[str, Any]:
        """Return the finding's ``evidence`` object."""
        return {
            "advisories": list(self.advisories),
            "aliases": list(self.aliases),
            "fixed_in": list(self.fixed_in),
            "fixed_by_advisory": {k: list(v) for k, v in self.fixed_by_advisory.items()},
            "summary": self.summary,
            "cvss": self.cvss.to_json() if self.cvss is not None else None,
            "fix_version": self.fix_version,
        }

    @classmethod
    def from_json(cls, evidence: Mapping[str, Any]) -> AdvisoryEvidence:
        """Read a finding's evidence back; missing or mistyped keys read as empty."""
        by_advisory = evidence.get("fixed_by_advisory")
        summary = evidence.get("summary")
        fix_version = evidence.get("fix_version")
        return cls(
            advisories=_strings(evidence.get("advisories")),
            aliases=_strings(evidence.get("aliases")),
            fixed_in=_strings(evidence.get("fixed_in")),
            fixed_by_advisory={str(k): _strings(v) for k, v in by_advisory.items()}
            if isinstance(by_advisory, Mapping)
            else {},
            summary=summary if isinstance(summary, str) else "",
            cvss=_cvss(evidence.get("cvss")),
            fix_version=fix_version if isinstance(fix_version, str) and fix_version else None,
        )


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list | tuple) else ()


def _cvss(value: Any) -> CvssScore | None:
    if not isinstance(value, Mapping):
        return None
    try:
        return CvssScore(
            vector=str(value["vector"]),
            version=str(value["version"]),
            score=float(value["score"]),
            severity=Severity(str(value["severity"])),
        )
    except (KeyError, TypeError, ValueError):
        return None


__all__ = ["SUMMARY_CHARS", "AdvisoryEvidence", "fixes_above", "summary_of"]
