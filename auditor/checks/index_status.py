"""What the package index says about the versions a project uses: status, yanks, staleness.

* AUD403 project-status: the index marks the project quarantined, archived or deprecated
  (PEP 792 project status markers).
* AUD404 yanked-version: a pinned or locked version is yanked on the index.
* AUD405 stale-pin: a pinned or locked version is years old, or several major versions behind,
  while newer releases exist: the pattern of dependencies written from an assistant's training
  data rather than from the index.

Thresholds and severities come from ``rules/policy/index.toml`` (``[tool.auditor.policy.index]``).
Packages the index could not be asked about are reported as not checked, never as clean.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from packaging.version import InvalidVersion, Version

from auditor.checks.base import CheckContext
from auditor.checks.compiled import compiled_transitive
from auditor.checks.stdlib_names import stdlib_declared
from auditor.checks.vuln_scope import DeclarationScope, Role, declaration_scope
from auditor.errors import ConfigError
from auditor.graph import query
from auditor.index.model import LookupState, ProjectInfo, ProjectStatus, Release
from auditor.index.targets import VersionUse, index_names, used_versions
from auditor.model import Finding, ParsedInput, Requirement, Severity
from auditor.report.safe import clean

STATUS_RULE = "AUD403"
YANKED_RULE = "AUD404"
STALE_RULE = "AUD405"
_RULES = (STATUS_RULE, YANKED_RULE, STALE_RULE)
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexPolicy:
    """The ``index`` policy table, validated."""

    status_severity: Mapping[str, Severity] = field(default_factory=dict)
    stale_pin_days: int = 1095
    stale_major_versions: int = 2
    stale_major_min_days: int = 365
    age_severity: Severity = Severity.LOW
    major_severity: Severity = Severity.MEDIUM
    max_reason_chars: int = 300

    @classmethod
    def from_policy(cls, table: Mapping[str, Any]) -> IndexPolicy:
        """Build from the merged ``index`` policy table (raises ConfigError when malformed)."""
        where = "policy.index"
        statuses = table.get("status_severity", {})
        if not isinstance(statuses, Mapping):
            raise ConfigError(f"{where}.status_severity: expected a table of status = severity")
        stale = table.get("stale", {})
        if not isinstance(stale, Mapping):
            raise ConfigError(f"{where}.stale: expected a table")
        text = table.get("text", {})
        if not isinstance(text, Mapping):
            raise ConfigError(f"{where}.text: expected a table")
        return cls(
            status_severity={
                str(k).lower(): _severity(v, f"{where}.status_severity.{k}")
                for k, v in statuses.items()
            },
            stale_pin_days=_count(
                stale.get("stale_pin_days", 1095), f"{where}.stale.stale_pin_days"
            ),
            stale_major_versions=_count(
                stale.get("stale_major_versions", 2), f"{where}.stale.stale_major_versions"
            ),
            stale_major_min_days=_count(
                stale.get("stale_major_min_days", 365), f"{where}.stale.stale_major_min_days"
            ),
            age_severity=_severity(stale.get("age_severity", "low"), f"{where}.stale.age_severity"),
            major_severity=_severity(
                stale.get("major_severity", "medium"), f"{where}.stale.major_severity"
            ),
            max_reason_chars=_count(
                text.get("max_reason_chars", 300), f"{where}.text.max_reason_chars"
            ),
        )


def _severity(value: Any, where: str) -> Severity:
    try:
        return Severity.parse(str(value))
    except ValueError:
        raise ConfigError(f"{where}: unknown severity {value!r}") from None


def _count(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{where}: expected a positive whole number, got {value!r}")
    return value


def quote_index_text(text: str | None, limit: int) -> str:
    """Return index-supplied text fit for one message line: no control characters, one line."""
    if not text:
        return ""
    return clean(_SPACES.sub(" ", text).strip(), limit=limit)


def _parse(version: str) -> Version | None:
    try:
        return Version(version)
    except InvalidVersion:
        return None


def _released_by(release: Release, today: dt.date) -> bool:
    return release.upload_time is None or release.upload_time.date() <= today


def newest_release(info: ProjectInfo, today: dt.date) -> tuple[Version, Release] | None:
    """Return the newest final, non-yanked release published on or before `today`."""
    best: tuple[Version, Release] | None = None
    for release in info.releases:
        parsed = _parse(release.version)
        if parsed is None or parsed.is_prerelease or release.yanked:
            continue
        if not _released_by(release, today):
            continue
        if best is None or parsed > best[0]:
            best = (parsed, release)
    return best


def next_good_release(info: ProjectInfo, version: str) -> str | None:
    """Return the smallest non-yanked release above `version` (finals unless it is a pre)."""
    current = _parse(version)
    if current is None:
        return info.newest_version()
    above = sorted(
        (parsed, r.version)
        for r in info.releases
        if not r.yanked
        and (parsed := _parse(r.version)) is not None
        and parsed > current
        and (current.is_prerelease or not parsed.is_prerelease)
    )
    return above[0][1] if above else None


class IndexStatusCheck:
    """AUD403, AUD404 and AUD405: facts the package index holds about used projects."""

    name = "index_status"

    def run(self, ctx: CheckContext) -> Iterable[Finding]:
        """Look every index package up once and report status, yanks and stale pins."""
        if not any(ctx.enabled(rule) for rule in _RULES):
            return []
        policy = IndexPolicy.from_policy(ctx.config.policy_section("index"))
        shadowed = stdlib_declared(ctx)
        uses = [u for u in used_versions(ctx.inputs, ctx.graph) if u.name not in shadowed]
        names = (
            set(index_names(ctx.inputs, ctx.graph)) - shadowed
            if ctx.enabled(STATUS_RULE)
            else set()
        )
        if ctx.enabled(YANKED_RULE) or ctx.enabled(STALE_RULE):
            names.update(use.name for use in uses)
        lookups = {name: ctx.facts.index[name] for name in names if name in ctx.facts.index}
        infos = {
            name: lookup.info
            for name, lookup in lookups.items()
            if lookup.state is LookupState.FOUND and lookup.info is not None
        }
        findings: list[Finding] = []
        if ctx.enabled(STATUS_RULE):
            findings.extend(self._status(ctx, policy, infos))
        scope = declaration_scope(ctx)
        via_only = compiled_transitive(ctx.root, ctx.inputs) if ctx.enabled(STALE_RULE) else set()
        for use in uses:
            info = infos.get(use.name)
            if info is None:
                continue
            release = info.release(use.version)
            if release is None:
                continue  # a version the index does not list is another rule's business
            if ctx.enabled(YANKED_RULE) and release.yanked:
                findings.append(self._yanked(ctx, policy, use, info, release))
            if ctx.enabled(STALE_RULE):
                node = query.package(ctx.graph, use.name)
                transitive = (node is not None and not node.direct) or (
                    bool(use.locations) and all(loc in via_only for loc in use.locations)
                )
                findings.extend(
                    self._stale(ctx, policy, use, info, release, scope, transitive=transitive)
                )
        return findings

    def _status(
        self, ctx: CheckContext, policy: IndexPolicy, infos: Mapping[str, ProjectInfo]
    ) -> Iterator[Finding]:
        for name, info in sorted(infos.items()):
            if info.status is ProjectStatus.ACTIVE:
                continue
            severity = policy.status_severity.get(str(info.status))
            node = query.package(ctx.graph, name)
            reason = quote_index_text(info.status_reason, policy.max_reason_chars)
            display = node.display_name if node else info.display_name
            message = f"{display} is marked {info.status} on the package index"
            message += f": {reason}" if reason else " (no reason given)"
            yield ctx.finding(
                STATUS_RULE,
                message=message,
                package=name,
                version=node.version if node else None,
                locations=node.locations if node else (),
                evidence={"status": str(info.status), "reason": info.status_reason},
                fix=_status_fix(info.status),
                severity=severity,
                key=str(info.status),
                path_from_root=query.shortest_path(ctx.graph, name),
            )

    def _yanked(
        self,
        ctx: CheckContext,
        policy: IndexPolicy,
        use: VersionUse,
        info: ProjectInfo,
        release: Release,
    ) -> Finding:
        reason = quote_index_text(release.yanked_reason, policy.max_reason_chars)
        replacement = next_good_release(info, use.version)
        how = "locked" if use.locked else "pinned"
        message = f"{use.display_name} {use.version} is {how} but yanked from the package index"
        message += f": {reason}" if reason else " (no reason given)"
        return ctx.finding(
            YANKED_RULE,
            message=message,
            package=use.name,
            version=use.version,
            locations=use.locations,
            evidence={
                "yanked_reason": release.yanked_reason,
                "replacement": replacement,
                "locked": use.locked,
            },
            fix=f"upgrade to {replacement}" if replacement else None,
            path_from_root=query.shortest_path(ctx.graph, use.name),
        )

    def _stale(
        self,
        ctx: CheckContext,
        policy: IndexPolicy,
        use: VersionUse,
        info: ProjectInfo,
        release: Release,
        scope: DeclarationScope,
        *,
        transitive: bool = False,
    ) -> Iterator[Finding]:
        today = ctx.config.today_date()
        current = _parse(use.version)
        newest = newest_release(info, today)
        if current is None or newest is None or newest[0] <= current:
            return
        newest_version, newest_release_ = newest
        age_days = (today - release.upload_time.date()).days if release.upload_time else None
        majors_behind = _majors_behind(current, newest_version)
        too_old = age_days is not None and age_days > policy.stale_pin_days
        # Projects that release majors often (cryptography) are not stale a few months later.
        too_far = (
            majors_behind >= policy.stale_major_versions
            and age_days is not None
            and age_days > policy.stale_major_min_days
        )
        if not (too_old or too_far):
            return
        parts = []
        if release.upload_time is not None and age_days is not None:
            parts.append(
                f"released {release.upload_time.date().isoformat()}, "
                f"{age_days / 365.25:.1f} years before {today.isoformat()}"
            )
        if majors_behind > 0:
            plural = "s" if majors_behind != 1 else ""
            parts.append(f"{majors_behind} major version{plural} behind")
        role = scope.pin_role(use.locations, use.version)
        how = "locked" if use.locked else "pinned"
        why = (
            "the lockfile has not been refreshed since"
            if use.locked
            else "old exact pins like this are typical of code written from an assistant's "
            "training data"
        )
        held = _held_back(ctx.inputs, use.name, current, newest_version)
        if transitive:
            # The resolver chose it within what the packages requiring it allow.
            why = "a dependency of other packages, kept there by them or by an old lock"
        elif held is not None:
            why = f"held back on purpose by `{clean(held.line_text.strip())}` ({held.location})"
        message = (
            f"{use.display_name} is {how} to {use.version} ({'; '.join(parts)}); "
            f"the newest release is {newest_release_.version}: {why}"
        )
        yield ctx.finding(
            STALE_RULE,
            message=message,
            package=use.name,
            version=use.version,
            locations=use.locations,
            evidence={
                "released": release.upload_time.isoformat() if release.upload_time else None,
                "age_days": age_days,
                "newest": newest_release_.version,
                "newest_released": newest_release_.upload_time.isoformat()
                if newest_release_.upload_time
                else None,
                "majors_behind": majors_behind,
                "stale_pin_days": policy.stale_pin_days,
                "stale_major_versions": policy.stale_major_versions,
                "today": today.isoformat(),
                "transitive": transitive,
                "held_back_by": str(held.location) if held is not None else None,
            },
            fix=f"upgrade to {newest_release_.version}",
            # A development tool pinned on purpose (black, isort) does not ship to users; a
            # transitive version is the resolver's choice, not the author's.
            severity=Severity.LOW
            if role in (Role.DEV, Role.EXAMPLE) or transitive or held is not None
            else policy.major_severity
            if too_far
            else policy.age_severity,
            path_from_root=query.shortest_path(ctx.graph, use.name),
        )


def _held_back(
    inputs: Iterable[ParsedInput], name: str, current: Version, newest: Version
) -> Requirement | None:
    """A declaration that admits the version in use but not the newest (``redis<7``)."""
    for item in inputs:
        for req in item.requirements:
            if (
                req.name == name
                and req.specifier
                and req.pinned is None
                and req.specifier.contains(current, prereleases=True)
                and not req.specifier.contains(newest, prereleases=True)
            ):
                return req
    return None


def _majors_behind(current: Version, newest: Version) -> int:
    """Major versions between two releases; 0 across a change of scheme (0.30 -> 2026.1)."""
    calendar = 1000
    if (current.major >= calendar) != (newest.major >= calendar):
        return 0
    return max(0, newest.major - current.major)


def _status_fix(status: ProjectStatus) -> str:
    if status is ProjectStatus.QUARANTINED:
        return "remove it now and check installed environments: the index quarantined it"
    if status is ProjectStatus.ARCHIVED:
        return "plan a move to a maintained alternative: it will get no more releases"
    return "move to the replacement its maintainers recommend"


CHECK = IndexStatusCheck()

__all__ = [
    "CHECK",
    "IndexPolicy",
    "IndexStatusCheck",
    "newest_release",
    "next_good_release",
    "quote_index_text",
]
