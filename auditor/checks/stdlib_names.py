"""AUD409 stdlib-as-dependency: a standard-library module declared as a requirement.

``asyncio``, ``json`` or ``logging`` in requirements.txt installs whatever distribution holds
that name on the index, which is not the module the code imports (that one ships with Python)
and may be an ancient release or a squatter's. Real backports (``dataclasses``, ``typing`` ...,
listed in the policy) are fine when an environment marker limits them to older Pythons, and
reported at medium severity without one. Python 2 module names (``urllib2``) are reported too.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.checks.base import CheckContext
from auditor.model import Finding, Severity
from auditor.report.safe import clean
from auditor.reputation.policy import load_reputation_policy
from auditor.reputation.stdlib import limited_to_older_python, match_stdlib, stdlib_names

RULE = "AUD409"


def stdlib_declared(ctx: CheckContext) -> frozenset[str]:
    """Declared names that are standard-library modules (not backports) while AUD409 is on.

    AUD409 is the one finding for such a name, with its fix (remove the line): the other
    reputation rules (hallucinated, abandoned, typosquat, stale) leave these names alone.
    """
    if not ctx.enabled(RULE):
        return frozenset()
    policy = load_reputation_policy(ctx.config)
    names = stdlib_names(policy.python2_modules)
    return frozenset(
        use.name
        for use in ctx.facts.declared
        if not use.resolved
        and (match := match_stdlib(use.name, names, policy.stdlib_backports)) is not None
        and match.backport_until is None
    )


class StdlibNamesCheck:
    """Reports declared names that are standard-library modules."""

    name = "stdlib_names"

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        """Yield one finding per standard-library name declared (all its lines as locations)."""
        if not ctx.enabled(RULE):
            return
        policy = load_reputation_policy(ctx.config)
        names = stdlib_names(policy.python2_modules)
        for use in ctx.facts.declared:
            match = match_stdlib(use.name, names, policy.stdlib_backports)
            if match is None or use.resolved:
                continue
            display = clean(use.display_name)
            module = clean(match.module)
            severity: Severity | None = None
            if match.backport_until is not None:
                markers = [r.marker for r in use.requirements] or [None]
                if all(limited_to_older_python(m, match.backport_until) for m in markers):
                    continue
                severity = Severity.MEDIUM
                message = (
                    f"{display} is the standard library's {module} module since Python "
                    f"{match.backport_until}; the backport on the index is only for older "
                    "Pythons, and this requirement is not limited to them"
                )
                fix = (
                    f'limit it with a marker ({display}; python_version < "'
                    f'{match.backport_until}") or remove it'
                )
            elif match.python2:
                message = (
                    f"{display} is a Python 2 standard-library module, not a distribution: the "
                    "name on the index is not the module the code imports and may be owned by "
                    "a squatter"
                )
                fix = f"remove {display} and port the code to the Python 3 equivalent"
            else:
                message = (
                    f"{display} is a standard-library module ({module}), not a third-party "
                    "dependency: the name on the index is not the module the code imports and "
                    "may be owned by a squatter"
                )
                fix = (
                    f"remove the {display} line (auditor fix --apply does); {module} ships "
                    "with Python"
                )
            yield ctx.finding(
                RULE,
                message=message,
                package=use.display_name,
                locations=use.locations,
                evidence={
                    "module": match.module,
                    "backport_until": match.backport_until,
                    "python2": match.python2,
                },
                fix=fix,
                severity=severity,
            )


CHECK = StdlibNamesCheck()

__all__ = ["CHECK", "StdlibNamesCheck", "stdlib_declared"]
