"""Classify requirements-file lines that are not requirements (what AI assistants often write).

- ``markdown``: a fence (```` ``` ````), a bullet (``- flask``, ``* flask``), a numbered item or
  inline code (```` `flask` ````);
- ``pip-install-command``: a shell command (``pip install flask``, ``$ python -m pip install x``);
- ``several-requirements``: several requirements on one line (``flask requests==2.0``);
- ``not-a-requirement``: wrong operators with a clear intent (``requests=2.31``, ``httpx^2.0``,
  ``flask==latest``: see `auditor.sources.repair`), prose, or anything else that does not parse.

Design choice: when the author's intent is clear the verdict carries a ``suggestion`` (the
corrected text, one requirement per line) *and* the requirements it implies (`JunkLine.meant`),
which the parser emits too, each located at the offending line, so that the packages the author
wanted are still audited (a typo in the file format must not hide a vulnerable or hallucinated
package). When the intent is unclear (prose, a lone name followed by a bare version) nothing is
meant. A ``-r`` inside a ``pip install`` line is suggested but not followed.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement

from auditor.sources.declared import parse_pep508
from auditor.sources.pip_options import VALUE_OPTIONS
from auditor.sources.repair import repair_requirement

__all__ = ["JunkLine", "classify_junk", "code_fence", "markdown_list_item"]

_BULLET = re.compile(r"^(?:[-*+\u2022]\s+|\d{1,3}[.)]\s+)(?P<rest>.*)$")
_FENCE = re.compile(r"^(```|~~~)")
_VERSIONISH = re.compile(r"^v?\d+(\.\d+)*([a-z0-9.+-]*)$", re.IGNORECASE)
_PIP_INSTALL = re.compile(
    r"^(?:\$\s*|>\s*|!\s*|%\s*)?(?:sudo\s+)?(?:uv\s+)?"
    r"(?:(?:python[0-9.]*|py)\s+-m\s+)?pip[0-9.]*\s+install\b(?P<args>.*)$",
    re.IGNORECASE,
)
# Words that make a multi-word line prose rather than a list of package names.
_PROSE_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "be",
        "by",
        "following",
        "for",
        "from",
        "if",
        "in",
        "install",
        "is",
        "it",
        "needs",
        "need",
        "of",
        "on",
        "or",
        "please",
        "project",
        "run",
        "the",
        "then",
        "these",
        "this",
        "to",
        "use",
        "using",
        "with",
        "you",
        "your",
    ]
)


@dataclass(frozen=True, slots=True)
class JunkLine:
    """The issue a line that is not a requirement raises, and what it was meant to be.

    `code` and `message` describe the issue; `suggestion` is the corrected text (one
    requirement per line) and `meant` the PEP 508 requirements it implies, when the intent is
    clear.
    """

    code: str
    message: str
    suggestion: str | None = None
    meant: tuple[str, ...] = ()


def code_fence(content: str) -> JunkLine | None:
    """Return the verdict on a Markdown code fence line, or None if `content` is not one."""
    if _FENCE.match(content):
        return JunkLine("markdown", "Markdown code fence is not a requirement")
    return None


def markdown_list_item(content: str) -> JunkLine | None:
    """Return the verdict on a Markdown bullet or numbered item, or None if it is not one."""
    bullet = _BULLET.match(content)
    return None if bullet is None else _markdown_item(bullet.group("rest"))


def classify_junk(content: str, args: str) -> JunkLine:
    """Say what a line whose requirement part `args` does not parse is (`content`: the line)."""
    bullet = _BULLET.match(content)
    if bullet is not None:
        return _markdown_item(bullet.group("rest"))
    command = _PIP_INSTALL.match(content)
    if command is not None:
        return _pip_install(command.group("args"))
    stripped = args.strip("`").strip()
    tokens = _split_requirement_tokens(stripped)
    found = _valid_requirements(tokens) if len(tokens) > 1 else None
    if found is not None:
        return JunkLine(
            "several-requirements",
            f"{len(found)} requirements on one line: write one per line",
            "\n".join(found),
            tuple(found),
        )
    if stripped != args and len(tokens) == 1 and _valid_requirements(tokens):
        return JunkLine(
            "markdown", "Markdown inline code is not a requirement", tokens[0], tuple(tokens)
        )
    repair = repair_requirement(stripped)
    if repair is not None:
        return JunkLine(
            "not-a-requirement",
            f"not a valid requirement: {repair.why}; did you mean {repair.text}?",
            repair.text,
            (repair.text,),
        )
    message = "not a requirement"
    pin: str | None = None
    words = args.split()
    if len(words) == 2 and _VERSIONISH.match(words[1]):
        pin = f"{words[0]}=={words[1].lstrip('vV')}"
        message = f"not a requirement (did you mean {pin}?)"
    elif len(words) >= 3 and not re.search(r"[<>=!~@\[;]", args):
        message = "prose, not a requirement"
    else:
        try:
            parse_pep508(args)
        except InvalidRequirement as exc:
            message = f"not a requirement: {str(exc).splitlines()[0]}"
    return JunkLine("not-a-requirement", message, pin)


def _markdown_item(rest: str) -> JunkLine:
    rest = rest.strip().strip("`").strip()
    tokens = _split_requirement_tokens(rest)
    found = _valid_requirements(tokens)
    if found is None:
        return JunkLine("markdown", "Markdown list item is not a requirement")
    suggestion = "\n".join(found)
    return JunkLine(
        "markdown", "Markdown list item: write the requirement alone", suggestion, tuple(found)
    )


def _pip_install(args: str) -> JunkLine:
    try:
        tokens = shlex.split(args)
    except ValueError:
        tokens = args.split()
    requirements: list[str] = []
    includes: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        i += 1
        if token in ("-r", "--requirement", "-c", "--constraint") and i < len(tokens):
            includes.append(f"{token} {tokens[i]}")
            i += 1
        elif token.startswith("-"):
            name = token.partition("=")[0]
            if name in VALUE_OPTIONS and "=" not in token and i < len(tokens):
                i += 1
        else:
            requirements.append(token)
    found = _valid_requirements(requirements) if requirements else []
    if found is None:
        return JunkLine("pip-install-command", "shell command, not a requirement")
    suggestion = "\n".join([*includes, *found]) or None
    return JunkLine(
        "pip-install-command",
        "shell command in a requirements file: list the requirements instead",
        suggestion,
        tuple(found),
    )


def _valid_requirements(tokens: list[str]) -> list[str] | None:
    """Return `tokens` if every one is a valid PEP 508 requirement with a plausible name."""
    if not tokens:
        return None
    for token in tokens:
        if _VERSIONISH.match(token) or token.lower() in _PROSE_WORDS:
            return None
        try:
            parse_pep508(token)
        except InvalidRequirement:
            return None
    return tokens


def _split_requirement_tokens(text: str) -> list[str]:
    """Split on whitespace and commas, keeping ``name >= 1`` / ``name[x] == 2`` together."""
    text = re.sub(r"\s*(===|==|>=|<=|~=|!=|<|>)\s*", r"\1", text)
    text = re.sub(r"\s*\[\s*", "[", text)
    raw = [t for t in re.split(r"\s+", text) if t]
    tokens: list[str] = []
    for token in raw:
        # A comma inside a specifier list (``a>=1,<2``) belongs to it; elsewhere it separates.
        if tokens and (token.startswith(",") or tokens[-1].endswith(",")) and "[" not in token:
            merged = tokens[-1] + token
            try:
                parse_pep508(merged.strip(","))
            except InvalidRequirement:
                pass
            else:
                tokens[-1] = merged
                continue
        tokens.append(token)
    return [t.strip(",") for t in tokens if t.strip(",")]
