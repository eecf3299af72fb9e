"""Parse ``pdm.lock``: ``[[package]]`` tables with ``groups`` and PEP 508 ``dependencies``.

Groups: ``default`` -> ``main``; every other group name is kept as written (``dev``, ``test``,
or an optional extra: the lock does not tell extras and dev groups apart).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditor.model import (
    MAIN_GROUP,
    InputKind,
    Location,
    LockedPackage,
    ParsedInput,
    normalize_name,
)
from auditor.sources.locked import (
    dependency_from_pep508,
    read_package_tables,
    source_of,
    string_list,
)

__all__ = ["PdmLockSource"]

KIND = InputKind.PDM_LOCK


class PdmLockSource:
    """Parser for pdm.lock."""

    kind = KIND

    def parse(self, root: Path, relpath: str) -> ParsedInput:
        """Parse every locked package.

        Raises:
            ParseError: the file cannot be read, is not TOML, or ``package`` is malformed.
        """
        _, entries = read_package_tables(root, relpath, "package")
        packages = [_package(raw, Location(path=relpath, line=line)) for raw, line in entries]
        return ParsedInput(path=relpath, kind=KIND, packages=tuple(packages))


def _package(raw: dict[str, Any], location: Location) -> LockedPackage:
    name = raw["name"]
    groups = tuple(MAIN_GROUP if g == "default" else g for g in string_list(raw.get("groups")))
    edges = [dependency_from_pep508(d) for d in string_list(raw.get("dependencies"))]
    hashes = tuple(
        str(f["hash"])
        for f in raw.get("files") or ()
        if isinstance(f, dict) and isinstance(f.get("hash"), str)
    )
    source_url, commit = source_of(raw, ref_key="revision", path_keys=("url", "path"))
    version = raw.get("version")
    return LockedPackage(
        name=normalize_name(name),
        raw_name=name,
        version=str(version) if version is not None else None,
        location=location,
        kind=KIND,
        dependencies=tuple(e for e in edges if e is not None),
        groups=groups or (MAIN_GROUP,),
        hashes=hashes,
        source_url=source_url,
        source_commit=commit,
    )
