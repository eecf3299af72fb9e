"""Parse pip requirements files (``requirements*.txt``), following ``-r`` / ``-c`` includes.

The syntax is pip's: logical lines joined on a trailing backslash, comments start at a ``#``
preceded by whitespace (or at the line start), ``${VAR}`` expanded from the environment,
options lines (``-i``, ``--extra-index-url``, ``--pre`` ...) ignored, per-requirement options
(``--hash``, ``-C``, ``--global-option``) split off at the first token starting with ``-``.

Files written by AI assistants often hold things that are not requirements. Each such line
becomes an `InputIssue` with one of these codes, naming file and line (a line that does not
parse is classified by `auditor.sources.requirement_junk`):

- ``markdown``: a fence (```` ``` ````), a bullet (``- flask``, ``* flask``) or a numbered item;
- ``pip-install-command``: a shell command (``pip install flask``, ``$ python -m pip install x``);
- ``several-requirements``: several requirements on one line (``flask requests==2.0``);
- ``not-a-requirement``: prose or anything else that does not parse (also unknown options);
- ``env-var-unset``: ``${VAR}`` with VAR unset (left as written);
- ``include-cycle`` / ``include-missing``: a ``-r``/``-c`` that loops or cannot be read;
- ``unnamed-requirement``: a URL or path whose project name cannot be known without building.

When the author's intent is clear the issue carries a ``suggestion`` (the corrected text, one
requirement per line) *and* the requirements it implies are emitted too, each located at the
offending line, so that the packages the author wanted are still audited.

The parser is our own rather than pip-requirements-parser: it keeps the line of every item
(also inside included files), classifies the lines above instead of failing on them, never
fetches a remote ``-r URL`` and is about 3x faster (``benchmarks/bench_sources.py``).

Requirements files named like ``requirements-dev.txt``, ``test-requirements.txt`` or
``requirements/lint.txt`` are put in group ``dev``; the others in ``main``.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import InvalidRequirement

from auditor.errors import ParseError
from auditor.model import (
    MAIN_GROUP,
    InputIssue,
    InputKind,
    Location,
    ParsedInput,
    Requirement,
    canonical_name,
)
from auditor.sources.declared import build_requirement, parse_pep508
from auditor.sources.pip_options import option_tokens, parse_options, split_args_options
from auditor.sources.reading import read_text
from auditor.sources.requirement_junk import (
    JunkLine,
    classify_junk,
    code_fence,
    markdown_list_item,
)
from auditor.sources.url_names import (
    URL_SCHEMES,
    VCS_PREFIXES,
    url_project_name,
    vcs_suggestion,
)
from auditor.sources.urls import url_problem
from auditor.specs import pin_span

__all__ = ["RequirementsSource", "requirements_group"]

_COMMENT = re.compile(r"(^|\s+)#.*$")
_ENV_VAR = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)\}")
_PATH_EXTRAS = re.compile(r"^(?P<path>.+?)\[(?P<extras>[A-Za-z0-9._,\s-]*)\]$")
_DEV_FILE = re.compile(r"(^|[-_./])(dev|develop|test|tests|testing|lint|docs|ci)([-_./]|$)")


def requirements_group(relpath: str) -> str:
    """Return ``dev`` for files whose name marks them as development requirements."""
    return "dev" if _DEV_FILE.search(relpath.lower()) else MAIN_GROUP


@dataclass(slots=True)
class _State:
    root: Path
    requirements: list[Requirement] = field(default_factory=list)
    issues: list[InputIssue] = field(default_factory=list)
    includes: list[str] = field(default_factory=list)
    done: set[tuple[str, bool]] = field(default_factory=set)
    frames: list[_Frame] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Line:
    path: str
    number: int
    text: str  # the logical line as written (continuations joined)
    group: str
    constraint: bool
    physical: str = ""  # the first physical line, as written (where a pin's columns refer)

    @property
    def location(self) -> Location:
        return Location(path=self.path, line=self.number)


class RequirementsSource:
    """Parser for pip requirements files."""

    kind = InputKind.REQUIREMENTS

    def parse(self, root: Path, relpath: str) -> ParsedInput:
        """Parse `relpath` and every file it includes.

        Raises:
            ParseError: the top-level file cannot be read.
        """
        state = _State(root=root)
        text = read_text(root, relpath)
        state.done.add((relpath, False))
        _parse_text(state, relpath, text, constraint=False, stack=(relpath,))
        return ParsedInput(
            path=relpath,
            kind=self.kind,
            requirements=tuple(state.requirements),
            issues=tuple(state.issues),
            includes=tuple(state.includes),
        )


def _logical_lines(text: str) -> list[tuple[int, str, str]]:
    """Join backslash continuations the way pip does.

    Returns (first line number, logical text, first physical line) for each logical line.
    """
    out: list[tuple[int, str, str]] = []
    pending: list[str] = []
    first = 0
    first_line = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r")
        if not line.endswith("\\") or _COMMENT.match(line):
            if pending:
                pending.append(line)
                out.append((first, "".join(pending), first_line))
                pending = []
            else:
                out.append((number, line, line))
        else:
            if not pending:
                first, first_line = number, line
            pending.append(line[:-1])
    if pending:
        out.append((first, "".join(pending), first_line))
    return out


@dataclass(slots=True)
class _Frame:
    """One file being read: its remaining logical lines and the include chain that led here."""

    relpath: str
    lines: Iterator[tuple[int, str, str]]
    constraint: bool
    stack: tuple[str, ...]
    group: str


def _parse_text(
    state: _State, relpath: str, text: str, *, constraint: bool, stack: tuple[str, ...]
) -> None:
    """Parse `text` and, in place of each ``-r``/``-c`` line, the file it includes.

    Includes are followed with an explicit stack of files (not recursion), so a chain of
    hundreds of files each including the next cannot exhaust Python's recursion limit.
    """
    state.frames.append(
        _Frame(relpath, iter(_logical_lines(text)), constraint, stack, requirements_group(relpath))
    )
    while state.frames:
        frame = state.frames[-1]
        item = next(frame.lines, None)
        if item is None:
            state.frames.pop()
            continue
        number, logical, physical = item
        content = _COMMENT.sub("", logical).strip()
        if not content:
            continue
        line = _Line(frame.relpath, number, logical.strip(), frame.group, frame.constraint,
                     physical)  # fmt: skip
        content = _expand_env(state, line, content)
        _parse_line(state, line, content, frame.stack)


def _expand_env(state: _State, line: _Line, content: str) -> str:
    def replace(match: re.Match[str]) -> str:
        value = os.environ.get(match.group("name"))
        if value is None:
            state.issues.append(
                InputIssue(
                    code="env-var-unset",
                    message=f"environment variable {match.group('name')} is not set; "
                    f"{match.group(0)} left as written",
                    location=line.location,
                    line_text=line.text,
                )
            )
            return match.group(0)
        return value

    return _ENV_VAR.sub(replace, content)


def _parse_line(state: _State, line: _Line, content: str, stack: tuple[str, ...]) -> None:
    fence = code_fence(content)
    if fence is not None:
        _report(state, line, fence)
        return
    args, options = split_args_options(content)
    if not args:
        _parse_option_line(state, line, options, stack)
        return
    hashes: list[str] = []
    found, _unknown = parse_options(option_tokens(options))
    for name, value in found:
        if name == "--hash" and value:
            hashes.append(value)
    issues_before = len(state.issues)
    requirement = _requirement_from_args(
        state, line, args, tuple(hashes), editable=False, version_span=_version_span(line, args)
    )
    if requirement is not None:
        state.requirements.append(requirement)
        return
    if len(state.issues) > issues_before:
        return  # a URL or path: already reported
    _classify_junk(state, line, content, args)


def _parse_option_line(state: _State, line: _Line, options: str, stack: tuple[str, ...]) -> None:
    item = markdown_list_item(options)
    if item is not None:
        if not _env_issue_on_line(state, line):
            _report(state, line, item)
        return
    found, unknown = parse_options(option_tokens(options))
    if unknown:
        _issue(
            state,
            line,
            "not-a-requirement",
            f"unknown option {unknown[0]!r}: not a requirement or a pip option",
        )
    for name, value in found:
        if name in ("-r", "--requirement", "-c", "--constraint"):
            is_constraint = name in ("-c", "--constraint")
            _include(state, line, value, constraint=is_constraint or line.constraint, stack=stack)
        elif name in ("-e", "--editable") and value:
            requirement = _requirement_from_args(state, line, value, (), editable=True)
            if requirement is not None:
                state.requirements.append(requirement)
            elif not _is_url_or_path(value):
                _issue(state, line, "not-a-requirement", f"not a valid editable target: {value}")


def _include(
    state: _State, line: _Line, value: str | None, *, constraint: bool, stack: tuple[str, ...]
) -> None:
    if not value:
        _issue(state, line, "include-missing", "-r/-c without a file name")
        return
    if "://" in value:
        _issue(state, line, "include-missing", f"remote include {value} is not fetched")
        return
    base = posixpath.dirname(line.path)
    target = posixpath.normpath(posixpath.join(base, value.replace("\\", "/")))
    if posixpath.isabs(target) or target == ".." or target.startswith("../"):
        _issue(state, line, "include-missing", f"include {value} is outside the repository")
        return
    if target in stack:
        chain = " -> ".join((*stack[stack.index(target) :], target))
        _issue(state, line, "include-cycle", f"include cycle: {chain}")
        return
    if (target, constraint) in state.done:
        return
    try:
        text = read_text(state.root, target)
    except ParseError as exc:
        _issue(state, line, "include-missing", f"cannot include {value}: {exc.detail}")
        return
    state.done.add((target, constraint))
    if target not in state.includes:
        state.includes.append(target)
    # Read next by `_parse_text`'s loop, before the rest of the including file.
    state.frames.append(
        _Frame(target, iter(_logical_lines(text)), constraint, (*stack, target),
               requirements_group(target))
    )  # fmt: skip


def _is_url_or_path(text: str) -> bool:
    lowered = text.lower()
    return (
        lowered.startswith(URL_SCHEMES)
        or text.startswith((".", "/", "~"))
        or "/" in text
        or "\\" in text
        or lowered.endswith((".whl", ".zip", ".tar.gz", ".tgz", ".tar.bz2"))
    )


def _version_span(line: _Line, args: str) -> tuple[int, int] | None:
    """Return the columns of the pinned version of `args` on the line's first physical line.

    `args` starts where the physical line's text starts; a ``${VAR}`` expanded before the pin,
    or a pin on a continuation line, moves the text, so the span is kept only where the physical
    line still reads the same there.
    """
    span = pin_span(args)
    if span is None:
        return None
    start = span[0] + len(line.physical) - len(line.physical.lstrip())
    end = start + span[1] - span[0]
    return (start, end) if line.physical[start:end] == args[span[0] : span[1]] else None


def _requirement_from_args(
    state: _State,
    line: _Line,
    args: str,
    hashes: tuple[str, ...],
    *,
    editable: bool,
    version_span: tuple[int, int] | None = None,
) -> Requirement | None:
    """Parse the requirement part of a line; None when it is not a requirement."""
    if args.lower().startswith(URL_SCHEMES) or args.startswith((".", "/", "~")):
        return _url_requirement(state, line, args, hashes, editable=editable)
    try:
        parsed = parse_pep508(args)
    except InvalidRequirement:
        if " " not in args.partition("; ")[0].strip() and _is_url_or_path(args):
            return _url_requirement(state, line, args, hashes, editable=editable)
        return None
    return build_requirement(
        parsed,
        location=line.location,
        kind=InputKind.REQUIREMENTS,
        group=line.group,
        line_text=line.text,
        editable=editable,
        hashes=hashes,
        constraint=line.constraint,
        version_span=version_span,
    )


def _url_requirement(
    state: _State, line: _Line, args: str, hashes: tuple[str, ...], *, editable: bool
) -> Requirement | None:
    """A bare URL, VCS link or local path, with the name from ``#egg=`` or the file name."""
    url, _, marker = args.partition("; ")
    url = url.strip()
    marker_text = marker.strip() or None
    extras: tuple[str, ...] = ()
    with_extras = _PATH_EXTRAS.match(url)
    if with_extras is not None and not url.lower().startswith(URL_SCHEMES):
        # pip's ``-e .[socks]`` / ``./pkg[cli]``: a local path followed by extras.
        url = with_extras.group("path")
        extras = tuple(
            sorted(e.strip() for e in with_extras.group("extras").split(",") if e.strip())
        )
    problem = url_problem(url)
    if problem is not None:
        _issue(state, line, "not-a-requirement", f"invalid URL {url!r}: {problem}")
        return None
    name = url_project_name(state.root, line.path, url)
    if name is None:
        message = f"cannot tell the project name of {url} without building it"
        suggestion = None
        if url.lower().startswith(VCS_PREFIXES):
            suggestion, pinned = vcs_suggestion(url)
            if not pinned:
                message += ", and with no revision it installs whatever the default branch holds"
        _issue(state, line, "unnamed-requirement", message, suggestion)
        return None
    parsed_marker: Marker | None = None
    if marker_text is not None:
        try:
            parsed_marker = parse_pep508(f"x; {marker_text}").marker
        except InvalidRequirement:
            marker_text = None
    return Requirement(
        name=canonical_name(name),
        raw_name=name,
        extras=extras,
        marker=parsed_marker,
        marker_text=marker_text,
        url=url,
        editable=editable,
        hashes=hashes,
        group=line.group,
        constraint=line.constraint,
        location=line.location,
        kind=InputKind.REQUIREMENTS,
        line_text=line.text,
    )


