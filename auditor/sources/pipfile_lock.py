"""Parse ``Pipfile.lock`` (JSON): ``default`` (main), ``develop`` (dev) and other categories.

A package locked at the same version in several sections is reported once with every group;
different versions are separate packages. Versions are read from ``==X`` / ``===X``; git and
path entries have no version (``None``) and carry ``ref`` as the source commit.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from auditor.errors import ParseError
from auditor.model import (
    MAIN_GROUP,
    InputKind,
    Location,
    LockedPackage,
    ParsedInput,
    normalize_name,
)
from auditor.sources.lines import JsonLineIndex
from auditor.sources.locked import source_of, string_list
from auditor.sources.reading import load_json, read_text

__all__ = ["PipfileLockSource"]

KIND = InputKind.PIPFILE_LOCK
_SECTION_GROUPS = {"default": MAIN_GROUP, "develop": "dev"}


class PipfileLockSource:
    """Parser for Pipfile.lock."""

    kind = KIND

    def parse(self, root: Path, relpath: str) -> ParsedInput:
        """Parse every locked package.

        Raises:
            ParseError: the file cannot be read or is not a JSON object.
        """
        text = read_text(root, relpath)
        if not text.strip():
            return ParsedInput(path=relpath, kind=KIND)
        data = load_json(text, relpath)
        if not isinstance(data, dict):
            raise ParseError(relpath, 1, "Pipfile.lock must be a JSON object")
        index = JsonLineIndex(text)
        merged: dict[tuple[str, str | None], LockedPackage] = {}
        for section, packages in data.items():
            if section.startswith("_") or not isinstance(packages, dict):
                continue
            group = _SECTION_GROUPS.get(str(section), str(section))
            for raw_name, info in packages.items():
                if not isinstance(info, dict):
                    raise ParseError(
                        relpath, index.key_line(section, raw_name), f"{raw_name}: not an object"
                    )
                location = Location(path=relpath, line=index.key_line(section, raw_name))
                package = _package(raw_name, info, group, location)
                key = (package.name, package.version)
                if key in merged:
                    old = merged[key]
                    if group not in old.groups:
                        merged[key] = _with_group(old, group)
                else:
                    merged[key] = package
        return ParsedInput(path=relpath, kind=KIND, packages=tuple(merged.values()))


def _with_group(package: LockedPackage, group: str) -> LockedPackage:
    return dataclasses.replace(package, groups=(*package.groups, group))


def _package(raw_name: str, info: dict[str, Any], group: str, location: Location) -> LockedPackage:
    version = info.get("version")
    pinned: str | None = None
    if isinstance(version, str):
        stripped = version.strip()
        for op in ("===", "=="):
            if stripped.startswith(op):
                pinned = stripped[len(op) :].strip()
                break
    source_url, commit = source_of(info, ref_key="ref", path_keys=("path", "file"))
    return LockedPackage(
        name=normalize_name(raw_name),
        raw_name=raw_name,
        version=pinned,
        location=location,
        kind=KIND,
        groups=(group,),
        hashes=string_list(info.get("hashes")),
        source_url=source_url,
        source_commit=commit,
    )
