"""Resolve a scan's unlocked manifests: the packages an install would bring join the graph.

For each parsed manifest in a folder without a lockfile, its index requirements are resolved
(`auditor.resolve.resolver.resolve`) and the answer becomes one synthetic input of kind
``resolved``: a locked-package-like entry per distribution, with the edges the resolver
reported. The graph marks those nodes "resolved, not locked". Requirements that are paths, VCS
links, URLs or editables are not resolved (building them would run their code): they, packages
left out (sdist-only, not found) and failed resolutions are reported as not checked.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.model import (
    Incomplete,
    InputKind,
    InputStatus,
    Location,
    LockedDependency,
    LockedPackage,
    ParsedInput,
    Requirement,
)
from auditor.resolve.model import Resolution, ResolveRequest
from auditor.resolve.resolver import ResolvePolicy, resolve, resolve_policy

if TYPE_CHECKING:
    from auditor.config import Config

SOURCE = "resolve"
_SHOWN = 12


@dataclass(frozen=True, slots=True, kw_only=True)
class ResolvedInputs:
    """What resolving a scan's manifests added: graph inputs, gaps and the notes to show."""

    inputs: tuple[ParsedInput, ...] = ()
    incomplete: tuple[Incomplete, ...] = ()
    notes: tuple[str, ...] = ()
    resolutions: tuple[tuple[str, Resolution], ...] = ()


def requirement_line(req: Requirement) -> str:
    """Return a PEP 508 line for a parsed requirement (name, extras, specifier, marker)."""
    extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
    marker = f"; {req.marker}" if req.marker is not None else ""
    return f"{req.raw_name}{extras}{req.specifier}{marker}"


def resolvable(req: Requirement) -> bool:
    """Whether a requirement comes from the index (no path, URL, VCS link or editable)."""
    return req.url is None and not req.editable


def _places(
    resolution: Resolution, declared: dict[str, Location], fallback: Location
) -> dict[str, Location]:
    """Place each resolved package at the requirement line that brings it (its why-path root)."""
    parents = {pkg.name: pkg.parents for pkg in resolution.packages}
    places: dict[str, Location] = {}
    for pkg in resolution.packages:
        seen, todo, found = {pkg.name}, [pkg.name], []
        while todo:
            name = todo.pop()
            if name in declared:
                found.append(declared[name])
            for parent in parents.get(name, ()):
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        places[pkg.name] = min(found, key=lambda loc: (loc.path, loc.line or 0), default=fallback)
    return places


def as_input(
    path: str,
    resolution: Resolution,
    groups: Sequence[str],
    declared: dict[str, Location] | None = None,
) -> ParsedInput:
    """Turn a resolution of the manifest at `path` into a synthetic ``resolved`` input.

    `declared` maps requirement names to their lines; each package is placed at the line of
    the requirement that brings it.
    """
    children: dict[str, list[str]] = {}
    for pkg in resolution.packages:
        for parent in pkg.parents:
            children.setdefault(parent, []).append(pkg.name)
    places = _places(resolution, declared or {}, Location(path=path, line=1))
    packages = tuple(
        LockedPackage(
            name=pkg.name,
            raw_name=pkg.display_name,
            version=pkg.version,
            location=places[pkg.name],
            kind=InputKind.RESOLVED,
            dependencies=tuple(
                LockedDependency(name=child) for child in sorted(children.get(pkg.name, ()))
            ),
            groups=tuple(groups) or ("main",),
        )
        for pkg in resolution.packages
    )
    return ParsedInput(path=f"{path} (resolved)", kind=InputKind.RESOLVED, packages=packages)


def _lock_folders(inputs: Iterable[ParsedInput]) -> set[str]:
    return {
        posixpath.dirname(item.path)
        for item in inputs
        if item.status is InputStatus.OK
        and item.kind.is_lockfile
        and item.kind is not InputKind.ENVIRONMENT
    }


