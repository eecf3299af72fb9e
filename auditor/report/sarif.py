"""The SARIF 2.1.0 report, shaped for GitHub code scanning.

One ``reportingDescriptor`` per rule id (all catalogue rules plus any rule a finding names),
results located at the manifest, lockfile or source line (repo-relative URIs under
``%SRCROOT%``), stable ``partialFingerprints`` from `Finding.fingerprint`, suppressed findings
carried with a ``suppressions`` entry, and tool notifications for what could not be checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from auditor.config import merge_report_policy
from auditor.jsontext import pretty
from auditor.model import Finding, Severity, Suppressed
from auditor.report.safe import clean
from auditor.report.view import RuleInfo, primary_location, report_policy, rules_for
from auditor.result import AuditResult

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
SARIF_VERSION = "2.1.0"
FINGERPRINT_KEY = "auditorFingerprint/v1"
SRCROOT = "%SRCROOT%"

_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
_PROBLEM_SEVERITY = {"error": "error", "warning": "warning", "note": "recommendation"}


def sarif_level(severity: Severity) -> str:
    """Map a severity to a SARIF result level."""
    return _LEVEL[severity]


def security_severity(severity: Severity, policy: Mapping[str, Any] | None = None) -> str:
    """Return the numeric security-severity GitHub reads, as the string it expects.

    `policy` is the run's ``report`` policy (the built-in table when None).
    """
    table = (policy or merge_report_policy({}))["sarif"]["security_severity"]
    return f"{float(table.get(severity.value, 0.0)):.1f}"


def _help_markdown(rule: RuleInfo) -> str:
    lines = [f"**{rule.title}**", "", rule.description, "", "**Remediation:** " + rule.remediation]
    if rule.references:
        lines += ["", "**References:**", *(f"- {ref}" for ref in rule.references)]
    return "\n".join(lines)


def _help_text(rule: RuleInfo) -> str:
    text = f"{rule.description}\n\nRemediation: {rule.remediation}"
    if rule.references:
        text += "\n\nReferences:\n" + "\n".join(f"- {ref}" for ref in rule.references)
    return text


def _descriptor(rule: RuleInfo, policy: Mapping[str, Any]) -> dict[str, Any]:
    level = sarif_level(rule.severity)
    descriptor: dict[str, Any] = {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.description},
        "help": {"text": _help_text(rule), "markdown": _help_markdown(rule)},
        "defaultConfiguration": {"level": level},
        "properties": {
            "tags": sorted({"security", "supply-chain", rule.category, *rule.tags}),
            "security-severity": security_severity(rule.severity, policy),
            "precision": {"high": "high", "medium": "medium", "low": "low"}.get(
                rule.confidence, "medium"
            ),
            "problem.severity": _PROBLEM_SEVERITY[level],
        },
    }
    web = [ref for ref in rule.references if ref.startswith(("https://", "http://"))]
    if web:
        descriptor["helpUri"] = web[0]
    return descriptor


def _uri(path: str) -> str:
    return quote(path.replace("\\", "/").lstrip("/"), safe="/")


def _message(finding: Finding) -> str:
    text = clean(finding.message)
    if finding.package:
        who = clean(finding.package) + (f" {clean(finding.version)}" if finding.version else "")
        if who.lower() not in text.lower():
            text = f"{who}: {text}"
    if finding.fix:
        text += f"\nFix: {clean(finding.fix)}"
    return text


def _locations(result: AuditResult, finding: Finding) -> list[dict[str, Any]]:
    places = list(finding.locations)
    if not places:
        fallback = primary_location(result, finding)
        places = [fallback] if fallback is not None else []
    locations = []
    for place in places[:10]:
        physical: dict[str, Any] = {
            "artifactLocation": {"uri": _uri(place.path), "uriBaseId": SRCROOT}
        }
        if place.line is not None and place.line > 0:
            physical["region"] = {"startLine": place.line}
        locations.append({"physicalLocation": physical})
    return locations


def _result(
    result: AuditResult,
    finding: Finding,
    index: dict[str, int],
    suppressed: Suppressed | None = None,
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": index[finding.rule_id],
        "level": sarif_level(finding.severity),
        "message": {"text": _message(finding)},
        "locations": _locations(result, finding),
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "properties": {
            "severity": finding.severity.value,
            "package": finding.package,
            "version": finding.version,
            "evidence": dict(finding.evidence),
            "fix": finding.fix,
            "pathFromRoot": list(finding.path_from_root),
        },
    }
    if suppressed is not None:
        item["suppressions"] = [
            {
                "kind": "inSource" if suppressed.by == "inline" else "external",
                "justification": clean(f"{suppressed.by}: {suppressed.reason}"),
            }
        ]
    return item


def _notifications(result: AuditResult) -> list[dict[str, Any]]:
    notes: list[dict[str, Any]] = []
    for gap in result.incomplete:
        count = f" ({len(gap.packages)} package(s) not checked)" if gap.packages else ""
        notes.append(
            {
                "level": "warning",
                "message": {"text": clean(f"not checked: {gap.source}: {gap.reason}{count}")},
                "descriptor": {"id": clean(gap.source)},
                "properties": {"packages": list(gap.packages)},
            }
        )
    notes.extend({"level": "note", "message": {"text": clean(note)}} for note in result.notes)
    return notes


class SarifReporter:
    """Renders the result as one SARIF 2.1.0 log with one run."""

    def render(self, result: AuditResult) -> str:
        """Return the SARIF JSON text."""
        return pretty(self.build(result))

    def build(self, result: AuditResult) -> dict[str, Any]:
        """Return the SARIF log as JSON-ready data."""
        rules = rules_for(result)
        policy = report_policy(result)
        index = {rule_id: i for i, rule_id in enumerate(rules)}
        results = [_result(result, f, index) for f in result.findings]
        results += [_result(result, s.finding, index, s) for s in result.suppressed]
        run: dict[str, Any] = {
            "tool": {
                "driver": {
                    "name": "auditor",
                    "version": result.tool_version,
                    "semanticVersion": result.tool_version,
                    "rules": [_descriptor(rule, policy) for rule in rules.values()],
                }
            },
            "originalUriBaseIds": {
                SRCROOT: {"description": {"text": "The root of the scanned repository."}}
            },
            "invocations": [
                {
                    "executionSuccessful": not result.incomplete,
                    "toolExecutionNotifications": _notifications(result),
                }
            ],
            "results": results,
            "columnKind": "unicodeCodePoints",
            "properties": {"summary": result.summary(), "target": result.target},
        }
        if result.baseline is not None:
            run["properties"]["baseline"] = result.baseline.to_json()
        if result.licenses is not None:
            from auditor.report.license_table import category_counts, verdict_counts

            run["properties"]["licenses"] = {
                "categories": category_counts(result.licenses),
                "verdicts": verdict_counts(result.licenses),
            }
        return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


REPORTER = SarifReporter()

__all__ = ["FINGERPRINT_KEY", "REPORTER", "SarifReporter", "sarif_level", "security_severity"]
