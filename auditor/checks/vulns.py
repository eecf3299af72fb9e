"""Vulnerability checks: known (AUD201), malicious (AUD202), admitted by a range (AUD203).

Every package of the run goes into one batched advisory lookup (the ``advisories`` fact): a
package with known versions (locked, or pinned with ``==``/``===``) is asked about each version;
a package without one is asked for all its advisories, which feed AUD202 (whole-project
malicious entries) and AUD203 (ranges that admit vulnerable releases).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from auditor.advisories.client import Query
from auditor.advisories.evidence import AdvisoryEvidence
from auditor.advisories.lookup import AdvisoryFacts
from auditor.advisories.matching import (
    AdvisoryGroup,
    admitted_versions,
    affects_all_versions,
    common_fix,
    group_aliases,
    is_malicious,
    smallest_fix,
    sort_versions,
)
from auditor.advisories.policy import advisory_policy
from auditor.advisories.severity import group_severity
from auditor.advisories.targets import PackageTarget, package_targets
from auditor.checks.base import CheckContext
from auditor.checks.vuln_scope import ROLE_NOTES, DeclarationScope, Role, declaration_scope
from auditor.graph import query as gq
from auditor.model import Finding, Location, Severity

AUD201 = "AUD201"
AUD202 = "AUD202"
AUD203 = "AUD203"
_IDS_SHOWN = 5


def _evidence(
    group: AdvisoryGroup, name: str, version: str | None, fix: str | None = None
) -> dict[str, Any]:
    return AdvisoryEvidence.for_group(group, name, version, fix).to_json()


def _ids_text(group: AdvisoryGroup) -> str:
    others = [i for i in group.ids if i != group.primary]
    return group.primary + (f" ({', '.join(others)})" if others else "")


def _known_version_findings(
    ctx: CheckContext, target: PackageTarget, facts: AdvisoryFacts, scope: DeclarationScope
) -> Iterator[Finding]:
    for version, places in sorted(target.versions.items()):
        role = scope.pin_role(places, version)
        if role is Role.SELF:
            continue  # the project itself, not a release from the index
        query = Query(name=target.name, version=version)
        # Malicious-package lists answer even when the vulnerability sources could not.
        checked = facts.checked(query)
        records = facts.for_query(query)
        path = gq.shortest_path(ctx.graph, target.name)[1:] if records else []
        groups = group_aliases(records)
        # The one upgrade every finding of this version names (and `auditor fix` writes).
        vulnerable = [g.records for g in groups if not any(map(is_malicious, g.records))]
        upgrade = common_fix(vulnerable, target.name, version)
        for group in groups:
            if any(is_malicious(r) for r in group.records):
                evidence = _evidence(group, target.name, version)
                yield ctx.finding(
                    AUD202,
                    message=f"{target.display} {version} is a known malicious release: "
                    f"{_ids_text(group)}",
                    package=target.display,
                    version=version,
                    locations=sorted(places),
                    evidence=evidence,
                    fix=f"remove {target.display} {version} and check what installed it",
                    key=group.primary,
                    severity=Severity.CRITICAL,
                    path_from_root=path,
                )
                continue
            if not checked:
                continue
            rule = ctx.rules.get(AUD201)
            severity, _cvss = group_severity(group.records, rule.severity)
            if role in (Role.DEV, Role.EXAMPLE):
                severity = Severity.LOW
            fix = smallest_fix(group.records, target.name, version)
            if fix is not None:
                fix = upgrade or fix
            evidence = _evidence(group, target.name, version, fix)
            if role is not Role.RUNTIME:
                evidence = {**evidence, "declared_as": str(role)}
            summary = evidence["summary"]
            yield ctx.finding(
                AUD201,
                message=f"{target.display} {version} is affected by {_ids_text(group)}"
                + (f": {summary}" if summary else "")
                + (f" ({ROLE_NOTES[role]})" if role in ROLE_NOTES else ""),
                package=target.display,
                version=version,
                locations=sorted(places),
                evidence=evidence,
                fix=f"upgrade {target.display} to >= {fix}" if fix else None,
                key=group.primary,
                severity=severity,
                path_from_root=path,
            )


def _unversioned_findings(
    ctx: CheckContext, target: PackageTarget, facts: AdvisoryFacts, scope: DeclarationScope
) -> Iterator[Finding]:
    query = Query(name=target.name)
    records = facts.for_query(query)
    if not records:
        return
    groups = group_aliases(records)
    path = gq.shortest_path(ctx.graph, target.name)[1:]
    for group in groups:
        if any(is_malicious(r) and affects_all_versions(r, target.name) for r in group.records):
            yield ctx.finding(
                AUD202,
                message=f"{target.display} is a known malicious package: {_ids_text(group)}",
                package=target.display,
                locations=target.locations,
                evidence=_evidence(group, target.name, None),
                fix=f"remove {target.display} and check the machines that installed it",
                key=group.primary,
                severity=Severity.CRITICAL,
                path_from_root=path,
            )
    if target.locked or not facts.checked(query):
        return  # locked without a version (nothing to say about ranges), or not checked
    policy = advisory_policy(ctx.config)
    for specifier, location in target.ranges:
        if not specifier and not policy.flag_unconstrained:
            continue
        role = scope.role(location)
        if role in (Role.SELF, Role.CONSTRAINT):
            continue  # requiring itself with extras, or a constraint: installs nothing itself
        yield from _range_findings(ctx, target, groups, specifier, location, path, role)


def _range_findings(
    ctx: CheckContext,
    target: PackageTarget,
    groups: Sequence[AdvisoryGroup],
    specifier: str,
    location: Location,
    path: Sequence[str],
    role: Role = Role.RUNTIME,
) -> Iterator[Finding]:
    policy = advisory_policy(ctx.config)
    admitted_all: set[str] = set()
    hit: list[tuple[AdvisoryGroup, list[str]]] = []
    for group in groups:
        admitted = admitted_versions(group.records, target.name, specifier)
        if admitted:
            hit.append((group, admitted))
            admitted_all.update(admitted)
    if not hit:
        return
    versions = sort_versions(admitted_all)
    records = [r for group, _ in hit for r in group.records]
    fix = smallest_fix(records, target.name, versions[-1])
    shown = versions[: policy.max_versions_listed]
    more = len(versions) - len(shown)
    listed = ", ".join(shown) + (f" and {more} more" if more else "")
    ids = [group.primary for group, _ in hit]
    spec_text = specifier or "(no version specifier)"
    malicious = any(is_malicious(r) for r in records)
    yield ctx.finding(
        AUD203,
        message=f"{target.display} {spec_text}: your specifier admits {len(versions)} vulnerable "
        f"version(s) ({listed}) named by {len(ids)} advisory(ies): {', '.join(ids[:_IDS_SHOWN])}"
        + (" and more" if len(ids) > _IDS_SHOWN else "")
        + (" (including malicious releases)" if malicious else "")
        + (f" ({ROLE_NOTES[role]})" if role in ROLE_NOTES else ""),
        package=target.display,
        locations=[location],
        severity=Severity.LOW if role in ROLE_NOTES and not malicious else None,
        evidence={
            "specifier": specifier,
            "admitted_vulnerable_versions": versions,
            "count": len(versions),
            "advisories": [i for group, _ in hit for i in group.ids],
            "by_advisory": [
                {"ids": list(group.ids), "versions": admitted} for group, admitted in hit
            ],
            "fixed_in": [fix] if fix else [],
            "malicious": malicious,
            "declared_as": str(role),
        },
        fix=f"require {target.display}>={fix} (or lock the dependencies)"
        if fix
        else "lock the dependencies so the installed version is audited",
        key=specifier,
        path_from_root=path,
    )


@dataclass(frozen=True, slots=True)
class VulnsCheck:
    """AUD201, AUD202 and AUD203 over one batched advisory lookup."""

    name: str = "vulns"

    def run(self, ctx: CheckContext) -> Iterable[Finding]:
        """Look the run's packages up once and turn the advisories into findings."""
        if not any(ctx.enabled(r) for r in (AUD201, AUD202, AUD203)):
            return []
        facts = ctx.facts.advisories
        if facts is None:
            return []
        targets = package_targets(ctx.graph)
        scope = declaration_scope(ctx)
        findings: list[Finding] = []
        for target in targets:
            if target.versions:
                findings.extend(_known_version_findings(ctx, target, facts, scope))
            else:
                findings.extend(_unversioned_findings(ctx, target, facts, scope))
        return findings


CHECK = VulnsCheck()

__all__ = ["CHECK", "VulnsCheck"]
