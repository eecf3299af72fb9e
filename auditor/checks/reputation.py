"""What the index says about each declared name: does it exist, how old is it, is it alive.

* AUD401 hallucinated-package: the index answers 404 for a declared name: an invented or
  mistyped name that anyone can register (slopsquatting). "Did you mean" comes from the popular
  list. Names the index could not be asked about are reported as not checked, never as clean.
* AUD406 new-package: the first release is younger than the policy allows (or the project has
  very few releases and is young).
* AUD407 abandoned-package: no release for years.
* AUD410 born-after-use: the package's first release came after the commit that first named it
  in the manifest: the name was written before it existed, and someone registered it later.
* AUD411 suspicious-young-package: a project under a year old (policy) whose name is built from
  a popular project's name (`auditor.reputation.derivation`, or a typing mistake when AUD402
  is off: AUD402 reports those itself), with the index's other signals counted for severity.

Names declared as paths, VCS links or URLs are skipped; a name declared next to another index
is not judged missing (it may live there).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence

from auditor.checks.base import CheckContext, Outcome, incomplete
from auditor.checks.lock_envs import never_installed
from auditor.checks.stdlib_names import stdlib_declared
from auditor.index.model import LookupState, ProjectInfo
from auditor.model import Finding, Location, Severity
from auditor.report.safe import clean
from auditor.reputation.derivation import Derivation, DerivationMatcher
from auditor.reputation.gitdates import GitDates
from auditor.reputation.policy import ReputationPolicy, load_reputation_policy
from auditor.reputation.popular import NO_POPULAR_LIST
from auditor.reputation.targets import NameUse, imported_only

HALLUCINATED = "AUD401"
NEW = "AUD406"
_ELSEWHERE = " (declared only for environments outside CPython/PyPy 3 on Linux, macOS and Windows)"
ABANDONED = "AUD407"
BORN_AFTER_USE = "AUD410"
YOUNG_DERIVED = "AUD411"
TYPOSQUAT = "AUD402"
_RULES = (HALLUCINATED, NEW, ABANDONED, BORN_AFTER_USE, YOUNG_DERIVED)


def _date(value: dt.datetime) -> str:
    return value.date().isoformat()


def _missing_import(
    ctx: CheckContext,
    name: str,
    locations: list[Location],
    *,
    production: bool,
    unmapped: Sequence[str] = (),
) -> Finding:
    display = clean(name)
    message = (
        f"the code imports {display}, which no declared dependency provides, and no "
        f"project named {display} exists on the package index: an invented module, or one "
        f"that comes from a differently named distribution; installing {display} by name "
        "would get whatever someone registers under it"
    )
    if unmapped:
        # A declared distribution whose module list could not be read may provide it.
        message += (
            f"; the module lists of {len(unmapped)} declared distributions could not be read, "
            "so one of them may provide it"
        )
        production = False
    return ctx.finding(
        HALLUCINATED,
        message=message,
        package=name,
        locations=sorted(locations),
        evidence={"index": "404 not found", "imported": True, "unmapped": sorted(unmapped)},
        fix=f"declare the distribution that provides {display}, or remove the import",
        # Only test or example code importing it: often a module the tests generate or put on
        # sys.path at run time, and nothing installs it for users.
        severity=Severity.HIGH if production else Severity.LOW,
        key="import",
    )


class ReputationCheck:
    """AUD401, AUD406, AUD407, AUD410 and AUD411 from index lookups (and git for AUD410).

    Args:
        lookup: the index lookup function (tests inject a fake; default: the index client).
        history: builds the git reader for a folder (tests inject one).
    """

    name = "reputation"

    def run(self, ctx: CheckContext) -> Iterator[Outcome]:
        """Yield the findings of the enabled rules."""
        if not any(ctx.enabled(rule) for rule in _RULES):
            return
        policy = load_reputation_policy(ctx.config)
        shadowed = stdlib_declared(ctx)
        uses = [use for use in ctx.facts.declared if use.name not in shadowed]
        if not uses:
            return
        usage = ctx.facts.imports
        imported = (
            imported_only(uses, usage, dev_code=policy.imported_in_dev_code)
            if ctx.enabled(HALLUCINATED) and usage is not None
            else {}
        )
        lookups = ctx.facts.index
        found: list[tuple[NameUse, ProjectInfo]] = []
        for use in uses:
            lookup = lookups.get(use.name)
            if lookup is None:
                yield incomplete("index", "no index answer", [use.name])
                continue
            if lookup.state is LookupState.MISSING:
                if ctx.enabled(HALLUCINATED):
                    yield from self._missing(ctx, policy, use)
            elif lookup.state is LookupState.FOUND and lookup.info is not None:
                found.append((use, lookup.info))
        for name, (locations, production) in sorted(imported.items()):
            lookup = lookups.get(name)
            if lookup is not None and lookup.state is LookupState.MISSING:
                yield _missing_import(
                    ctx,
                    name,
                    locations,
                    production=production,
                    unmapped=sorted(usage.unmapped) if usage is not None else (),
                )
        today = ctx.config.today_date()
        for use, info in found:
            if ctx.enabled(NEW):
                yield from self._new(ctx, policy, use, info, today)
            if ctx.enabled(ABANDONED) and not use.resolved:
                yield from self._abandoned(ctx, policy, use, info, today)
        written = [(use, info) for use, info in found if not use.resolved]
        if ctx.enabled(BORN_AFTER_USE) and written and ctx.facts.git is not None:
            yield from self._born_after_use(ctx, policy, written, ctx.facts.git)
        if ctx.enabled(YOUNG_DERIVED) and found:
            yield from self._young_derived(ctx, policy, found, today)

    # -- AUD401 -------------------------------------------------------------------------------

    def _missing(
        self, ctx: CheckContext, policy: ReputationPolicy, use: NameUse
    ) -> Iterator[Outcome]:
        if use.other_index is not None:
            yield incomplete(
                "reputation",
                f"existence not judged: {clean(use.other_index)} is configured as another "
                "index, the name may live there",
                [use.name],
            )
            return
        matcher = ctx.facts.matcher
        suggestions: list[str] = []
        if matcher is not None and policy.suggestions:
            suggestions = matcher.suggest(
                use.name, limit=policy.suggestions, max_distance=policy.suggestion_max_distance
            )
        display = clean(use.display_name)
        message = (
            f"{display} does not exist on the package index: an invented or mistyped name that "
            "anyone can register and fill with malware (slopsquatting)"
        )
        if suggestions:
            message += "; did you mean " + ", ".join(suggestions) + "?"
        fix = (
            f"replace {display} with the real project ({', '.join(suggestions)}?) or remove it"
            if suggestions
            else f"remove {display} or replace it with the project that provides the code"
        )
        yield ctx.finding(
            HALLUCINATED,
            message=message,
            package=use.display_name,
            locations=use.locations,
            evidence={
                "index": "404 not found",
                "suggestions": suggestions,
                "popular_list": matcher is not None,
            },
            fix=fix,
        )

    # -- AUD406 / AUD407 ----------------------------------------------------------------------

    def _new(
        self,
        ctx: CheckContext,
        policy: ReputationPolicy,
        use: NameUse,
        info: ProjectInfo,
        today: dt.date,
    ) -> Iterator[Finding]:
        first = info.first_release
        if first is None:
            return
        age = (today - first.date()).days
        count = sum(1 for r in info.releases if r.upload_time is not None)
        young = age < policy.new_max_age_days
        sparse = count < policy.new_min_releases and age < policy.new_few_releases_days
        if not (young or sparse):
            return
        display = clean(use.display_name)
        why = (
            f"was first released {age} days ago ({_date(first)})"
            if young
            else f"has only {count} release(s), the first {age} days ago ({_date(first)})"
        )
        # Declared only for a platform outside Linux, macOS and Windows (emscripten): it does
        # not reach the machines the project is deployed on.
        elsewhere = never_installed(use.requirements)
        yield ctx.finding(
            NEW,
            message=f"{display} {why}: new projects are where typosquats and slopsquats live; "
            "check who publishes it before depending on it" + (_ELSEWHERE if elsewhere else ""),
            package=use.display_name,
            locations=use.locations,
            evidence={
                "first_release": first.isoformat(),
                "age_days": age,
                "releases": count,
                "installed_on_common_platforms": not elsewhere,
            },
            severity=Severity.LOW if elsewhere else None,
            fix=f"confirm {display} is the project you meant (publisher, repository, downloads)",
        )

    def _abandoned(
        self,
        ctx: CheckContext,
        policy: ReputationPolicy,
        use: NameUse,
        info: ProjectInfo,
        today: dt.date,
    ) -> Iterator[Finding]:
        last = info.last_release
        if last is None:
            return
        idle = (today - last.date()).days
        if idle < policy.abandoned_max_idle_days:
            return
        display = clean(use.display_name)
        yield ctx.finding(
            ABANDONED,
            message=f"{display} has had no release for {idle // 365} years (last: "
            f"{_date(last)}, {clean(info.latest_version or '?')}): fixes, security ones "
            "included, are unlikely",
            package=use.display_name,
            locations=use.locations,
            evidence={
                "last_release": last.isoformat(),
                "idle_days": idle,
                "latest_version": info.latest_version,
            },
            fix=f"look for a maintained alternative to {display}",
        )

    # -- AUD410 -------------------------------------------------------------------------------

    def _born_after_use(
        self,
        ctx: CheckContext,
        policy: ReputationPolicy,
        found: list[tuple[NameUse, ProjectInfo]],
        git: GitDates,
    ) -> Iterator[Finding]:
        if not git.usable:
            return  # the enrichment said why (not a checkout, or git failed)
        grace = dt.timedelta(days=policy.born_after_grace_days)
        for use, info in found:
            released = info.first_release
            if released is None:
                continue
            for where in use.locations:
                file_start = git.first_commit.get(where.path)
                # A package released before the manifest's first commit cannot be born after use.
                if file_start is None or released <= file_start + grace:
                    continue
                dates = [
                    found_at
                    for text in use.spellings_in(where.path)
                    if (found_at := git.first_mention.get((where.path, text))) is not None
                ]
                written = min(dates) if dates else None
                if written is None or released <= written + grace:
                    continue
                yield self._born_finding(ctx, use, where, written, released)
                break

    @staticmethod
    def _born_finding(
        ctx: CheckContext,
        use: NameUse,
        where: Location,
        written: dt.datetime,
        released: dt.datetime,
    ) -> Finding:
        display = clean(use.display_name)
        days = (released - written).days
        return ctx.finding(
            BORN_AFTER_USE,
            message=f"{display} was named in {where.path} on {_date(written)} "
            f"but first released on {_date(released)} ({days} days later): the name was "
            "written before the project existed and was registered afterwards (slopsquatting)",
            package=use.display_name,
            locations=use.locations,
            evidence={
                "first_commit": written.isoformat(),
                "first_release": released.isoformat(),
                "days_between": days,
            },
            fix=f"remove {display} unless you can confirm its publisher; find the project the "
            "code really needs",
        )

    # -- AUD411 -------------------------------------------------------------------------------

    def _young_derived(
        self,
        ctx: CheckContext,
        policy: ReputationPolicy,
        found: list[tuple[NameUse, ProjectInfo]],
        today: dt.date,
    ) -> Iterator[Outcome]:
        young = [
            (use, info, age)
            for use, info in found
            if (first := info.first_release) is not None
            and (age := (today - first.date()).days) < policy.young_max_age_days
        ]
        if not young:
            return
        popular, typos = ctx.facts.popular, ctx.facts.matcher
        if popular is None:
            reason = NO_POPULAR_LIST.replace("typosquat check", "young look-alike check (AUD411)")
            yield incomplete("reputation", reason, [use.name for use, _, _ in young])
            return
        deriver = DerivationMatcher(popular, policy.derivation, typos.allow if typos else None)
        for use, info, age in young:
            typo = typos.match(use.name) if typos is not None else None
            if typo is not None and ctx.enabled(TYPOSQUAT):
                continue  # AUD402 reports the look-alike, at high severity while it is young
            derivation = (
                Derivation(
                    name=typo.name,
                    target=typo.target,
                    target_display=typo.target_display,
                    target_rank=typo.target_rank,
                    technique=typo.technique,
                    detail=typo.detail,
                )
                if typo is not None
                else deriver.derive(use.name)
            )
            if derivation is not None:
                yield self._young_finding(ctx, policy, use, info, age, derivation)

    @staticmethod
    def _young_finding(
        ctx: CheckContext,
        policy: ReputationPolicy,
        use: NameUse,
        info: ProjectInfo,
        age: int,
        derivation: Derivation,
    ) -> Finding:
        releases = sum(1 for r in info.releases if r.upload_time is not None)
        signals: list[str] = []
        if releases < policy.young_few_releases:
            signals.append(f"only {releases} release(s)")
        if not (info.author or info.maintainer):
            signals.append("no author or maintainer named")
        if not info.project_urls:
            signals.append("no project links")
        display = clean(use.display_name)
        target = clean(derivation.target_display)
        first = info.first_release
        when = f" ({_date(first)})" if first is not None else ""
        message = (
            f"{display} was first released {age} days ago{when} and its name is built from the "
            f"popular {target} (#{derivation.target_rank} by downloads; {derivation.technique}: "
            f"{clean(derivation.detail)})"
        )
        if signals:
            message += "; " + ", ".join(signals)
        message += (
            ": names like this are what assistants invent and squatters register, sometimes "
            "months later (slopsquatting)"
        )
        return ctx.finding(
            YOUNG_DERIVED,
            message=message,
            package=use.display_name,
            locations=use.locations,
            evidence={
                **derivation.to_json(),
                "first_release": first.isoformat() if first is not None else None,
                "age_days": age,
                "releases": releases,
                "signals": signals,
            },
            fix=f"confirm who publishes {display} (repository, maintainers, download history) "
            f"before depending on it; if you meant {target}, declare {target}",
            severity=Severity.HIGH
            if len(signals) >= policy.young_high_min_signals
            else Severity.MEDIUM,
            key=derivation.target,
        )


CHECK = ReputationCheck()

__all__ = ["CHECK", "ReputationCheck"]
