"""Parse pip requirements files (``requirements*.txt``), following ``-r`` / ``-c`` includes.

The syntax is pip's: logical lines joined on a trailing backslash, comments start at a ``#``
preceded by whitespace (or at the line start), ``${VAR}`` expanded from the environment,
options lines (``-i``, ``--extra-index-url``, ``--pre`` ...) ignored, per-requirement options
(``--hash``, ``-C``, ``--global-option``) split off at the first token starting with ``-``.

Files written by AI assistants often hold things that are not requirements. Each such line
becomes an `InputIssue` with one of these codes, naming file and line:

- ``markdown``: a fence (```` ``` ````), a bullet (``- flask``, ``* flask``) or a numbered item;
- ``pip-install-command``: a shell command (``pip install flask``, ``$ python -m pip install x``);
- ``several-requirements``: several requirements on one line (``flask requests==2.0``);
- ``not-a-requirement``: prose or anything else that does not parse (also unknown options);
- ``env-var-unset``: ``${VAR}`` with VAR unset (left as written);
- ``include-cycle`` / ``include-missing``: a ``-r``/``-c`` that loops or cannot be read;
- ``unnamed-requirement``: a URL or path whose project name cannot be known without building.

Design choice: when the author's intent is clear the issue carries a ``suggestion`` (the
corrected text, one requirement per line) *and* the requirements it implies are emitted too,
each located at the offending line, so that the packages the author wanted are still audited
(a typo in the file format must not hide a vulnerable or hallucinated package). When the
intent is unclear (prose, a lone name followed by a bare version) nothing is emitted.
A ``-r`` inside a ``pip install`` line is suggested but not followed.

The parser is our own rather than pip-requirements-parser: it keeps the line of every item
(also inside included files), classifies the lines above instead of failing on them, never
fetches a remote ``-r URL`` and is about 3x faster (``benchmarks/bench_sources.py``).

Requirements files named like ``requirements-dev.txt``, ``test-requirements.txt`` or
``requirements/lint.txt`` are put in group ``dev``; the others in ``main``.
"""

from __future__ import annotations

import configparser
import os
import posixpath
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from packaging.markers import Marker
from packaging.requirements import InvalidRequirement
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)

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
from auditor.sources.reading import load_toml, read_text
from auditor.sources.repair import repair_requirement
from auditor.specs import pin_span

__all__ = ["RequirementsSource", "requirements_group"]

_COMMENT = re.compile(r"(^|\s+)#.*$")
_ENV_VAR = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)\}")
_VCS_PREFIXES = ("git+", "hg+", "svn+", "bzr+")
_URL_SCHEMES = ("http://", "https://", "file:", "ftp://", *_VCS_PREFIXES)
_EGG = re.compile(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)")
_PATH_EXTRAS = re.compile(r"^(?P<path>.+?)\[(?P<extras>[A-Za-z0-9._,\s-]*)\]$")
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
_DEV_FILE = re.compile(r"(^|[-_./])(dev|develop|test|tests|testing|lint|docs|ci)([-_./]|$)")

# Options that take a value, in requirements files (pip's own table, plus per-requirement ones).
_VALUE_OPTIONS = frozenset(
    {
        "-i",
        "--index-url",
        "--extra-index-url",
        "-f",
        "--find-links",
        "--no-binary",
        "--only-binary",
        "--trusted-host",
        "--use-feature",
        "--global-option",
        "--install-option",
        "-C",
        "--config-settings",
        "--hash",
        "-r",
        "--requirement",
        "-c",
        "--constraint",
        "-e",
        "--editable",
    }
)
_FLAG_OPTIONS = frozenset({"--no-index", "--pre", "--prefer-binary", "--require-hashes"})


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


def _parse_text(
    state: _State, relpath: str, text: str, *, constraint: bool, stack: tuple[str, ...]
) -> None:
    group = requirements_group(relpath)
    for number, logical, physical in _logical_lines(text):
        content = _COMMENT.sub("", logical).strip()
        if not content:
            continue
        line = _Line(relpath, number, logical.strip(), group, constraint, physical)
        content = _expand_env(state, line, content)
        _parse_line(state, line, content, stack)


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


