"""Parse ``setup.cfg``: ``[options] install_requires`` and ``[options.extras_require]``."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

from auditor.errors import ParseError
from auditor.model import MAIN_GROUP, InputIssue, InputKind, Location, ParsedInput, Requirement
from auditor.sources.declared import requirement_or_issue
from auditor.sources.reading import read_text

__all__ = ["SetupCfgSource"]

KIND = InputKind.SETUP_CFG
_SECTION = re.compile(r"^\[(?P<name>[^\]]+)\]\s*$")
_KEY = re.compile(r"^(?P<key>[^\s=:#;][^=:]*?)\s*[=:]\s?(?P<value>.*)$")


class SetupCfgSource:
    """Parser for setup.cfg."""

    kind = KIND

    def parse(self, root: Path, relpath: str) -> ParsedInput:
        """Parse install_requires and extras_require with their line numbers.

        Raises:
            ParseError: the file cannot be read or is not valid INI.
        """
        text = read_text(root, relpath)
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        try:
            parser.read_string(text, source=relpath)
        except configparser.Error as exc:
            line = getattr(exc, "lineno", None)
            raise ParseError(relpath, line, f"invalid setup.cfg: {exc.message}") from exc
        values = _values_with_lines(text)
        requirements: list[Requirement] = []
        issues: list[InputIssue] = []
        for (section, key), lines in values.items():
            if section == "options" and key == "install_requires":
                group = MAIN_GROUP
            elif section == "options.extras_require":
                group = f"optional:{key}"
            else:
                continue
            for number, item in lines:
                location = Location(path=relpath, line=number)
                if item.startswith("file:"):
                    issues.append(
                        InputIssue(
                            code="dynamic-value",
                            message=f"{key} = {item}: read from another file, "
                            "could not read statically here",
                            location=location,
                            line_text=item,
                        )
                    )
                    continue
                parsed = requirement_or_issue(item, location=location, kind=KIND, group=group)
                if isinstance(parsed, Requirement):
                    requirements.append(parsed)
                else:
                    issues.append(parsed)
        name = parser.get("metadata", "name", fallback=None)
        return ParsedInput(
            path=relpath,
            kind=KIND,
            requirements=tuple(requirements),
            issues=tuple(issues),
            project_name=name.strip() if name else None,
        )


def _values_with_lines(text: str) -> dict[tuple[str, str], list[tuple[int, str]]]:
    """Return (section, key) -> [(line, item)] for every non-empty item of every value."""
    out: dict[tuple[str, str], list[tuple[int, str]]] = {}
    section = ""
    current: tuple[str, str] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        if raw[0] in " \t":
            if current is not None:
                _add(out, current, number, stripped)
            continue
        header = _SECTION.match(stripped)
        if header is not None:
            section, current = header.group("name").strip(), None
            continue
        match = _KEY.match(stripped)
        if match is None:
            current = None
            continue
        current = (section, match.group("key").strip().replace("-", "_"))
        out.setdefault(current, [])
        if match.group("value").strip():
            _add(out, current, number, match.group("value").strip())
    return out


def _add(
    out: dict[tuple[str, str], list[tuple[int, str]]], key: tuple[str, str], number: int, value: str
) -> None:
    value = re.sub(r"(^|\s+)[#;].*$", "", value).strip()
    if value:
        out[key].append((number, value))
