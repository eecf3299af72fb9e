"""Vulnerability checks: known (AUD201), malicious (AUD202), admitted by a range (AUD203).

Every package of the run goes into one batched advisory lookup (the ``advisories`` fact): a
package with known versions (locked, or pinned with ``==``/``===``) is asked about each version;
a package without one is asked for all its advisories, which feed AUD202 (whole-project
malicious entries) and AUD203 (ranges that admit vulnerable releases).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from auditor.advisories.client import Query
from auditor.advisories.lookup import AdvisoryFacts, lookup_advisories
from auditor.advisories.matching import (
    AdvisoryGroup,
    admitted_versions,
    affects_all_versions,
    fixed_versions,
    group_aliases,
    is_malicious,
    parse_version,
    smallest_fix,
    sort_versions,
)
from auditor.advisories.policy import advisory_policy
from auditor.advisories.severity import group_severity
from auditor.checks.base import CheckContext
from auditor.graph import query as gq
from auditor.graph.build import ROOT
from auditor.model import Finding, Location, Severity

AUD201 = "AUD201"
AUD202 = "AUD202"
AUD203 = "AUD203"
_SUMMARY_CHARS = 200
_IDS_SHOWN = 5


@dataclass(slots=True)
class PackageTarget:
    """What the run knows about one package: versions (with their places) and ranges."""

    name: str
    display: str
    locked: bool
    versions: dict[str, list[Location]] = field(default_factory=dict)
    ranges: list[tuple[str, Location]] = field(default_factory=list)
    locations: tuple[Location, ...] = ()


def package_targets(ctx: CheckContext) -> list[PackageTarget]:
    """Collect every package of the graph with its known versions and declared ranges."""
    targets: list[PackageTarget] = []
    for node in gq.packages(ctx.graph):
        target = PackageTarget(
            name=node.name,
            display=node.display_name,
            locked=node.locked,
            locations=tuple(sorted(node.locations)),
        )
        for version in node.versions:
            target.versions.setdefault(version, list(target.locations))
        for origin in gq.incoming(ctx.graph, node.name):
            if origin.parent != ROOT or origin.source == "inferred" or origin.url:
                continue
            if origin.pinned is not None:
                places = target.versions.setdefault(origin.pinned, [])
                if origin.location not in places:
                    places.append(origin.location)
            else:
                target.ranges.append((origin.specifier, origin.location))
        targets.append(target)
    return targets


def target_queries(targets: Iterable[PackageTarget]) -> list[Query]:
    """Return the queries a run needs: one per known version, or one per unversioned package."""
    queries: set[Query] = set()
    for target in targets:
        if target.versions:
            queries.update(Query(name=target.name, version=v) for v in target.versions)
        else:
            queries.add(Query(name=target.name))
    return sorted(queries)


def advisories_fact(ctx: CheckContext) -> AdvisoryFacts:
    """Compute the run's advisory lookup (shared through ``ctx.fact("advisories", ...)``)."""
    return lookup_advisories(ctx, target_queries(package_targets(ctx)))


def _summary(record: Mapping[str, Any]) -> str:
    for key in ("summary", "details"):
        text = record.get(key)
        if isinstance(text, str) and text.strip():
            first = " ".join(text.split())
            return first if len(first) <= _SUMMARY_CHARS else first[: _SUMMARY_CHARS - 1] + "…"
    return ""


def _fixes_by_advisory(
    group: AdvisoryGroup, name: str, version: str | None
) -> dict[str, list[str]]:
    """Return each record's fixed versions (above `version`, when it is known)."""
    base = None if version is None else parse_version(version)
    found: dict[str, list[str]] = {}
    for record in group.records:
        fixes = fixed_versions(record, name)
        if base is not None:
            fixes = [f for f in fixes if (p := parse_version(f)) is not None and p > base]
        found[str(record["id"])] = fixes
    return found


def _evidence(group: AdvisoryGroup, name: str, version: str | None) -> dict[str, Any]:
    _severity, cvss = group_severity(group.records, Severity.HIGH)
    by_advisory = _fixes_by_advisory(group, name, version)
    fixed_in = sort_versions(v for fixes in by_advisory.values() for v in fixes)
    return {
        "advisories": list(group.ids),
        "aliases": [i for i in group.ids if i != group.primary],
        "fixed_in": fixed_in,
        "fixed_by_advisory": by_advisory,
        "summary": _summary(group.records[0]),
        "cvss": cvss.to_json() if cvss is not None else None,
    }


def _ids_text(group: AdvisoryGroup) -> str:
    others = [i for i in group.ids if i != group.primary]
    return group.primary + (f" ({', '.join(others)})" if others else "")


def _known_version_findings(
    ctx: CheckContext, target: PackageTarget, facts: AdvisoryFacts
) -> Iterator[Finding]:
    for version, places in sorted(target.versions.items()):
        query = Query(name=target.name, version=version)
        # Malicious-package lists answer even when the vulnerability sources could not.
        checked = facts.checked(query)
        records = facts.for_query(query)
        path = gq.shortest_path(ctx.graph, target.name)[1:] if records else []
        for group in group_aliases(records):
            evidence = _evidence(group, target.name, version)
            if any(is_malicious(r) for r in group.records):
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
            fix = smallest_fix(group.records, target.name, version)
            summary = evidence["summary"]
            yield ctx.finding(
                AUD201,
                message=f"{target.display} {version} is affected by {_ids_text(group)}"
                + (f": {summary}" if summary else ""),
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
    ctx: CheckContext, target: PackageTarget, facts: AdvisoryFacts
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
        yield from _range_findings(ctx, target, groups, specifier, location, path)


def _range_findings(
    ctx: CheckContext,
    target: PackageTarget,
    groups: Sequence[AdvisoryGroup],
    specifier: str,
    location: Location,
    path: Sequence[str],
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
        + (" (including malicious releases)" if malicious else ""),
        package=target.display,
        locations=[location],
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
        targets = package_targets(ctx)
        facts = ctx.fact("advisories", advisories_fact)
        findings: list[Finding] = []
        for target in targets:
            if target.versions:
                findings.extend(_known_version_findings(ctx, target, facts))
            else:
                findings.extend(_unversioned_findings(ctx, target, facts))
        return findings


CHECK = VulnsCheck()

__all__ = [
    "CHECK",
    "PackageTarget",
    "VulnsCheck",
    "advisories_fact",
    "package_targets",
    "target_queries",
]
