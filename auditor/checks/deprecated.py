"""AUD408 deprecated-package: declared distributions listed in ``rules/deprecated.yaml``.

The catalogue lists renamed, unmaintained and placeholder distributions and backports the
standard library replaced, each with its successor and the reason.

The index's own PEP 792 "deprecated" status is AUD403 (index_status), not this check.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.checks.base import CheckContext
from auditor.checks.lock_envs import never_installed
from auditor.model import Finding
from auditor.report.safe import clean
from auditor.reputation.deprecated import describe_successor, load_deprecated

RULE = "AUD408"


class DeprecatedCheck:
    """Reports declared names found in the deprecated-packages catalogue."""

    name = "deprecated"

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        """Yield one finding per deprecated name."""
        if not ctx.enabled(RULE):
            return
        catalogue = load_deprecated()
        for use in ctx.facts.declared:
            entry = catalogue.get(use.name)
            if entry is None or use.resolved or never_installed(use.requirements):
                continue
            display = clean(use.display_name)
            successor = describe_successor(entry.successor)
            yield ctx.finding(
                RULE,
                message=f"{display} is {entry.kind}: {entry.reason} Use {successor}.",
                package=use.display_name,
                locations=use.locations,
                evidence={
                    "kind": entry.kind,
                    "successor": entry.successor,
                    "references": list(entry.references),
                },
                fix=f"replace {display} with {successor}",
                severity=entry.severity,
            )


CHECK = DeprecatedCheck()

__all__ = ["CHECK", "DeprecatedCheck"]