def resolve_manifests(
    inputs: Sequence[ParsedInput],
    *,
    index_url: str,
    policy: ResolvePolicy,
    cache_dir: Path | None,
    offline: bool,
    time_left: float | None = None,
) -> ResolvedInputs:
    """Resolve every unlocked manifest of `inputs`; see the module docstring."""
    from auditor.cache import Cache

    locked = _lock_folders(inputs)
    added: list[ParsedInput] = []
    incomplete: list[Incomplete] = []
    notes: list[str] = []
    done: list[tuple[str, Resolution]] = []
    skipped_locked = 0
    cache = Cache(cache_dir)
    try:
        for item in inputs:
            if item.status is not InputStatus.OK or item.kind.is_lockfile or not item.requirements:
                continue
            if posixpath.dirname(item.path) in locked:
                skipped_locked += 1
                continue
            reqs = [r for r in item.requirements if not r.constraint]
            off_index = sorted({r.name for r in reqs if not resolvable(r)})
            if off_index:
                incomplete.append(
                    Incomplete(
                        source=SOURCE,
                        reason=f"{item.path}: not resolved: a path, URL, VCS link or editable "
                        "requirement would execute its build",
                        packages=tuple(off_index),
                    )
                )
            lines = tuple(requirement_line(r) for r in reqs if resolvable(r))
            if not lines:
                continue
            request = ResolveRequest(
                requirements=lines,
                constraints=tuple(
                    f"{r.raw_name}{r.specifier}" for r in item.requirements if r.constraint
                ),
                index_url=index_url,
                target=policy.target(),
            )
            resolution = resolve(
                request, policy=policy, cache=cache, cache_dir=cache_dir, offline=offline,
                time_left=time_left,
            )  # fmt: skip
            done.append((item.path, resolution))
            incomplete.extend(resolution_gaps(item.path, resolution, [r.name for r in reqs]))
            if resolution.packages:
                groups = sorted({r.group for r in reqs})
                declared: dict[str, Location] = {}
                for req in reqs:
                    declared.setdefault(req.name, req.location)
                added.append(as_input(item.path, resolution, groups, declared))
                notes.append(describe(item.path, resolution))
    finally:
        cache.close()
    if skipped_locked:
        notes.append(
            f"--resolve: {skipped_locked} manifest(s) next to a lockfile were not resolved "
            "(the lockfile says what is installed)"
        )
    return ResolvedInputs(
        inputs=tuple(added),
        incomplete=tuple(incomplete),
        notes=tuple(notes),
        resolutions=tuple(done),
    )


def resolve_scan(
    config: Config, inputs: Sequence[ParsedInput]
) -> tuple[tuple[ParsedInput, ...], tuple[Incomplete, ...], tuple[str, ...]]:
    """Resolve the unlocked manifests of a scan under `config` (``scan --resolve``).

    Returns the synthetic inputs to add to the graph, what was not checked, and the notes.
    """
    import time

    from auditor.cache import default_cache_dir

    left = None if config.run_deadline is None else config.run_deadline - time.monotonic()
    found = resolve_manifests(
        inputs,
        index_url=config.index_url,
        policy=resolve_policy(config),
        cache_dir=config.cache_dir or default_cache_dir(),
        offline=config.offline,
        time_left=left,
    )
    return found.inputs, found.incomplete, found.notes


def resolution_gaps(path: str, resolution: Resolution, names: Iterable[str]) -> list[Incomplete]:
    """Return what a resolution could not resolve, as `Incomplete` entries."""
    gaps: list[Incomplete] = []
    if resolution.error is not None:
        gaps.append(
            Incomplete(
                source=SOURCE,
                reason=f"{path}: could not resolve with {resolution.resolver}: {resolution.error}",
                packages=tuple(sorted(set(names))),
            )
        )
    by_reason: dict[str, list[str]] = {}
    for item in resolution.unresolved:
        by_reason.setdefault(item.reason, []).append(item.name)
    gaps.extend(
        Incomplete(source=SOURCE, reason=f"{path}: {reason}", packages=tuple(sorted(names)))
        for reason, names in sorted(by_reason.items())
    )
    return gaps


def describe(path: str, resolution: Resolution) -> str:
    """Return the note saying which packages came from resolution, by which resolver."""
    transitive = [p for p in resolution.packages if not p.requested]
    shown = ", ".join(f"{p.display_name} {p.version}" for p in transitive[:_SHOWN])
    more = len(transitive) - _SHOWN
    cached = " (cached)" if resolution.cached else ""
    return (
        f"{path}: resolved, not locked: {len(resolution.packages)} package(s) by "
        f"{resolution.describe()}{cached}; {len(transitive)} transitive"
        + (f": {shown}" if shown else "")
        + (f" and {more} more" if more > 0 else "")
    )


__all__ = [
    "SOURCE",
    "ResolvedInputs",
    "as_input",
    "describe",
    "requirement_line",
    "resolution_gaps",
    "resolvable",
    "resolve_manifests",
    "resolve_scan",
]
