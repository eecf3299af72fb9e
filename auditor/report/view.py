"""What every rendered format shares: rule metadata, report policy, and per-package facts.

Reporters iterate rules and findings generically through these helpers, so a rule added
later shows up in every format without format code changing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from auditor.config import merge_report_policy
from auditor.model import RULE_CATEGORIES, Finding, Location, normalize_name
from auditor.result import AuditResult, RuleInfo

# Rule categories whose findings mark a package "vulnerable" in the graph and the SBOM.
VULNERABILITY_CATEGORY = "vulnerabilities"


def report_policy(result: AuditResult) -> Mapping[str, Any]:
    """Return the run's ``report`` policy (built-in defaults for a result that carries none)."""
    return merge_report_policy(result.report_policy)


def _category_from_id(rule_id: str) -> str:
    digit = rule_id[3:4]
    return RULE_CATEGORIES[int(digit) - 1] if digit.isdigit() and 1 <= int(digit) <= 6 else "other"


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
    """Return the run's rules plus any rule a finding names that the result lacks."""
    rules = {rule.id: rule for rule in result.rules}
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
    return None if result.baseline is None else result.baseline.to_json()


def license_items(result: AuditResult) -> list[Mapping[str, Any]] | None:
    """Return the license inventory rows (name, version, license, category, source) or None."""
    return None if result.licenses is None else [row.to_json() for row in result.licenses]


def replacement_items(result: AuditResult) -> list[Mapping[str, Any]] | None:
    """Return the replacement proposals or None when the replace stage did not run."""
    if result.replacements is None:
        return None
    return [item.to_json() for item in result.replacements]


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
    "utc_now",
]
