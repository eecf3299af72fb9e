"""What every rendered format shares: rule metadata, report policy, and per-package facts.

Reporters iterate rules and findings generically through these helpers, so a rule added
later shows up in every format without format code changing.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from auditor.model import AuditResult, Finding, Location, Severity, normalize_name

REPORT_POLICY_DEFAULTS: dict[str, Any] = {
    "sarif": {
        "security_severity": {"critical": 9.5, "high": 8.0, "medium": 5.5, "low": 3.0, "info": 0.0}
    },
    "html": {"max_graph_nodes": 150},
    "markdown": {"max_details": 50},
    "history": {"keep": 50},
    "precommit": {"timeout": 5.0, "retries": 0},
}

# Rule categories whose findings mark a package "vulnerable" in the graph and the SBOM.
VULNERABILITY_CATEGORY = "vulnerabilities"


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleInfo:
    """The metadata a report shows for one rule id (a fallback when the rule is unknown)."""

    id: str
    name: str
    title: str
    description: str
    severity: Severity
    category: str
    remediation: str
    references: tuple[str, ...]
    tags: tuple[str, ...]
    confidence: str = "high"


@functools.cache
def report_policy() -> Mapping[str, Any]:
    """Return the ``report`` policy table (rules/policy/report.toml) over built-in defaults."""
    from auditor.config import load_policy_defaults

    loaded = load_policy_defaults().get("report", {})
    merged: dict[str, Any] = {}
    for key, default in REPORT_POLICY_DEFAULTS.items():
        section = loaded.get(key, {})
        merged[key] = {**default, **section} if isinstance(section, dict) else default
    return merged


@functools.cache
def _catalog_rules() -> tuple[RuleInfo, ...]:
    from auditor.rules.catalog import load_rules

    return tuple(
        RuleInfo(
            id=rule.id,
            name=rule.name,
            title=rule.title,
            description=rule.description,
            severity=rule.severity,
            category=rule.category,
            remediation=rule.remediation,
            references=rule.references,
            tags=rule.tags,
            confidence=rule.confidence,
        )
        for rule in load_rules()
    )


def _category_from_id(rule_id: str) -> str:
    from auditor.rules.catalog import CATEGORIES

    digit = rule_id[3:4]
    return CATEGORIES[int(digit) - 1] if digit.isdigit() and 1 <= int(digit) <= 6 else "other"


def _fallback_rule(finding: Finding) -> RuleInfo:
    return RuleInfo(
        id=finding.rule_id,
        name=finding.rule_name,
        title=finding.rule_name.replace("-", " ").capitalize(),
        description=finding.rule_name.replace("-", " ").capitalize(),
        severity=finding.severity,
        category=_category_from_id(finding.rule_id),
        remediation="See the finding's fix.",
        references=(),
        tags=(),
    )


def rules_for(result: AuditResult) -> dict[str, RuleInfo]:
    """Return every catalogue rule plus any rule a finding names that the catalogue lacks."""
    rules = {rule.id: rule for rule in _catalog_rules()}
    for finding in all_findings(result):
        if finding.rule_id not in rules:
            rules[finding.rule_id] = _fallback_rule(finding)
    return dict(sorted(rules.items()))


def all_findings(result: AuditResult) -> list[Finding]:
    """Return open findings then suppressed ones."""
    return [*result.findings, *(s.finding for s in result.suppressed)]


def primary_location(result: AuditResult, finding: Finding) -> Location | None:
    """Return where a finding points: its first location, else its package's declaration."""
    if finding.locations:
        return finding.locations[0]
    if finding.package and result.graph is not None:
        from auditor.graph import query

        node = query.package(result.graph, finding.package)
        if node is not None and node.locations:
            return node.locations[0]
    return None


def is_vulnerability(finding: Finding, rules: Mapping[str, RuleInfo]) -> bool:
    """Whether a finding is a known vulnerability or malicious package (category 2xx)."""
    rule = rules.get(finding.rule_id)
    category = rule.category if rule else _category_from_id(finding.rule_id)
    return category == VULNERABILITY_CATEGORY


def findings_by_package(findings: Sequence[Finding]) -> dict[str, list[Finding]]:
    """Group findings by normalized package name (findings without a package are left out)."""
    grouped: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.package:
            grouped.setdefault(normalize_name(finding.package), []).append(finding)
    return grouped


def baseline_info(result: AuditResult) -> Mapping[str, Any] | None:
    """Return the ``baseline`` section (file, matched, new) when the scan used a baseline."""
    section = result.extras.get("baseline")
    return section if isinstance(section, Mapping) else None


def section_items(result: AuditResult, name: str, *keys: str) -> list[Mapping[str, Any]] | None:
    """Return the list inside an extras section (a list, or a dict holding it under `keys`).

    None means the section was not computed.
    """
    section = result.extras.get(name)
    if section is None:
        return None
    if isinstance(section, Mapping):
        for key in (*keys, "items"):
            value = section.get(key)
            if isinstance(value, list):
                return [item for item in value if isinstance(item, Mapping)]
        return []
    if isinstance(section, list):
        return [item for item in section if isinstance(item, Mapping)]
    return []


def license_items(result: AuditResult) -> list[Mapping[str, Any]] | None:
    """Return the license inventory rows (name, version, license, category, source) or None."""
    return section_items(result, "licenses", "packages")


def replacement_items(result: AuditResult) -> list[Mapping[str, Any]] | None:
    """Return the replacement proposals or None when the replace stage did not run."""
    return section_items(result, "replacements", "proposals", "replacements", "packages")


def age_text(updated: str | None, now: dt.datetime) -> str:
    """Return a human age ("3 days", "5 hours") of an ISO timestamp, "unknown" when absent."""
    if not updated:
        return "unknown"
    try:
        when = dt.datetime.fromisoformat(updated.replace("Z", "+00:00"))
    except ValueError:
        return "unknown"
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    seconds = max(0, int((now - when).total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return "just now"


def utc_now() -> dt.datetime:
    """Return the current time in UTC (the reports' generation time)."""
    return dt.datetime.now(tz=dt.UTC)


__all__ = [
    "REPORT_POLICY_DEFAULTS",
    "RuleInfo",
    "age_text",
    "all_findings",
    "baseline_info",
    "findings_by_package",
    "is_vulnerability",
    "license_items",
    "primary_location",
    "replacement_items",
    "report_policy",
    "rules_for",
    "section_items",
    "utc_now",
]
