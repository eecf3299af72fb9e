"""Read the installed environment with `importlib.metadata` (nothing is imported or run).

Every distribution becomes a `LockedPackage` (group ``main``, location ``<environment>``, no
line). ``Requires-Dist`` entries become edges when their marker holds in this environment
(entries only needed for an extra are left out; the marker text is kept on the edge).
`relpath` is a label; when `root / relpath` is a directory (a site-packages folder or a
virtual environment) its distributions are read instead of the running interpreter's.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

from packaging.markers import UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as Pep508

from auditor.model import (
    InputKind,
    Location,
    LockedDependency,
    LockedPackage,
    ParsedInput,
    normalize_name,
)

__all__ = ["ENVIRONMENT_PATH", "EnvironmentSource", "package_from_distribution"]

KIND = InputKind.ENVIRONMENT
ENVIRONMENT_PATH = "<environment>"


class EnvironmentSource:
    """The installed packages of a Python environment."""

    kind = KIND

    def parse(self, root: Path, relpath: str) -> ParsedInput:
        """List the installed distributions with their dependency edges."""
        paths = _search_paths(root, relpath)
        dists = metadata.distributions(path=paths) if paths else metadata.distributions()
        return ParsedInput(path=relpath, kind=KIND, packages=tuple(read_distributions(dists)))


def _search_paths(root: Path, relpath: str) -> list[str] | None:
    if not relpath or relpath == ENVIRONMENT_PATH:
        return None
    base = root / relpath
    if not base.is_dir():
        return None
    site = sorted(str(p) for p in base.glob("lib/python*/site-packages"))
    site += [str(p) for p in base.glob("Lib/site-packages")]
    return site or [str(base)]


def read_distributions(dists: Iterable[metadata.Distribution]) -> list[LockedPackage]:
    """Turn distributions into packages; the first of duplicate names wins (as on sys.path)."""
    seen: set[str] = set()
    out: list[LockedPackage] = []
    for dist in dists:
        package = package_from_distribution(dist)
        if package is None or package.name in seen:
            continue
        seen.add(package.name)
        out.append(package)
    return out


def package_from_distribution(dist: metadata.Distribution) -> LockedPackage | None:
    """Return the package a distribution describes (None when it has no name)."""
    name = dist.metadata["Name"]
    if not name:
        return None
    edges: list[LockedDependency] = []
    for text in dist.requires or ():
        try:
            requirement = Pep508(text)
        except InvalidRequirement:
            continue
        marker = requirement.marker
        if marker is not None:
            try:
                applies = marker.evaluate({"extra": ""})
            except (UndefinedEnvironmentName, UndefinedComparison):
                applies = True
            if not applies:
                continue
        edges.append(
            LockedDependency(
                name=normalize_name(requirement.name),
                specifier=str(requirement.specifier),
                marker=str(marker) if marker is not None else None,
                extras=tuple(sorted(requirement.extras)),
            )
        )
    version = dist.metadata["Version"]
    return LockedPackage(
        name=normalize_name(name),
        raw_name=name,
        version=str(version) if version else None,
        location=Location(path=ENVIRONMENT_PATH, line=None),
        kind=KIND,
        dependencies=tuple(edges),
    )
