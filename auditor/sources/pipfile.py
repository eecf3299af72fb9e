"""Parse a Pipenv ``Pipfile``: ``[packages]`` (main), ``[dev-packages]`` (dev), other categories."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from packaging.markers import Marker
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from auditor.model import (
    MAIN_GROUP,
    InputIssue,
    InputKind,
    Location,
    ParsedInput,
    Requirement,
    canonical_name,
)
from auditor.sources.lines import TomlLineIndex
from auditor.sources.reading import load_toml, read_text
from auditor.specs import marker_of

__all__ = ["PipfileSource"]

KIND = InputKind.PIPFILE
_NOT_CATEGORIES = frozenset({"source", "requires", "scripts", "pipenv"})


class PipfileSource:
    """Parser for Pipfile."""

    kind = KIND

    def parse(self, root: Path, relpath: str) -> ParsedInput:
        """Parse the packages declared in a Pipfile.

        Raises:
            ParseError: the file cannot be read or is not valid TOML.
        """
        text = read_text(root, relpath)
        data = load_toml(text, relpath)
        index = TomlLineIndex(text)
        requirements: list[Requirement] = []
        issues: list[InputIssue] = []
        for section, packages in data.items():
            if section in _NOT_CATEGORIES or not isinstance(packages, dict):
                continue
            group = {"packages": MAIN_GROUP, "dev-packages": "dev"}.get(section, section)
            for raw_name, spec in packages.items():
                location = Location(path=relpath, line=index.key_line((section,), raw_name))
                item = _requirement(raw_name, spec, group, location)
                if isinstance(item, Requirement):
                    requirements.append(item)
                else:
                    issues.append(item)
        return ParsedInput(
            path=relpath, kind=KIND, requirements=tuple(requirements), issues=tuple(issues)
        )


def _requirement(
    raw_name: str, spec: Any, group: str, location: Location
) -> Requirement | InputIssue:
    table: dict[str, Any] = spec if isinstance(spec, dict) else {"version": spec}
    line_text = f"{raw_name} = {spec!r}"
    version = table.get("version", "*")
    text = "" if not isinstance(version, str) or version.strip() == "*" else version.strip()
    try:
        specifier = SpecifierSet(text)
    except InvalidSpecifier:
        return InputIssue(
            code="not-a-requirement",
            message=f"{raw_name}: invalid version specifier {version!r}",
            location=location,
            line_text=line_text,
        )
    marker: Marker | None = None
    marker_text: str | None = None
    markers = table.get("markers")
    if isinstance(markers, str) and markers.strip():
        marker = marker_of(markers)
        if marker is None:
            marker_text = markers  # kept as written for the reports; evaluates as no marker
    url: str | None = None
    git = table.get("git")
    if isinstance(git, str):
        ref = table.get("ref")
        url = git if git.startswith("git+") else f"git+{git}"
        url = f"{url}@{ref}" if isinstance(ref, str) and ref else url
    else:
        for key in ("path", "file"):
            if isinstance(table.get(key), str):
                url = table[key]
    extras = table.get("extras")
    return Requirement(
        name=canonical_name(raw_name),
        raw_name=raw_name,
        specifier=specifier,
        extras=tuple(sorted(str(e) for e in extras)) if isinstance(extras, list) else (),
        marker=marker,
        marker_text=marker_text,
        url=url,
        editable=table.get("editable") is True,
        group=group,
        location=location,
        kind=KIND,
        line_text=line_text,
    )