# -- lines that are not requirements (classified in `auditor.sources.requirement_junk`) -----


def _issue(
    state: _State, line: _Line, code: str, message: str, suggestion: str | None = None
) -> None:
    state.issues.append(
        InputIssue(
            code=code,
            message=message,
            location=line.location,
            line_text=line.text,
            suggestion=suggestion,
        )
    )


def _emit_suggested(state: _State, line: _Line, requirements: list[str]) -> None:
    for text in requirements:
        parsed = parse_pep508(text)
        state.requirements.append(
            build_requirement(
                parsed,
                location=line.location,
                kind=InputKind.REQUIREMENTS,
                group=line.group,
                line_text=line.text,
                constraint=line.constraint,
            )
        )


def _env_issue_on_line(state: _State, line: _Line) -> bool:
    return any(i.code == "env-var-unset" and i.location == line.location for i in state.issues)


def _classify_junk(state: _State, line: _Line, content: str, args: str) -> None:
    if not _env_issue_on_line(state, line):  # the unset variable explains why it did not parse
        _report(state, line, classify_junk(content, args))


def _report(state: _State, line: _Line, junk: JunkLine) -> None:
    """Report a line that is not a requirement, and emit the requirements it was meant to be."""
    _issue(state, line, junk.code, junk.message, junk.suggestion)
    _emit_suggested(state, line, list(junk.meant))
