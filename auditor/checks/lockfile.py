"""The lockfile check: applications without a lockfile (AUD103) and lockfile drift (AUD104).

Drift is either a manifest requirement the locked version does not satisfy (the manifest
changed after the last lock) or, for lockfiles that record edges, a locked package nothing
reachable from the manifests' direct requirements needs any more.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from auditor.checks.base import CheckContext
from auditor.checks.lock_envs import Envs, any_marker_envs, requirement_envs
from auditor.checks.pin_layout import (
    LockView,
    ProjectLayout,
    build_layout,
    counted_requirements,
    scope_covers,
    scope_of,
)
from auditor.checks.pin_specs import describe, satisfies
from auditor.model import (
    Finding,
    InputKind,
    InputStatus,
    Location,
    ParsedInput,
    Requirement,
    Severity,
    normalize_name,
)

# Manifests whose own lockfile must list every (unconditional) requirement.
_NATIVE_LOCKS: dict[InputKind, frozenset[InputKind]] = {
    InputKind.PYPROJECT: frozenset(
        {InputKind.UV_LOCK, InputKind.POETRY_LOCK, InputKind.PDM_LOCK, InputKind.PYLOCK}
    ),
    InputKind.PIPFILE: frozenset({InputKind.PIPFILE_LOCK}),
}

_RELOCK = {
    InputKind.UV_LOCK: "uv lock",
    InputKind.POETRY_LOCK: "poetry lock",
    InputKind.PDM_LOCK: "pdm lock",
    InputKind.PIPFILE_LOCK: "pipenv lock",
    InputKind.PYLOCK: "pip lock / uv export --format pylock.toml",
    InputKind.REQUIREMENTS: "pip-compile",
}

# Lockfile kinds whose parsed edges leave out what an extra (``pkg[extra]``) pulls in.
_EXTRAS_NOT_IN_EDGES = frozenset({InputKind.UV_LOCK})

# Names a manifest may declare that are not packages (Poetry's interpreter constraint).
_NOT_PACKAGES = frozenset({"python"})


def _relock(lock: LockView) -> str:
    return _RELOCK.get(lock.kind, "re-generate the lockfile")


def _drift_locks(layout: ProjectLayout, item: ParsedInput) -> list[LockView]:
    """Return the locks `item` is compared with: its own project's (never another project's).

    A compiled requirements file is lock data itself, not a manifest to compare.
    """
    if layout.is_compiled(item.path):
        return []
    return layout.project_locks(item.path)


class LockfileCheck:
    """Pairs manifests with the lockfiles that cover them."""

    name = "lockfile"

    def run(self, ctx: CheckContext) -> Iterable[Finding]:
        """Return the findings of AUD103 and AUD104."""
        layout = build_layout(ctx)
        findings = list(self._missing_lockfiles(ctx, layout))
        for item in layout.manifests:
            for lock in _drift_locks(layout, item):
                findings.extend(self._unsatisfied(ctx, layout, item, lock))
        for lock in layout.locks:
            if not lock.pseudo and lock.has_edges:
                findings.extend(self._orphans(ctx, layout, lock))
        return findings

    # AUD103 ---------------------------------------------------------------------------------
    def _missing_lockfiles(self, ctx: CheckContext, layout: ProjectLayout) -> Iterator[Finding]:
        uncovered: dict[str, list[tuple[ParsedInput, list[Requirement]]]] = {}
        for item in layout.manifests:
            if layout.feeds_metadata_of(item.path) is not None:
                continue  # a library's metadata reads it: nothing to lock
            reqs = [
                r
                for r in counted_requirements(item)
                if not layout.is_dev_requirement(item, r)
                and r.name not in _NOT_PACKAGES
                and layout.feeds_metadata_of(r.location.path) is None
            ]
            if not reqs or self._locked(layout, item, reqs):
                continue
            scope = scope_of(item.path)
            if layout.is_application_scope(scope):
                uncovered.setdefault(scope, []).append((item, reqs))
        for scope, entries in sorted(uncovered.items()):
            where = f"{scope}/" if scope else "the repository root"
            count = sum(len(reqs) for _item, reqs in entries)
            names = ", ".join(item.path for item, _reqs in entries)
            # The project locks its other requirements (pip-compile output beside these): a
            # file left out of that set is a smaller gap than a project with no lock at all.
            others = sorted(
                {lock.path for lock in layout.locks if scope_covers(scope, lock.scope)}
                - {item.path for item, _reqs in entries}
            )
            message = (
                f"the application in {where} declares {count} requirement(s) in {names} "
                "but has no lockfile: every install resolves the dependency tree afresh, "
                "so two installs of the same commit can get different code"
            )
            if others:
                message = (
                    f"{names} ({count} requirement(s)) is not covered by the lock files of "
                    f"{where} ({', '.join(others[:3])}{' ...' if len(others) > 3 else ''}): "
                    "its installs resolve afresh each time"
                )
            yield ctx.finding(
                "AUD103",
                message=message,
                locations=[
                    Location(path=item.path, line=reqs[0].location.line) for item, reqs in entries
                ],
                evidence={
                    "scope": scope,
                    "manifests": [item.path for item, _reqs in entries],
                    "requirements": count,
                    "application": layout.application_reason(scope),
                    "other_locks": others,
                },
                # An example or demo app is not what the project ships.
                severity=Severity.LOW
                if others or all(layout.policy.is_example(item.path) for item, _reqs in entries)
                else None,
                fix=(
                    "Generate and commit a lockfile: `uv lock` (pyproject.toml), "
                    "`pip-compile requirements.in -o requirements.txt` or `uv pip compile`, or "
                    "`pipenv lock`; or set [tool.auditor.policy.pins] application = false if "
                    "this folder is a library."
                ),
                key=scope,
            )

    @staticmethod
    def _locked(layout: ProjectLayout, item: ParsedInput, reqs: list[Requirement]) -> bool:
        if any(lock.path == item.path for lock in layout.locks) or layout.is_compiled(item.path):
            return True  # a fully pinned requirements file is its own lock
        if layout.project_locks(item.path):
            return True  # its project's lockfile or compiled requirements file
        names = {r.name for r in reqs}
        for lock in layout.covering_locks(item.path):
            if not lock.pseudo or names <= set(lock.versions):
                return True
        return False

    # AUD104: requirement not satisfied ------------------------------------------------------
    def _unsatisfied(
        self, ctx: CheckContext, layout: ProjectLayout, item: ParsedInput, lock: LockView
    ) -> Iterator[Finding]:
        native = lock.kind in _NATIVE_LOCKS.get(item.kind, frozenset())
        requires_python = layout.requires_python.get(item.path)
        # The lock's own projects (its root, workspace members, editable path dependencies)
        # are built from source, not locked at a version: requiring one is never drift.
        own = {pkg.name for pkg in lock.packages.get("", ())}
        for req in counted_requirements(item):
            if req.url is not None or req.name in _NOT_PACKAGES or req.name in own:
                continue
            envs = requirement_envs(req.marker_text, requires_python=requires_python)
            if not envs & lock.environments:
                continue  # never installed where this project (or lock) runs
            versions = _versions_for(lock, req.name, envs)
            lock_loc = Location(path=lock.path, line=lock.lines.get(req.name))
            if versions is None:
                if (
                    native
                    and req.marker_text is None
                    and not (lock.kind is InputKind.PDM_LOCK and req.group != "main")
                ):
                    yield self._not_locked(ctx, item, req, lock)
                continue
            if not req.specifier:
                continue
            verdicts = [satisfies(req.specifier, v) for v in versions]
            if any(v is None or v for v in verdicts):
                continue
            shown = ", ".join(versions)
            yield ctx.finding(
                "AUD104",
                message=(
                    f"{describe(req)} ({req.location}) is not satisfied by the version locked "
                    f"in {lock_loc}: {shown}; the lockfile is out of date with {item.path}"
                ),
                package=req.raw_name,
                version=versions[0],
                locations=[req.location, lock_loc],
                evidence={
                    "kind": "unsatisfied",
                    "manifest": item.path,
                    "manifest_line": req.location.line,
                    "specifier": str(req.specifier),
                    "lockfile": lock.path,
                    "lockfile_line": lock_loc.line,
                    "locked_versions": list(versions),
                },
                fix=f"Re-lock so the lockfile matches the manifest (`{_relock(lock)}`), then "
                "commit both files together.",
                key=lock.path,
            )

    @staticmethod
    def _not_locked(
        ctx: CheckContext, item: ParsedInput, req: Requirement, lock: LockView
    ) -> Finding:
        return ctx.finding(
            "AUD104",
            message=(
                f"{describe(req)} is declared in {req.location} but {lock.path} does not lock "
                "it: the lockfile predates this requirement"
            ),
            package=req.raw_name,
            locations=[req.location, Location(path=lock.path)],
            evidence={
                "kind": "not-locked",
                "manifest": item.path,
                "manifest_line": req.location.line,
                "specifier": str(req.specifier),
                "lockfile": lock.path,
                "lockfile_line": None,
                "locked_versions": [],
            },
            fix=f"Re-lock (`{_relock(lock)}`) and commit the lockfile with the manifest.",
            key=lock.path,
        )

    # AUD104: locked but no longer required --------------------------------------------------
    def _orphans(
        self, ctx: CheckContext, layout: ProjectLayout, lock: LockView
    ) -> Iterator[Finding]:
        roots, manifests, extras_wanted = self._roots(ctx, layout, lock)
        if roots is None:
            return
        reachable: set[str] = set()
        frontier = [r for r in roots if r in lock.packages]
        while frontier:
            name = frontier.pop()
            if name in reachable:
                continue
            reachable.add(name)
            for pkg in lock.packages.get(name, ()):
                for dep in pkg.dependencies:
                    extras_wanted = extras_wanted or bool(dep.extras)
                    if dep.name not in reachable:
                        frontier.append(dep.name)
        if extras_wanted and lock.kind in _EXTRAS_NOT_IN_EDGES:
            # NOTE: this lock's parser does not expose the packages an extra pulls in, so a
            # package reached only through ``pkg[extra]`` would look unreachable. Say nothing
            # rather than report false drift.
            return
        orphans = sorted(n for n in lock.packages if n and n not in reachable)
        if not orphans:
            return
        limit = layout.policy.max_orphan_findings
        where = ", ".join(manifests) or "the lockfile's project"
        if len(orphans) > limit:
            yield ctx.finding(
                "AUD104",
                message=(
                    f"{len(orphans)} packages locked in {lock.path} are not required by "
                    f"anything in {where} (directly or through another locked package): the "
                    "lockfile is stale"
                ),
                locations=[Location(path=lock.path)],
                evidence={
                    "kind": "unreachable",
                    "lockfile": lock.path,
                    "packages": orphans,
                    "manifests": manifests,
                },
                fix=f"Re-lock (`{_relock(lock)}`) to drop packages nothing requires.",
                key="unreachable",
                severity=Severity.MEDIUM,
            )
            return
        for name in orphans:
            pkgs = lock.packages[name]
            pkg = pkgs[0]
            version = pkg.version
            yield ctx.finding(
                "AUD104",
                message=(
                    f"{pkg.raw_name} {version or ''} is locked in {pkg.location} but nothing in "
                    f"{where} requires it any more (directly or through another locked "
                    "package): the lockfile is stale"
                ).replace("  ", " "),
                package=pkg.raw_name,
                version=version,
                locations=[pkg.location],
                evidence={
                    "kind": "unreachable",
                    "lockfile": lock.path,
                    "lockfile_line": pkg.location.line,
                    "manifests": manifests,
                },
                fix=f"Re-lock (`{_relock(lock)}`) to drop packages nothing requires.",
                key=f"unreachable:{lock.path}",
                severity=Severity.MEDIUM,
            )

    @staticmethod
    def _roots(
        ctx: CheckContext, layout: ProjectLayout, lock: LockView
    ) -> tuple[set[str] | None, list[str], bool]:
        """Return the lock's direct-dependency names (None when they cannot be known).

        Also returns the manifests read and whether any direct requirement asks for extras.
        """
        roots: set[str] = set()
        manifests: list[str] = []
        extras = False
        unreadable = layout.policy.unreadable_value_codes
        for item in ctx.inputs:
            if item.kind.is_lockfile or item.kind is InputKind.ENVIRONMENT:
                continue
            if not scope_covers(lock.scope, scope_of(item.path)):
                continue
            if item.status is InputStatus.ERROR:
                return None, [], False
            if any(issue.code.lower() in unreadable for issue in item.issues):
                return None, [], False
            if item.status is not InputStatus.OK:
                continue
            manifests.append(item.path)
            counted = [r for r in item.requirements if not r.constraint]
            roots.update(r.name for r in counted)
            extras = extras or any(r.extras for r in counted)
            if item.project_name:
                roots.add(normalize_name(item.project_name))
        for pkg in lock.packages.get("", ()):
            roots.update(d.name for d in pkg.dependencies)
            extras = extras or any(d.extras for d in pkg.dependencies)
        for name, pkgs in lock.packages.items():
            if any(_is_local(p.source_url) for p in pkgs):
                roots.add(name)  # workspace members and path dependencies
        if not manifests and not lock.packages.get(""):
            return None, [], False
        return roots, manifests, extras


def _versions_for(lock: LockView, name: str, envs: Envs) -> tuple[str, ...] | None:
    """Return the versions `lock` locks for `name` in any of `envs` (None: not locked there).

    uv locks one version per fork of its resolution (``resolution-markers``): a requirement for
    ``python_version < "3.11"`` is compared only with the versions locked for those Pythons.
    """
    versions = lock.versions.get(name)
    if versions is None:
        return None
    relevant = tuple(v for v in versions if any_marker_envs(lock.markers.get((name, v), ())) & envs)
    return relevant or None


def _is_local(source_url: str | None) -> bool:
    return bool(source_url) and "://" not in (source_url or "")


CHECK = LockfileCheck()

__all__ = ["CHECK", "LockfileCheck"]
