"""AUD402 typosquat: a declared name that imitates a popular project's name.

The matcher (`auditor.reputation.typosquat`) needs the popular-package list; without one the
check says it could not run instead of passing. Severity grows with what else is suspicious
about the name: a name on the popular list (just less popular) is low, an unlisted name medium,
and an unlisted name that the index says is new, sparse or missing high.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from auditor.checks.base import CheckContext, Outcome, incomplete
from auditor.checks.stdlib_names import stdlib_declared
from auditor.index.model import LookupState, ProjectLookup
from auditor.model import Finding, Location, Severity
from auditor.report.safe import clean
from auditor.reputation.policy import ReputationPolicy, load_reputation_policy
from auditor.reputation.popular import NO_POPULAR_LIST
from auditor.reputation.typosquat import TyposquatMatch

RULE = "AUD402"


def _aggravation(
    lookup: ProjectLookup | None, policy: ReputationPolicy, today: dt.date
) -> str | None:
    """Say what makes a look-alike worse, from the index: missing, new or with few releases."""
    if lookup is None:
        return None
    if lookup.state is LookupState.MISSING:
        return "it does not exist on the index"
    if lookup.state is not LookupState.FOUND or lookup.info is None:
        return None
    first = lookup.info.first_release
    if first is None:
        return "it has no released files"
    age = (today - first.date()).days
    releases = sum(1 for r in lookup.info.releases if r.upload_time is not None)
    if age < policy.new_few_releases_days:
        return f"it was first released {age} days ago"
    if releases < policy.new_min_releases:
        return f"it has only {releases} release(s)"
    return None


class TyposquatCheck:
    """Reports declared names that look like a popular project's name (AUD402)."""

    name = "typosquat"

    def run(self, ctx: CheckContext) -> Iterator[Outcome]:
        """Yield one finding per look-alike name."""
        if not ctx.enabled(RULE):
            return
        shadowed = stdlib_declared(ctx)
        uses = [use for use in ctx.facts.declared if use.name not in shadowed]
        if not uses:
            return
        matcher = ctx.facts.matcher
        if matcher is None:
            yield incomplete("typosquat", NO_POPULAR_LIST, [use.name for use in uses])
            return
        policy = load_reputation_policy(ctx.config)
        hits = [(use, m) for use in uses if (m := matcher.match(use.name)) is not None]
        if not hits:
            return
        lookups = ctx.facts.index
        today = ctx.config.today_date()
        for use, match in hits:
            listed = matcher.popular.get(use.name)
            worse = _aggravation(lookups.get(use.name), policy, today)
            if listed is not None:
                severity = Severity.LOW
            elif worse is not None:
                severity = Severity.HIGH
            else:
                severity = Severity.MEDIUM
            yield self._finding(ctx, use.display_name, use.locations, match, severity, worse,
                                listed.rank if listed else None)  # fmt: skip

    @staticmethod
    def _finding(
        ctx: CheckContext,
        display_name: str,
        locations: Iterable[Location],
        match: TyposquatMatch,
        severity: Severity,
        worse: str | None,
        rank: int | None,
    ) -> Finding:
        display = clean(display_name)
        target = clean(match.target_display)
        popularity = (
            f"ranked {rank} by downloads" if rank is not None else "not among the popular projects"
        )
        message = (
            f"{display} looks like the popular {target} (#{match.target_rank} by downloads; "
            f"{match.detail}); {display} is {popularity}"
        )
        if worse:
            message += f" and {worse}"
        message += ": a likely typo or typosquat"
        return ctx.finding(
            RULE,
            message=message,
            package=display_name,
            locations=locations,
            evidence={**match.to_json(), "rank": rank, "aggravating": worse},
            fix=f"if you meant {target}, declare {target}; otherwise confirm who publishes "
            f"{display}",
            severity=severity,
            key=match.target,
        )


CHECK = TyposquatCheck()

__all__ = ["CHECK", "TyposquatCheck"]
