"""The Markdown report, written to be posted as a pull-request comment.

A summary table, a table of the new findings (new against the baseline when one was used), one
collapsible ``<details>`` block per finding with its evidence and fix, then what was not checked.
Every piece of outside text is escaped for Markdown and HTML, and ``@`` / ``#`` are neutralised
so a hostile package description cannot mention people or link issues.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from auditor.model import Finding, Severity
from auditor.projects import finding_projects
from auditor.report.safe import clean
from auditor.report.view import (
    baseline_info,
    license_items,
    replacement_items,
    report_policy,
    rules_for,
)
from auditor.result import AuditResult

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")
_BACKTICKS = re.compile(r"`+")
_SEVERITY_MARK = {
    Severity.CRITICAL: "🟥",
    Severity.HIGH: "🟧",
    Severity.MEDIUM: "🟨",
    Severity.LOW: "🟦",
    Severity.INFO: "⬜",
}


def escape_md(text: object, *, limit: int = 500) -> str:
    """Escape outside text for inline Markdown: HTML entities, Markdown syntax, mentions."""
    value = clean(text, limit=limit).replace("\r", " ").replace("\n", " ").replace("\t", " ")
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    value = _MD_SPECIAL.sub(r"\\\1", value)
    # GitHub turns @name into a mention and #12 into a link even when escaped with a backslash.
    return value.replace("@", "&#64;").replace("\\#", "&#35;")


def code_block(text: str, language: str = "") -> str:
    """Return a fenced code block that the text cannot close (fence longer than any run)."""
    longest = max((len(m) for m in _BACKTICKS.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{clean(text, limit=4000)}\n{fence}"


def _where(finding: Finding) -> str:
    if not finding.locations:
        return ""
    first = finding.locations[0]
    more = f" (+{len(finding.locations) - 1})" if len(finding.locations) > 1 else ""
    return escape_md(str(first)) + more


def _package(finding: Finding) -> str:
    if not finding.package:
        return "(project)"
    version = f" {finding.version}" if finding.version else ""
    return escape_md(finding.package + version)


def _summary(result: AuditResult) -> list[str]:
    counts = result.summary()
    head = "| " + " | ".join(f"{_SEVERITY_MARK[s]} {s.value}" for s in Severity) + " |"
    rule = "|" + "---:|" * len(Severity)
    row = "| " + " | ".join(str(counts[s.value]) for s in Severity) + " |"
    return [head, rule, row]


def _details(finding: Finding, title: str) -> list[str]:
    summary = (
        f"<b>{escape_md(finding.rule_id)}</b> {escape_md(finding.severity.value)}: "
        f"{_package(finding)} — {escape_md(finding.message, limit=200)}"
    )
    lines = ["<details>", f"<summary>{summary}</summary>", ""]
    lines.append(f"**Rule:** {escape_md(finding.rule_id)} {escape_md(title)}  ")
    lines.append(f"**Message:** {escape_md(finding.message, limit=2000)}  ")
    if finding.locations:
        where = ", ".join(escape_md(str(loc)) for loc in finding.locations[:10])
        lines.append(f"**Where:** {where}  ")
    if finding.path_from_root:
        lines.append("**Path:** " + " → ".join(escape_md(p) for p in finding.path_from_root) + "  ")
    if finding.fix:
        lines.append(f"**Fix:** {escape_md(finding.fix, limit=2000)}  ")
    if finding.evidence:
        evidence = json.dumps(dict(finding.evidence), indent=2, ensure_ascii=False, default=str)
        # Still valid JSON, and no markup even if a renderer ignored the code fence.
        evidence = evidence.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        lines += ["", "Evidence:", "", code_block(evidence, "json")]
    lines += [f"<sub>fingerprint `{finding.fingerprint}`</sub>", "", "</details>"]
    return lines


def _extras_lines(result: AuditResult) -> list[str]:
    lines: list[str] = []
    licenses = license_items(result)
    lines.append("### Licenses")
    if licenses is None:
        lines.append("_not computed_")
    else:
        from auditor.report.license_table import category_counts

        counts = ", ".join(f"{n} {c}" for c, n in category_counts(result.licenses or ()).items())
        lines.append(
            f"{len(licenses)} package(s) in the license inventory"
            + (f": {counts}." if counts else ".")
        )
        flagged = [
            row
            for row in licenses
            if str(row.get("verdict") or "") not in ("", "allowed", "excepted")
            or str(row.get("category", "")) not in ("", "permissive", "public-domain")
        ]
        keys = ("name", "version", "license", "category")
        lines.extend(f"- {_row_text(row, keys)}" for row in flagged[:20])
    lines.append("")
    replacements = replacement_items(result)
    lines.append("### Replacement proposals")
    if replacements is None:
        lines.append("_not computed_")
    elif not replacements:
        lines.append("none")
    else:
        for item in replacements[:20]:
            verification = item.get("verification")
            verified = verification.get("verified") if isinstance(verification, Mapping) else None
            state = {True: "verified", False: "NOT verified", None: "not verified"}[
                verified if isinstance(verified, bool) else None
            ]
            lines.append(f"- {escape_md(item.get('package', '?'))}: {state}")
    return lines


def _row_text(row: Mapping[str, Any], keys: tuple[str, ...]) -> str:
    return " ".join(escape_md(row.get(k)) for k in keys if row.get(k) not in (None, ""))


class MarkdownReporter:
    """Renders the result as a Markdown pull-request comment."""

    def render(self, result: AuditResult) -> str:
        """Return the Markdown text."""
        rules = rules_for(result)
        limit = int(report_policy(result)["markdown"]["max_details"])
        baseline = baseline_info(result)
        lines = ["## Auditor dependency report", ""]
        lines += _summary(result)
        lines.append("")
        if baseline is not None:
            lines.append(
                f"Baseline {escape_md(baseline.get('file', ''))}: "
                f"**{baseline.get('new', 0)} new** finding(s), "
                f"{baseline.get('matched', 0)} already in the baseline (not shown)."
            )
            lines.append("")
        label = "New findings" if baseline is not None else "Findings"
        lines.append(f"### {label} ({len(result.findings)})")
        lines.append("")
        if result.findings:
            of_finding = finding_projects(result)
            several = len(set(of_finding.values())) > 1  # a Project column only then
            head = "| Severity | Rule | Package | Message | Where |"
            lines += [("| Project " if several else "") + head,
                      "|---" * (6 if several else 5) + "|"]  # fmt: skip
            ordered = sorted(result.findings, key=lambda f: of_finding[f.fingerprint])
            for finding in ordered if several else result.findings:
                project = escape_md(of_finding[finding.fingerprint] or ".")
                lines.append(
                    (f"| {project} " if several else "")
                    + f"| {_SEVERITY_MARK[finding.severity]} {finding.severity.value} "
                    f"| {escape_md(finding.rule_id)} | {_package(finding)} "
                    f"| {escape_md(finding.message, limit=160)} | {_where(finding)} |"
                )
            lines.append("")
            for finding in result.findings[:limit]:
                rule = rules.get(finding.rule_id)
                lines += _details(finding, rule.title if rule else finding.rule_name)
            if len(result.findings) > limit:
                lines.append(
                    f"_{len(result.findings) - limit} more finding(s): see the full report._"
                )
        else:
            lines.append("No findings. ✅")
        lines.append("")
        if result.incomplete:
            lines += ["### ⚠️ Not checked (the audit is incomplete)", ""]
            for gap in result.incomplete:
                pkgs = f" ({len(gap.packages)} package(s))" if gap.packages else ""
                lines.append(f"- {escape_md(gap.source)}: {escape_md(gap.reason)}{pkgs}")
            lines.append("")
        if result.suppressed and baseline is None:
            lines.append(f"{len(result.suppressed)} finding(s) suppressed by ignores.")
            lines.append("")
        lines += _extras_lines(result)
        lines += ["", f"<sub>auditor {escape_md(result.tool_version)}</sub>", ""]
        return "\n".join(lines)


REPORTER = MarkdownReporter()

__all__ = ["REPORTER", "MarkdownReporter", "code_block", "escape_md"]
