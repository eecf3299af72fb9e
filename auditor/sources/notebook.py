"""The dependencies a Jupyter notebook installs itself: ``%pip install`` / ``!pip install`` lines.

A notebook that runs ``%pip install pandas==2.2 seaborn`` declares those packages: they are read
as its requirements (group ``notebook``), so its imports of them are not "missing", and the
names are vetted like any other declaration (a name an assistant invented is as dangerous in a
notebook as in requirements.txt). Options (``-q``, ``-U``) are skipped; ``-r FILE`` and local
paths are left to the files themselves. Nothing in the notebook is executed.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

from auditor.errors import ParseError
from auditor.model import InputIssue, InputKind, Location, ParsedInput, Requirement
from auditor.sources.declared import requirement_or_issue
from auditor.sources.reading import load_json, read_text

NOTEBOOK_GROUP = "notebook"

# %pip install, !pip install, !pip3 install, !python -m pip install, %uv pip install ...
_INSTALL = re.compile(
    r"^\s*[%!]\s*(?:(?:python3?|py)\s+-m\s+)?(?:uv\s+)?pip3?\s+install\s+(?P<args>.+)$"
)
# Options of pip install that take a value (the value is not a requirement).
_VALUED = frozenset({"-r", "--requirement", "-c", "--constraint", "-e", "--editable",
                     "-i", "--index-url", "--extra-index-url", "-f", "--find-links",
                     "-t", "--target", "--prefix", "--root", "--python-version",
                     "--platform", "--implementation", "--abi", "--src", "--upgrade-strategy",
                     "--progress-bar", "--log", "--proxy", "--timeout", "--retries",
                     "--cert", "--client-cert", "--cache-dir", "--trusted-host"})  # fmt: skip


def has_install_lines(text: str) -> bool:
    """A cheap test before parsing: does the notebook text mention ``pip install`` at all?"""
    return "pip" in text and "install" in text


def _cell_lines(cell: Any) -> list[str]:
    source = cell.get("source") if isinstance(cell, dict) else None
    if isinstance(source, str):
        return source.splitlines()
    if isinstance(source, list):
        return "".join(part for part in source if isinstance(part, str)).splitlines()
    return []


def _file_line(raw_lines: list[str], command: str, start: int) -> tuple[int | None, int]:
    """The 1-based line of the notebook file that holds `command` (searching from `start`)."""
    needle = command.strip()[:60]
    for index in range(start, len(raw_lines)):
        if needle and needle in raw_lines[index]:
            return index + 1, index + 1
    return None, start


def install_args(line: str) -> list[str] | None:
    """The requirement arguments of one install line (None when it is not one)."""
    match = _INSTALL.match(line)
    if match is None:
        return None
    args = match.group("args").split("#", 1)[0]
    try:
        tokens = shlex.split(args)
    except ValueError:
        tokens = args.split()
    found: list[str] = []
    skip_next = False
    for token in tokens:
        if skip_next:
            skip_next = False
            continue
        if token.startswith("-"):
            skip_next = token in _VALUED
            continue
        if token.startswith(("$", "{")) or "/" in token or token.startswith("."):
            continue  # a variable, a path or a URL: not a name to vet
        found.append(token)
    return found


class NotebookSource:
    """Parses the install lines of a ``.ipynb`` notebook."""

    def parse(self, root: Path, relpath: str) -> ParsedInput:
        """Return the notebook's installs as requirements (raises ParseError)."""
        text = read_text(root, relpath)
        data = load_json(text, relpath)
        cells = data.get("cells") if isinstance(data, dict) else None
        if not isinstance(cells, list):
            raise ParseError(relpath, None, "not a notebook: no list of cells")
        raw_lines = text.splitlines()
        requirements: list[Requirement] = []
        issues: list[InputIssue] = []
        cursor = 0
        for cell in cells:
            if not isinstance(cell, dict) or cell.get("cell_type") != "code":
                continue
            for line in _cell_lines(cell):
                args = install_args(line)
                if not args:
                    continue
                number, cursor = _file_line(raw_lines, line, cursor)
                where = Location(path=relpath, line=number)
                for arg in args:
                    item = requirement_or_issue(
                        arg, location=where, kind=InputKind.NOTEBOOK, group=NOTEBOOK_GROUP
                    )
                    if isinstance(item, Requirement):
                        requirements.append(item)
                    else:
                        issues.append(item)
        return ParsedInput(
            path=relpath,
            kind=InputKind.NOTEBOOK,
            requirements=tuple(requirements),
            issues=tuple(issues),
        )


__all__ = ["NOTEBOOK_GROUP", "NotebookSource", "has_install_lines", "install_args"]
