"""The pin check: how each declared requirement is pinned (AUD101, AUD102, AUD108).

It also runs the per-file findings of `auditor.checks.pin_issues` (AUD105 hashes, AUD110 lines
that are not requirements, AUD111 values that could not be read) and the direct-reference
findings of `auditor.checks.pin_refs` (AUD106, AUD107). Lockfile questions (AUD103, AUD104) live in
`auditor.checks.lockfile`, cross-file conflicts (AUD109) in `auditor.checks.pin_conflicts`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from packaging.specifiers import SpecifierSet

from auditor.checks.base import CheckContext, Outcome
from auditor.checks.pin_issues import hash_findings, issue_findings
from auditor.checks.pin_layout import (
    ProjectLayout,
    build_layout,
    counted_requirements,
    is_manifest,
)
from auditor.checks.pin_refs import local_target, reference_findings, vcs_ref
from auditor.checks.pin_specs import (
    describe,
    has_upper_bound,
    is_prerelease_pin,
    pin_evidence,
    suggest_upper_bound,
)
from auditor.graph import query
from auditor.model import (
    Finding,
    Location,
    ParsedInput,
    Requirement,
    Severity,
)


def _known_version(ctx: CheckContext, layout: ProjectLayout, item: ParsedInput,
                   req: Requirement) -> str | None:  # fmt: skip
    for _lock, versions in layout.locked_versions(item.path, req.name):
        if len(versions) == 1:
            return versions[0]
    node = query.package(ctx.graph, req.name)
    return node.version if node is not None else None


def _covered(layout: ProjectLayout, item: ParsedInput, req: Requirement) -> bool:
    return layout.policy.lockfile_covers_manifest and bool(
        layout.locked_versions(item.path, req.name)
    )


def _manifest_requirements(ctx: CheckContext) -> Iterator[tuple[ParsedInput, Requirement]]:
    # A PEP 735 group that includes another repeats its requirements at the same line: judge
    # each written requirement once, under the group that declares it.
    seen: set[tuple[str, Location, SpecifierSet, str | None, str | None]] = set()
    for item in ctx.inputs:
        if is_manifest(item):
            for req in counted_requirements(item):
                key = (req.name, req.location, req.specifier, req.marker_text, req.url)
                if key not in seen:
                    seen.add(key)
                    yield item, req


class PinsCheck:
    """Judges every declared requirement's pin against the ``pins`` policy."""

    name = "pins"

    def run(self, ctx: CheckContext) -> Iterable[Outcome]:
        """Return the findings of AUD101, AUD102, AUD105-AUD108, AUD110 and AUD111."""
        layout = build_layout(ctx)
        findings: list[Outcome] = []
        for item, req in _manifest_requirements(ctx):
            findings.extend(self._pin_findings(ctx, layout, item, req))
            findings.extend(reference_findings(ctx, layout, item, req))
        findings.extend(hash_findings(ctx, layout))
        findings.extend(issue_findings(ctx, layout))
        return findings

    # AUD101 / AUD102 / AUD108 ---------------------------------------------------------------
    def _pin_findings(
        self, ctx: CheckContext, layout: ProjectLayout, item: ParsedInput, req: Requirement
    ) -> Iterator[Finding]:
        if req.url is not None:
            return
        compiled = layout.is_compiled(req.location.path)
        policy = layout.policy
        level = layout.required_level(item, req)
        dev = layout.is_dev_requirement(item, req)
        known = _known_version(ctx, layout, item, req)
        covered = _covered(layout, item, req)
        exempt = any(
            i.code.lower() in policy.unpinned_exempt_codes and i.location == req.location
            for i in item.issues
        )
        if compiled:
            pass  # lock data (pip-compile, uv export, pip freeze, constraints): not a declaration
        elif not req.specifier and level != "none" and not covered and not exempt:
            example = f"{req.raw_name}=={known}" if known else f"{req.raw_name}==X.Y.Z"
            yield ctx.finding(
                "AUD101",
                message=(
                    f"{req.raw_name} is not pinned ({req.location}): any release can be "
                    "installed, including a future breaking or compromised one"
                ),
                package=req.raw_name,
                locations=[req.location],
                evidence=pin_evidence(item, req, policy=level, dev_group=dev, known_version=known),
                fix=(
                    f"Pin the version you tested: `{example}` (or at least bound it, "
                    f"`{req.raw_name}>=X.Y,<X+1`), and lock the full set with a lockfile "
                    "(`uv lock`, `pip-compile`)."
                ),
                key=req.group,
                # A library leaves exact versions to its users; a missing lower bound still
                # matters, but less than in an application that deploys what it declares.
                severity=Severity.LOW
                if dev
                or layout.is_library_requirement(item, req)
                or policy.is_example(req.location.path)
                else None,
            )
        elif req.specifier and not covered and self._too_loose(req, level):
            yield self._unbounded(ctx, item, req, level, known)
        pre = is_prerelease_pin(req.pinned)
        if (
            pre is not None
            and not policy.allow_prereleases
            and req.name not in policy.prerelease_allowed_packages
        ):
            yield ctx.finding(
                "AUD108",
                message=(
                    f"{req.raw_name} is pinned to the pre-release {pre} ({req.location}); "
                    "pre-releases are not meant for production and may change without notice"
                ),
                package=req.raw_name,
                version=pre,
                locations=[req.location],
                evidence=pin_evidence(item, req, pinned=pre),
                fix=(
                    f"Pin the latest final release of {req.raw_name} instead, or allow it "
                    "explicitly in [tool.auditor.policy.pins] prerelease_allowed_packages."
                ),
            )

    @staticmethod
    def _too_loose(req: Requirement, level: str) -> bool:
        if level == "exact":
            return req.pinned is None
        if level == "upper-bound":
            return not has_upper_bound(req.specifier)
        return False

    @staticmethod
    def _unbounded(
        ctx: CheckContext, item: ParsedInput, req: Requirement, level: str, known: str | None
    ) -> Finding:
        spec = str(req.specifier)
        only_excludes = all(clause.operator == "!=" for clause in req.specifier)
        if level == "exact":
            why = 'is a range, but the policy requires exact pins (require = "exact")'
            example = f"{req.raw_name}=={known or 'X.Y.Z'}"
        elif only_excludes:
            why = "only excludes versions, so every other release (including future ones) fits"
            example = f"{req.raw_name}=={known}" if known else f"{req.raw_name}>=X.Y,<X+1"
        else:
            why = "has no upper bound, so a future major release is installed automatically"
            suggestion = suggest_upper_bound(req.specifier)
            example = f"{req.raw_name}{suggestion}" if suggestion else f"{req.raw_name}{spec},<X+1"
        return ctx.finding(
            "AUD102",
            message=f"{req.raw_name}{spec} {why} ({req.location})",
            package=req.raw_name,
            locations=[req.location],
            evidence=pin_evidence(item, req, specifier=spec, policy=level, known_version=known),
            fix=f"Bound it: `{example}`, or lock the resolved versions with a lockfile.",
            key=req.group,
        )


CHECK = PinsCheck()

__all__ = ["CHECK", "PinsCheck", "describe", "local_target", "vcs_ref"]
