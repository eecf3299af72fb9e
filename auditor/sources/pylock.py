"""Parse PEP 751 ``pylock.toml`` / ``pylock.<name>.toml`` files.

The project's own entry (a ``directory`` package with path ``.`` and no version) is reported
with ``is_root=True``. Groups are read from the package ``marker`` where it names them
(``'dev' in dependency_groups`` -> ``dev``, ``'x' in extras`` -> ``optional:x``), else ``main``.
``dependencies`` entries (``{name = ...}``) become edges.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from auditor.model import (
    MAIN_GROUP,
    InputKind,
    Location,
    LockedDependency,
    LockedPackage,
    ParsedInput,
    normalize_name,
)
from auditor.sources.locked import read_package_tables

__all__ = ["PylockSource"]

KIND = InputKind.PYLOCK
_IN_GROUPS = re.compile(r"""['"]([^'"]+)['"]\s+in\s+(dependency_groups|extras)""")


class PylockSource:
    """Parser for pylock.toml."""

    kind = KIND

    def parse(self, root: Path, relpath: str) -> ParsedInput:
        """Parse every package of the lock.

        Raises:
            ParseError: the file cannot be read, is not TOML, or ``packages`` is malformed.
        """
        _, entries = read_package_tables(root, relpath, "packages")
        packages = [_package(raw, Location(path=relpath, line=line)) for raw, line in entries]
        return ParsedInput(path=relpath, kind=KIND, packages=tuple(packages))


def _groups(marker: Any) -> tuple[str, ...]:
    if not isinstance(marker, str):
        return (MAIN_GROUP,)
    found = [
        name if kind == "dependency_groups" else f"optional:{name}"
        for name, kind in _IN_GROUPS.findall(marker)
    ]
    return tuple(sorted(set(found))) or (MAIN_GROUP,)


def _hashes(raw: dict[str, Any]) -> tuple[str, ...]:
    out: list[str] = []
    artifacts: list[Any] = [raw.get("sdist"), raw.get("archive"), *(raw.get("wheels") or [])]
    for artifact in artifacts:
        if isinstance(artifact, dict) and isinstance(artifact.get("hashes"), dict):
            out.extend(f"{alg}:{value}" for alg, value in artifact["hashes"].items())
    return tuple(out)


def _package(raw: dict[str, Any], location: Location) -> LockedPackage:
    name = raw["name"]
    version = raw.get("version")
    source_url: str | None = None
    commit: str | None = None
    vcs = raw.get("vcs")
    directory = raw.get("directory")
    archive = raw.get("archive")
    if isinstance(vcs, dict):
        url = vcs.get("url") or vcs.get("path")
        kind = vcs.get("type", "git")
        source_url = f"{kind}+{url}" if isinstance(url, str) else None
        commit = vcs.get("commit-id") if isinstance(vcs.get("commit-id"), str) else None
    elif isinstance(directory, dict) and isinstance(directory.get("path"), str):
        source_url = directory["path"]
    elif isinstance(archive, dict):
        found = archive.get("url") or archive.get("path")
        source_url = found if isinstance(found, str) else None
    elif isinstance(raw.get("index"), str):
        source_url = raw["index"]
    is_root = version is None and isinstance(directory, dict) and directory.get("path") == "."
    edges = [
        LockedDependency(name=normalize_name(d["name"]))
        for d in raw.get("dependencies") or ()
        if isinstance(d, dict) and isinstance(d.get("name"), str)
    ]
    marker = raw.get("marker")
    return LockedPackage(
        name=normalize_name(name),
        raw_name=name,
        version=str(version) if version is not None else None,
        location=location,
        kind=KIND,
        dependencies=tuple(edges),
        groups=_groups(marker),
        hashes=_hashes(raw),
        source_url=source_url,
        source_commit=commit,
        is_root=is_root,
    )