def _split_args_options(content: str) -> tuple[str, str]:
    """Split a line at the first space-separated token that starts with ``-`` (as pip does)."""
    tokens = content.split(" ")
    for index, token in enumerate(tokens):
        if token.startswith("-"):
            return " ".join(tokens[:index]).strip(), " ".join(tokens[index:]).strip()
    return content.strip(), ""


def _option_tokens(options: str) -> list[str]:
    try:
        return shlex.split(options, posix=True)
    except ValueError:
        return options.split()


def _parse_options(tokens: list[str]) -> tuple[list[tuple[str, str | None]], list[str]]:
    """Return ([(option, value)], [unknown options]) from option tokens."""
    found: list[tuple[str, str | None]] = []
    unknown: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        i += 1
        if not token.startswith("-"):
            continue  # stray text after options: pip ignores it too
        name, eq, value = token.partition("=")
        if name in _VALUE_OPTIONS:
            if eq:
                found.append((name, value))
            elif i < len(tokens):
                found.append((name, tokens[i]))
                i += 1
            else:
                found.append((name, None))
        elif name in _FLAG_OPTIONS:
            found.append((name, None))
        elif not name.startswith("--") and len(name) > 2 and name[:2] in _VALUE_OPTIONS:
            found.append((name[:2], token[2:]))  # -rfile.txt, -ihttps://...
        else:
            unknown.append(token)
    return found, unknown


def _parse_line(state: _State, line: _Line, content: str, stack: tuple[str, ...]) -> None:
    if _FENCE.match(content):
        _issue(state, line, "markdown", "Markdown code fence is not a requirement")
        return
    args, options = _split_args_options(content)
    if not args:
        _parse_option_line(state, line, options, stack)
        return
    hashes: list[str] = []
    found, _unknown = _parse_options(_option_tokens(options))
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
    if any(i.code == "unnamed-requirement" for i in state.issues[issues_before:]):
        return  # a URL or path: already reported
    _classify_junk(state, line, content, args)


def _parse_option_line(state: _State, line: _Line, options: str, stack: tuple[str, ...]) -> None:
    bullet = _BULLET.match(options)
    if bullet is not None:
        _markdown_item(state, line, bullet.group("rest"))
        return
    found, unknown = _parse_options(_option_tokens(options))
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
    _parse_text(state, target, text, constraint=constraint, stack=(*stack, target))


