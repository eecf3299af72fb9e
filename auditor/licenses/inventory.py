"""The license inventory: one row per package version with its license, category and verdict."""

from __future__ import annotations

import datetime as dt

from auditor.config import Config
from auditor.licenses.category import category_of, load_categories
from auditor.licenses.model import Category, LicenseFact, LicenseFacts, Source, Verdict
from auditor.licenses.policy import Judgement, LicensePolicy, Project, judge
from auditor.result import PackageLicense


def project_of(facts: LicenseFacts, policy: LicensePolicy) -> Project:
    """The project as the verdicts see it: its own license and how it is used."""
    return Project(license=facts.project_license, use=policy.use, commercial=policy.commercial)


def judge_fact(
    fact: LicenseFact, policy: LicensePolicy, project: Project, today: dt.date
) -> Judgement:
    """The policy's verdict on one fact (not checked when its source could not be asked)."""
    if fact.source is Source.NOT_CHECKED:
        return Judgement(verdict=Verdict.NOT_CHECKED, reasons=(fact.reason,))
    return judge(fact.name, fact.normalized, policy, project, today)


def _raw(fact: LicenseFact) -> str | None:
    if fact.source is Source.NOT_CHECKED:
        return f"not checked: {fact.reason}" if fact.reason else "not checked"
    normalized = fact.normalized
    if normalized is None or normalized.expression is not None:
        return None
    parts = [normalized.family or "", normalized.raw, normalized.note]
    return " — ".join(p for p in parts if p) or None


def inventory_rows(
    facts: LicenseFacts, policy: LicensePolicy, today: dt.date
) -> tuple[PackageLicense, ...]:
    """Return the inventory rows, sorted by name then version."""
    project = project_of(facts, policy)
    data = load_categories()
    rows = []
    for fact in facts.facts:
        category = category_of(fact.normalized, data)
        if fact.source is Source.NOT_CHECKED:
            category = Category.UNKNOWN
        verdict = judge_fact(fact, policy, project, today).verdict
        detail = fact.detail or fact.reason
        if fact.from_cache:
            detail = f"{detail} (from the cache)" if detail else "from the cache"
        rows.append(
            PackageLicense(
                name=fact.display_name,
                version=fact.version,
                license=fact.expression,
                category=str(category),
                source=str(fact.source),
                verdict=str(verdict),
                raw=_raw(fact),
                detail=detail,
            )
        )
    return tuple(sorted(rows, key=lambda r: (r.name.lower(), r.version or "")))


def result_licenses(
    facts: LicenseFacts | None, config: Config
) -> tuple[PackageLicense, ...] | None:
    """The run's inventory for the `AuditResult` (None when the license stage did not run)."""
    if facts is None:
        return None
    from auditor.licenses.policy import load_license_policy

    return inventory_rows(facts, load_license_policy(config), config.today_date())


__all__ = ["inventory_rows", "judge_fact", "project_of", "result_licenses"]
