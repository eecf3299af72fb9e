"""Text edits for `auditor fix`: find a pin on a manifest line, rewrite it, remove a line.

Only the version text of a pin changes, so comments, markers, extras, spacing and line endings
stay as written; a removed requirement takes its continuation lines with it and nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from packaging.version import InvalidVersion, Version

from auditor.model import InputKind, normalize_name

TOML_KINDS = frozenset({InputKind.PYPROJECT, InputKind.PIPFILE})
_VERSION_TOKEN = r"[A-Za-z0-9][A-Za-z0-9.+!_-]*"  # noqa: S105 - a regex, not a secret
_VERSION_END = re.compile(r"[A-Za-z0-9.+!_*-]")


def split_lines(text: str) -> list[str]:
    r"""Split on ``\n`` only (as the parsers count lines), keeping the line endings."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def parse_version(text: str) -> Version | None:
    """Parse a PEP 440 version, or return None."""
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _name_pattern(name: str) -> str:
    return r"[-_.]+".join(re.escape(part) for part in normalize_name(name).split("-"))


def same_version(text: str, version: str) -> bool:
    """Whether two version texts name the same version (PEP 440 equal, or the same text)."""
    if text == version:
        return True
    left, right = parse_version(text), parse_version(version)
    return left is not None and left == right


def _toml_code_end(line: str) -> int:
    """Return where a TOML comment starts on `line` (outside strings), or len(line)."""
    quote: str | None = None
    index = 0
    while index < len(line):
        char = line[index]
        if quote is None:
            if char == "#":
                return index
            if char in "\"'":
                quote = char
        elif char == "\\" and quote == '"':
            index += 1
        elif char == quote:
            quote = None
        index += 1
    return len(line)


def _requirements_code_end(line: str) -> int:
    """Return where a requirements-file comment starts (``#`` at start or after whitespace)."""
    match = re.search(r"(^|\s)#", line)
    return match.start() if match else len(line)


def find_pin(line: str, name: str, version: str, kind: InputKind) -> tuple[int, int] | None:
    """Return the span of the pinned version text of `name` == `version` on `line`, if any."""
    code_end = _toml_code_end(line) if kind in TOML_KINDS else _requirements_code_end(line)
    code = line[:code_end]
    name_re = _name_pattern(name)
    # A PEP 508 requirement: name, optional extras, other clauses, then ==/=== version.
    pep508 = re.compile(
        rf"(?<![A-Za-z0-9._-]){name_re}(?![A-Za-z0-9._-])\s*(?:\[[^\]]*\])?\s*"
        rf"(?:[<>!~]=?\s*[^,;\s\"'\]]*\s*,\s*)*(?:===|==)\s*(?P<ver>{_VERSION_TOKEN})",
        re.IGNORECASE,
    )
    for match in pep508.finditer(code):
        end = match.end("ver")
        if end < len(code) and (_VERSION_END.match(code, end) or code.startswith(".*", end)):
            continue
        if same_version(match.group("ver"), version):
            return match.start("ver"), end
    if kind in TOML_KINDS:
        # Poetry / Pipfile tables: name = "==1.2" (or "1.2" in Poetry), or {version = "..."}.
        table = re.compile(
            rf"^\s*(?P<q>[\"']?){name_re}(?P=q)\s*=\s*(?:\{{[^}}]*?\bversion\s*=\s*)?"
            rf"[\"'](?P<op>===|==)?\s*(?P<ver>{_VERSION_TOKEN})[\"']",
            re.IGNORECASE,
        )
        found = table.search(code)
        exact = found is not None and (found.group("op") or kind is InputKind.PYPROJECT)
        if found is not None and exact and same_version(found.group("ver"), version):
            return found.start("ver"), found.end("ver")
    return None


def has_hashes(lines: Sequence[str], index: int) -> bool:
    """Whether the logical requirement starting at `index` carries ``--hash`` options."""
    position = index
    while position < len(lines):
        text = lines[position]
        if "--hash" in text:
            return True
        if not text.rstrip("\r\n").endswith("\\"):
            return False
        position += 1
    return False


def logical_end(lines: Sequence[str], index: int) -> int:
    """Return the index after the last physical line of the requirement starting at `index`."""
    position = index
    while position < len(lines) and lines[position].rstrip("\r\n").endswith("\\"):
        position += 1
    return min(position + 1, len(lines))


def _sole_item(code: str, name: str, kind: InputKind) -> bool:
    """Whether a line's code is nothing but the requirement of `name` (one array item, key)."""
    name_re = _name_pattern(name)
    after = r"(?![A-Za-z0-9._-])[^\"'\n]*"
    if kind is InputKind.SETUP_CFG:
        pattern = rf"\s*{name_re}{after}"
    elif kind is InputKind.PIPFILE:
        pattern = rf"\s*[\"']?{name_re}[\"']?\s*=.*"
    else:
        pattern = rf"\s*[\"']{name_re}{after}[\"']\s*,?\s*"
    return re.fullmatch(pattern, code.rstrip("\r\n"), re.IGNORECASE) is not None


def removal(
    lines: Sequence[str], line_no: int, name: str, kind: InputKind
) -> tuple[int, str] | None:
    """Plan the removal of the requirement of `name` declared on line `line_no`.

    Returns (last line number removed, the new text replacing the lines): an empty text drops
    the whole logical line (its continuations too); an item of a one-line TOML array is cut out
    of its line. None when the requirement is not found in a shape that is safe to remove.
    """
    index = line_no - 1
    text = lines[index]
    if kind is InputKind.REQUIREMENTS:
        first = text[: _requirements_code_end(text)].strip().rstrip("\\").strip()
        if re.match(rf"{_name_pattern(name)}(?![A-Za-z0-9._-])", first, re.IGNORECASE) is None:
            return None
        return logical_end(lines, index), ""
    code_end = _toml_code_end(text) if kind in TOML_KINDS else _requirements_code_end(text)
    code = text[:code_end]
    if _sole_item(code, name, kind):
        return line_no, ""  # the line is this requirement (and its own comment)
    if kind is not InputKind.PYPROJECT:
        return None
    item = re.compile(
        rf"(?P<q>[\"']){_name_pattern(name)}(?![A-Za-z0-9._-])[^\"'\n]*(?P=q)\s*,?\s*",
        re.IGNORECASE,
    )
    found = list(item.finditer(code))
    if len(found) != 1:
        return None
    match = found[0]
    start, end = match.start(), match.end()
    if "," not in match.group(0) and (before := re.search(r",\s*$", code[:start])) is not None:
        start = before.start()  # the last item: take the comma before it instead
    return line_no, text[:start] + text[end:]


def read_text(root: Path, path: str) -> str | None:
    """Return a manifest's text (UTF-8), or None when it cannot be read as such."""
    try:
        data = (root / path).read_bytes()
    except OSError:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None