def _is_url_or_path(text: str) -> bool:
    lowered = text.lower()
    return (
        lowered.startswith(_URL_SCHEMES)
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
    if args.lower().startswith(_URL_SCHEMES) or args.startswith((".", "/", "~")):
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
    name: str | None = None
    extras: tuple[str, ...] = ()
    with_extras = _PATH_EXTRAS.match(url)
    if with_extras is not None and not url.lower().startswith(_URL_SCHEMES):
        # pip's ``-e .[socks]`` / ``./pkg[cli]``: a local path followed by extras.
        url = with_extras.group("path")
        extras = tuple(
            sorted(e.strip() for e in with_extras.group("extras").split(",") if e.strip())
        )
    egg = _EGG.search(url)
    if egg is not None:
        name = egg.group(1)
    else:
        filename = unquote(posixpath.basename(urlsplit(url).path.rstrip("/")))
        try:
            if filename.endswith(".whl"):
                wheel_name, _version, _build, _tags = parse_wheel_filename(filename)
                name = str(wheel_name)
            elif filename.endswith((".tar.gz", ".zip")):
                name = str(parse_sdist_filename(filename)[0])
        except (InvalidWheelFilename, InvalidSdistFilename):
            name = None
        if name is None and not url.lower().startswith(_URL_SCHEMES):
            name = _local_project_name(state.root, line.path, url)
    if name is None:
        message = f"cannot tell the project name of {url} without building it"
        suggestion = None
        if url.lower().startswith(_VCS_PREFIXES):
            suggestion, pinned = _vcs_suggestion(url)
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


def _vcs_suggestion(url: str) -> tuple[str, bool]:
    """Return ``name @ url@<commit>`` for a VCS URL without #egg=, and whether it has a ref."""
    base, hash_mark, fragment = url.partition("#")
    scheme_end = base.find("://") + 3
    path_start = base.find("/", scheme_end) if scheme_end > 2 else 0
    ref_at = base.rfind("@")
    has_ref = ref_at > max(path_start, 0)
    bare = base[:ref_at] if has_ref else base
    repo = bare.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git") or "name"
    return f"{repo} @ {bare}@<full commit id>{hash_mark}{fragment}", has_ref


def _local_project_name(root: Path, including: str, target: str) -> str | None:
    """Read the project name of a local directory statically (pyproject.toml, setup.cfg)."""
    rel = posixpath.normpath(posixpath.join(posixpath.dirname(including), target))
    if rel.startswith("../") or posixpath.isabs(rel):
        return None
    pyproject = f"{rel}/pyproject.toml" if rel != "." else "pyproject.toml"
    try:
        data = load_toml(read_text(root, pyproject), pyproject)
    except ParseError:
        data = {}
    project = data.get("project")
    name = project.get("name") if isinstance(project, dict) else None
    if not isinstance(name, str):
        poetry = data.get("tool", {}).get("poetry", {})
        name = poetry.get("name") if isinstance(poetry, dict) else None
    if not isinstance(name, str) or not name:
        name = _setup_cfg_name(root, f"{rel}/setup.cfg" if rel != "." else "setup.cfg")
    return name if isinstance(name, str) and name else None


def _setup_cfg_name(root: Path, relpath: str) -> str | None:
    """Return ``[metadata] name`` of a setup.cfg, or None."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(read_text(root, relpath))
    except (ParseError, configparser.Error):
        return None
    name = parser.get("metadata", "name", fallback="").strip()
    return name or None


# -- lines that are not requirements ---------------------------------------------------------


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


def _markdown_item(state: _State, line: _Line, rest: str) -> None:
    rest = rest.strip().strip("`").strip()
    if _env_issue_on_line(state, line):
        return
    tokens = _split_requirement_tokens(rest)
    found = _valid_requirements(tokens)
    if found is None:
        _issue(state, line, "markdown", "Markdown list item is not a requirement")
        return
    suggestion = "\n".join(found)
    _issue(state, line, "markdown", "Markdown list item: write the requirement alone", suggestion)
    _emit_suggested(state, line, found)


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


def _env_issue_on_line(state: _State, line: _Line) -> bool:
    return any(i.code == "env-var-unset" and i.location == line.location for i in state.issues)


def _classify_junk(state: _State, line: _Line, content: str, args: str) -> None:
    if _env_issue_on_line(state, line):
        return  # the unset variable explains why it did not parse
    bullet = _BULLET.match(content)
    if bullet is not None:
        _markdown_item(state, line, bullet.group("rest"))
        return
    command = _PIP_INSTALL.match(content)
    if command is not None:
        _pip_install(state, line, command.group("args"))
        return
    stripped = args.strip("`").strip()
    tokens = _split_requirement_tokens(stripped)
    found = _valid_requirements(tokens) if len(tokens) > 1 else None
    if found is not None:
        suggestion = "\n".join(found)
        _issue(
            state,
            line,
            "several-requirements",
            f"{len(found)} requirements on one line: write one per line",
            suggestion,
        )
        _emit_suggested(state, line, found)
        return
    if stripped != args and len(tokens) == 1 and _valid_requirements(tokens):
        _issue(state, line, "markdown", "Markdown inline code is not a requirement", tokens[0])
        _emit_suggested(state, line, tokens)
        return
    repair = repair_requirement(stripped)
    if repair is not None:
        _issue(
            state,
            line,
            "not-a-requirement",
            f"not a valid requirement: {repair.why}; did you mean {repair.text}?",
            repair.text,
        )
        _emit_suggested(state, line, [repair.text])
        return
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
    _issue(state, line, "not-a-requirement", message, pin)


def _pip_install(state: _State, line: _Line, args: str) -> None:
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
            if name in _VALUE_OPTIONS and "=" not in token and i < len(tokens):
                i += 1
        else:
            requirements.append(token)
    found = _valid_requirements(requirements) if requirements else []
    if found is None:
        _issue(state, line, "pip-install-command", "shell command, not a requirement")
        return
    suggestion = "\n".join([*includes, *found]) or None
    _issue(
        state,
        line,
        "pip-install-command",
        "shell command in a requirements file: list the requirements instead",
        suggestion,
    )
    _emit_suggested(state, line, found)
