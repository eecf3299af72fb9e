"""The result of a run: the one model every reporter renders, and its typed sections."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from auditor.model import (
    SCHEMA_VERSION,
    CodeFileError,
    DataSource,
    Finding,
    Incomplete,
    PackageSummary,
    ParsedInput,
    Severity,
    Suppressed,
)

if TYPE_CHECKING:
    from auditor.graph.build import DependencyGraph


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleInfo:
    """A rule's metadata as configured for a run (severity overrides applied)."""

    id: str
    name: str
    title: str
    description: str
    severity: Severity
    category: str
    remediation: str
    references: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    confidence: str = "high"
    enabled: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class BaselineState:
    """Which baseline file a gate used and how many findings it matched."""

    file: str
    matched: int
    new: int

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form of the ``baseline`` section of the report."""
        return {"file": self.file, "matched": self.matched, "new": self.new}


@dataclass(frozen=True, slots=True, kw_only=True)
class PackageLicense:
    """One package's license as an SPDX expression (None when unknown), and where it came from.

    `verdict` is the license policy's (allowed, excepted, denied, incompatible, unknown,
    not-checked); `raw` the metadata text read when it maps to no SPDX id; `detail` more about
    the source.
    """

    name: str
    version: str | None
    license: str | None
    category: str
    source: str
    verdict: str | None = None
    raw: str | None = None
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form of one row of the ``licenses`` section."""
        data: dict[str, Any] = {
            "name": self.name,
            "version": self.version,
            "license": self.license,
            "category": self.category,
            "source": self.source,
        }
        if self.verdict is not None:
            data["verdict"] = self.verdict
        if self.raw is not None:
            data["raw"] = self.raw
        if self.detail:
            data["detail"] = self.detail
        return data


@dataclass(frozen=True, slots=True, kw_only=True)
class Verification:
    """What the verifier proved about a drafted replacement (``auditor.replace.verifier``).

    `details` holds the summary and the mismatch examples, JSON-ready.
    """

    inputs_tried: int
    mismatches: int
    verified: bool | None
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form of a replacement's ``verification``."""
        return {
            "inputs_tried": self.inputs_tried,
            "mismatches": self.mismatches,
            "verified": self.verified,
            "details": self.details,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Replacement:
    """A proposed in-house replacement of a dependency: the new module and the patch."""

    package: str
    symbols: tuple[str, ...]
    module: str
    patch: str
    drafted_by: str
    verification: Verification | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form of one replacement proposal."""
        return {
            "package": self.package,
            "symbols": list(self.symbols),
            "module": self.module,
            "patch": self.patch,
            "drafted_by": self.drafted_by,
            "verification": None if self.verification is None else self.verification.to_json(),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditResult:
    """The one output model every reporter renders: reporters load nothing else.

    `rules` is the catalogue as configured for the run; `report_policy` the run's ``report``
    policy table; `licenses` and `replacements` are None when those stages did not run.
    """

    target: str
    tool_version: str
    inputs: tuple[ParsedInput, ...]
    packages: tuple[PackageSummary, ...]
    findings: tuple[Finding, ...]
    suppressed: tuple[Suppressed, ...] = ()
    unused_ignores: tuple[str, ...] = ()
    incomplete: tuple[Incomplete, ...] = ()
    notes: tuple[str, ...] = ()
    data_sources: tuple[DataSource, ...] = ()
    graph: DependencyGraph | None = None
    rules: tuple[RuleInfo, ...] = ()
    report_policy: Mapping[str, Any] = field(default_factory=dict)
    import_errors: tuple[CodeFileError, ...] = ()
    baseline: BaselineState | None = None
    licenses: tuple[PackageLicense, ...] | None = None
    replacements: tuple[Replacement, ...] | None = None
    schema_version: int = SCHEMA_VERSION

    def summary(self) -> dict[str, int]:
        """Count findings per severity."""
        counts = {str(sev): 0 for sev in Severity}
        for finding in self.findings:
            counts[str(finding.severity)] += 1
        return counts

    def to_json(self) -> dict[str, Any]:
        """Return the JSON report (the contract documented in the README)."""
        from auditor import __version__

        data: dict[str, Any] = {
            "schema_version": self.schema_version,
            "tool": {"name": "auditor", "version": self.tool_version or __version__},
            "target": self.target,
            "inputs": [i.to_json() for i in self.inputs],
            "packages": [p.to_json() for p in self.packages],
            "findings": [f.to_json() for f in self.findings],
            "suppressed": [s.to_json() for s in self.suppressed],
            "unused_ignores": list(self.unused_ignores),
            "incomplete": [i.to_json() for i in self.incomplete],
            "notes": list(self.notes),
            "data_sources": [d.to_json() for d in self.data_sources],
            "summary": self.summary(),
        }
        if self.import_errors:
            data["import_errors"] = [e.to_json() for e in self.import_errors]
        if self.baseline is not None:
            data["baseline"] = self.baseline.to_json()
        if self.licenses is not None:
            data["licenses"] = {
                "schema_version": SCHEMA_VERSION,
                "packages": [row.to_json() for row in self.licenses],
            }
        if self.replacements is not None:
            data["replacements"] = [item.to_json() for item in self.replacements]
        return data


__all__ = [
    "AuditResult",
    "BaselineState",
    "CodeFileError",
    "PackageLicense",
    "Replacement",
    "RuleInfo",
    "Verification",
]
