"""License policy checks: denied (AUD301), incompatible with the project (AUD302), unknown (AUD303).

The license of each package version comes from the enrichment stage (``licenses`` fact); the
verdict from the license policy (`auditor.licenses.policy`): deny lists and categories, the
project's own license and how the project is used, and per-package exceptions. A package whose
license could not be read (the index unreachable) is not judged: the enrichment stage already
reported it as not checked.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.checks.base import CheckContext, Note, Outcome
from auditor.checks.shipping import shipped_packages
from auditor.graph import query as gq
from auditor.licenses.category import category_of
from auditor.licenses.inventory import judge_fact, project_of
from auditor.licenses.model import LicenseFact, Source, Verdict
from auditor.licenses.policy import Judgement, expired_exceptions, load_license_policy
from auditor.model import Severity
from auditor.report.safe import clean

AUD301 = "AUD301"
AUD302 = "AUD302"
AUD303 = "AUD303"
RULES = {Verdict.DENIED: AUD301, Verdict.INCOMPATIBLE: AUD302, Verdict.UNKNOWN: AUD303}


def _shown(fact: LicenseFact) -> str:
    normalized = fact.normalized
    if normalized is None:
        return "no license metadata"
    if normalized.expression:
        return normalized.expression
    if normalized.family:
        return normalized.family
    return f"unknown ({clean(normalized.raw, limit=120)})" if normalized.raw else "unknown"


def _evidence(ctx: CheckContext, fact: LicenseFact, judgement: Judgement) -> dict[str, object]:
    normalized = fact.normalized
    facts = ctx.facts.licenses
    own = facts.project_license if facts is not None else None
    return {
        "license": fact.expression,
        "category": str(category_of(normalized)),
        "raw": None if normalized is None else normalized.raw[:500],
        "field": None if normalized is None else normalized.field,
        "source": str(fact.source),
        "source_detail": fact.detail,
        "reasons": list(judgement.reasons),
        "project_license": None if own is None else own.expression or own.family,
        "project_license_source": None if facts is None else facts.project_license_source,
    }


def _message(rule: str, display: str, fact: LicenseFact, judgement: Judgement) -> str:
    shown = clean(_shown(fact), limit=200)
    reasons = "; ".join(clean(r, limit=300) for r in judgement.reasons)
    if rule == AUD301:
        return f"{display} is licensed {shown}, which the license policy denies: {reasons}"
    if rule == AUD302:
        return f"{display} is licensed {shown}: {reasons}"
    why = clean(fact.normalized.note, limit=200) if fact.normalized is not None else ""
    return f"{display} has no license Auditor can name: {shown}" + (f" ({why})" if why else "")


class LicenseCheck:
    """Judges every package version's license against the policy."""

    name = "licenses"

    def run(self, ctx: CheckContext) -> Iterator[Outcome]:
        """Yield one finding per package version the policy does not pass."""
        facts = ctx.facts.licenses
        if facts is None or not any(ctx.enabled(r) for r in RULES.values()):
            return
        policy = load_license_policy(ctx.config)
        today = ctx.config.today_date()
        for exception in expired_exceptions(policy, today):
            yield Note(
                f"license exception for {exception.package} expired on {exception.expires}: "
                "it no longer applies"
            )
        project = project_of(facts, policy)
        shipped = shipped_packages(ctx)
        off_index = 0
        unshipped = 0
        for fact in facts.facts:
            if fact.source is Source.NOT_ON_INDEX and fact.metadata is None:
                off_index += 1
                continue
            judgement = judge_fact(fact, policy, project, today)
            rule = RULES.get(judgement.verdict)
            if rule is None or not ctx.enabled(rule):
                continue
            # Development tools and examples are not distributed with the project.
            dev_only = fact.name not in shipped
            if dev_only and rule == AUD302:
                unshipped += 1
                continue
            node = gq.package(ctx.graph, fact.name)
            display = clean(fact.display_name)
            yield ctx.finding(
                rule,
                message=_message(rule, display, fact, judgement),
                package=fact.display_name,
                version=fact.version,
                locations=node.locations if node is not None else (),
                evidence={**_evidence(ctx, fact, judgement), "development_only": dev_only},
                severity=Severity.LOW if dev_only else None,
                fix=None
                if rule == AUD303
                else "replace the package, or add a reasoned exception to "
                "[tool.auditor.policy.licenses]",
                path_from_root=gq.shortest_path(ctx.graph, fact.name)[1:],
            )
        if unshipped:
            yield Note(
                f"{unshipped} development-only package(s) (dependency groups, dev extras and "
                "files, examples) are not judged for compatibility with the project's license: "
                "they are not distributed with it"
            )
        if off_index:
            yield Note(
                f"{off_index} package(s) are not on the index (path, VCS or URL dependencies, or "
                "names the index does not know) and not installed: their license was not read"
            )


CHECK = LicenseCheck()

__all__ = ["AUD301", "AUD302", "AUD303", "CHECK", "LicenseCheck"]
