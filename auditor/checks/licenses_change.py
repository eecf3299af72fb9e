"""AUD304 license-changed: the newest release carries another license than the version used.

A relicensing to watch before upgrading (MIT to BUSL, BSD to AGPL ...): the finding names both
expressions. Its severity rises to the rule's when the newest license is in a more restrictive
category, and is low otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.checks.base import CheckContext
from auditor.graph import query as gq
from auditor.licenses.category import category_of
from auditor.licenses.model import LicenseFact, Normalized
from auditor.model import Finding, Severity
from auditor.report.safe import clean

AUD304 = "AUD304"


def _label(item: Normalized | None) -> str | None:
    if item is None:
        return None
    return item.expression or item.family


def _changed(fact: LicenseFact) -> bool:
    old, new = _label(fact.normalized), _label(fact.newest)
    return old is not None and new is not None and old != new


class LicenseChangeCheck:
    """Compares the license of the version used with the newest release's."""

    name = "licenses_change"

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        """Yield one finding per package whose newest release changed its license."""
        facts = ctx.facts.licenses
        if facts is None or not ctx.enabled(AUD304):
            return
        for fact in facts.facts:
            if fact.newest is None or not _changed(fact):
                continue
            before, after = category_of(fact.normalized), category_of(fact.newest)
            stricter = after.rank > before.rank
            old, new = clean(_label(fact.normalized) or ""), clean(_label(fact.newest) or "")
            node = gq.package(ctx.graph, fact.name)
            display = clean(fact.display_name)
            yield ctx.finding(
                AUD304,
                message=f"{display} {fact.version} is licensed {old} ({before.value}); its newest "
                f"release {fact.newest_version} is licensed {new} ({after.value})",
                package=fact.display_name,
                version=fact.version,
                locations=node.locations if node is not None else (),
                evidence={
                    "locked_license": _label(fact.normalized),
                    "locked_category": str(before),
                    "newest_version": fact.newest_version,
                    "newest_license": _label(fact.newest),
                    "newest_category": str(after),
                    "more_restrictive": stricter,
                },
                fix=f"review the license of {display} {fact.newest_version} before upgrading",
                key=fact.newest_version or "",
                severity=None if stricter else Severity.LOW,
            )


CHECK = LicenseChangeCheck()

__all__ = ["AUD304", "CHECK", "LicenseChangeCheck"]
