"""Plain-text summaries of a result: the one-line summary and the compact pre-commit listing."""

from __future__ import annotations

from auditor.report.safe import clean
from auditor.result import AuditResult

__all__ = ["compact_text", "summary_line"]


def summary_line(result: AuditResult) -> str:
    """Return the one-line summary written to stderr."""
    counts = result.summary()
    parts = [f"{n} {sev}" for sev, n in counts.items() if n]
    text = f"auditor: {len(result.findings)} finding(s)" + (
        f" ({', '.join(parts)})" if parts else ""
    )
    if result.baseline is not None:
        text += f"; {result.baseline.matched} more accepted in the baseline"
    if result.incomplete:
        text += f"; INCOMPLETE: {len(result.incomplete)} source(s) not checked"
    return text


def compact_text(result: AuditResult) -> str:
    """Return the pre-commit output: one line per finding, then what was not checked."""
    lines = []
    for finding in result.findings:
        where = str(finding.locations[0]) if finding.locations else "(project)"
        package = f" {finding.package}" if finding.package else ""
        lines.append(
            clean(f"{where}: {finding.rule_id} [{finding.severity}]{package}: {finding.message}")
        )
        if finding.fix:
            lines.append(clean(f"    fix: {finding.fix}"))
    for gap in result.incomplete:
        count = f" ({len(gap.packages)} package(s))" if gap.packages else ""
        lines.append(clean(f"not checked: {gap.source}: {gap.reason}{count}"))
    lines.append(summary_line(result))
    return "\n".join(lines) + "\n"
