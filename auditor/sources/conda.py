"""Parse conda ``environment.yml``: only the ``pip:`` sub-list holds PyPI requirements.

Conda packages are not PyPI projects: they are counted in a note and otherwise ignored.
Items of the pip list are read like requirements-file lines: ``-r FILE`` / ``-c FILE`` are
followed (relative to the environment file, as conda runs pip there), ``-e`` and index options
are noted. The file is read with ``yaml.safe_load``; lines are found by scanning.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
from pathlib import Path
from typing import Any

import yaml

from auditor.errors import ParseError
from auditor.model import InputIssue, InputKind, Location, ParsedInput, Requirement
from auditor.sources.declared import requirement_or_issue
from auditor.sources.reading import read_text
from auditor.sources.requirements import RequirementsSource
from auditor.yamlio import safe_load

__all__ = ["CondaSource"]

KIND = InputKind.CONDA
_PIP_KEY = re.compile(r"^(?P<indent>\s*)-\s*pip\s*:\s*(?P<inline>\[.*)?$")
_ITEM = re.compile(r"^(?P<indent>\s*)-\s+(?P<value>.+?)\s*$")


class CondaSource:
    """Parser for conda environment files."""

    kind = KIND

    def parse(self, root: Path, relpath: str) -> ParsedInput:
        """Parse the pip requirements of a conda environment file.

        Raises:
            ParseError: the file cannot be read or is not valid YAML.
        """
        text = read_text(root, relpath)
        try:
            data = safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            raise ParseError(relpath, line, f"invalid YAML: {exc}") from exc
        if data is None:
            return ParsedInput(path=relpath, kind=KIND)
        if not isinstance(data, dict):
            raise ParseError(relpath, 1, "environment file must be a mapping")
        deps: Any = data.get("dependencies") or []
        if not isinstance(deps, list):
            raise ParseError(relpath, None, "'dependencies' must be a list")
        conda_count = 0
        pip_items: list[str] = []
        for item in deps:
            if isinstance(item, dict) and isinstance(item.get("pip"), list):
                pip_items.extend(str(x) for x in item["pip"] if x is not None)
            elif isinstance(item, str | int | float):
                conda_count += 1
        lines = _pip_item_lines(text, pip_items)
        requirements: list[Requirement] = []
        issues: list[InputIssue] = []
        notes: list[str] = []
        includes: list[str] = []
        for value, line in zip(pip_items, lines, strict=True):
            location = Location(path=relpath, line=line)
            text_item = value.split(" #", 1)[0].strip()
            if not text_item:
                continue
            if text_item.startswith("-"):
                included = _include(root, relpath, text_item, location, value)
                if included is None:
                    notes.append(f"pip option {text_item!r} (line {line}) noted, not followed")
                    continue
                requirements.extend(included.requirements)
                issues.extend(included.issues)
                includes.extend(included.includes)
                continue
            parsed = requirement_or_issue(text_item, location=location, kind=KIND)
            if isinstance(parsed, Requirement):
                requirements.append(parsed)
            else:
                issues.append(parsed)
        if conda_count:
            notes.insert(0, f"{conda_count} conda package(s) not audited (not PyPI projects)")
        return ParsedInput(
            path=relpath,
            kind=KIND,
            requirements=tuple(requirements),
            issues=tuple(issues),
            notes=tuple(notes),
            includes=tuple(dict.fromkeys(includes)),
            project_name=data.get("name") if isinstance(data.get("name"), str) else None,
        )


_INCLUDE = re.compile(r"^(?P<opt>-r|--requirement|-c|--constraint)(?:\s*=\s*|\s+)(?P<path>\S+)$")


def _include(
    root: Path, relpath: str, item: str, location: Location, line_text: str
) -> _Included | None:
    """Follow ``-r FILE`` / ``-c FILE`` of a pip list; None for other options."""
    match = _INCLUDE.match(item)
    if match is None:
        return None
    target = posixpath.normpath(posixpath.join(posixpath.dirname(relpath), match["path"]))
    constraint = match["opt"] in ("-c", "--constraint")
    if target.startswith("../") or posixpath.isabs(target):
        problem = f"{match['path']!r} is outside the repository"
    else:
        try:
            parsed = RequirementsSource().parse(root, target)
        except ParseError as exc:
            problem = exc.detail
        else:
            reqs = tuple(
                dataclasses.replace(r, constraint=True) if constraint else r
                for r in parsed.requirements
            )
            return _Included(reqs, parsed.issues, (target, *parsed.includes))
    issue = InputIssue(
        code="include-missing",
        message=f"{match['opt']} {match['path']}: cannot be read ({problem})",
        location=location,
        line_text=line_text,
    )
    return _Included((), (issue,), ())


@dataclasses.dataclass(frozen=True, slots=True)
class _Included:
    requirements: tuple[Requirement, ...]
    issues: tuple[InputIssue, ...]
    includes: tuple[str, ...]


def _pip_item_lines(text: str, items: list[str]) -> list[int | None]:
    """Find the line of each pip item, in order, below the ``- pip:`` keys."""
    found: list[tuple[str, int]] = []
    pip_indent: int | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        key = _PIP_KEY.match(raw)
        if key is not None:
            pip_indent = len(key.group("indent"))
            continue
        indent = len(raw) - len(raw.lstrip())
        if pip_indent is not None and indent <= pip_indent:
            pip_indent = None
        item = _ITEM.match(raw)
        if pip_indent is not None and item is not None:
            found.append((item.group("value").strip().strip("'\""), number))
    out: list[int | None] = []
    cursor = 0
    for value in items:
        line: int | None = None
        for position in range(cursor, len(found)):
            if found[position][0].startswith(value.strip()[:20]):
                line, cursor = found[position][1], position + 1
                break
        out.append(line)
    return out
