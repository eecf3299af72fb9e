"""Property tests: requirements round-trip, and no parser crashes on arbitrary input."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import Any

import tomlkit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.specifiers import SpecifierSet

from auditor.errors import ParseError
from auditor.model import normalize_name
from auditor.sources.base import Source
from auditor.sources.conda import CondaSource
from auditor.sources.lines import JsonLineIndex, TomlLineIndex
from auditor.sources.pdm_lock import PdmLockSource
from auditor.sources.pipfile import PipfileSource
from auditor.sources.pipfile_lock import PipfileLockSource
from auditor.sources.poetry_lock import PoetryLockSource
from auditor.sources.pylock import PylockSource
from auditor.sources.pyproject import PyprojectSource
from auditor.sources.requirements import RequirementsSource
from auditor.sources.setupcfg import SetupCfgSource
from auditor.sources.setuppy import SetupPySource
from auditor.sources.uv_lock import UvLockSource

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

names = st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,8}([-_.][A-Za-z0-9]{1,5})?", fullmatch=True)
versions = st.from_regex(r"[0-9]{1,3}(\.[0-9]{1,3}){1,2}", fullmatch=True)
clauses = st.tuples(st.sampled_from(["==", ">=", "<=", "~=", "!=", "<", ">"]), versions).map(
    lambda c: f"{c[0]}{c[1]}"
)
specifiers = st.lists(clauses, max_size=2).map(",".join)
extras = st.lists(st.from_regex(r"[a-z][a-z0-9]{0,5}", fullmatch=True), max_size=2, unique=True)
markers = st.sampled_from(
    [None, 'python_version >= "3.8"', 'sys_platform == "linux"', 'os_name != "nt"']
)
requirement_parts = st.tuples(names, extras, specifiers, markers)
fillers = st.lists(st.sampled_from(["", "# a comment", "   ", "--pre", "-i https://m.invalid/s"]))


def _render(name: str, extra: list[str], spec: str, marker: str | None) -> str:
    text = name
    if extra:
        text += "[" + ",".join(extra) + "]"
    text += spec
    if marker:
        text += f" ; {marker}"
    return text


@SETTINGS
@given(st.lists(st.tuples(requirement_parts, fillers), max_size=12))
def test_requirements_round_trip(items: list[tuple[tuple[Any, ...], list[str]]]) -> None:
    lines: list[str] = []
    expected: list[tuple[str, SpecifierSet, tuple[str, ...], int]] = []
    for (name, extra, spec, marker), filler in items:
        lines.extend(filler)
        lines.append(_render(name, extra, spec, marker) + ("  # trailing" if spec else ""))
        expected.append(
            (normalize_name(name), SpecifierSet(spec), tuple(sorted(extra)), len(lines))
        )
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "requirements.txt").write_text("\n".join(lines) + "\n")
        parsed = RequirementsSource().parse(Path(tmp), "requirements.txt")
    got = [(r.name, r.specifier, r.extras, r.location.line) for r in parsed.requirements]
    assert got == expected
    assert parsed.issues == ()


@SETTINGS
@given(st.text(max_size=400))
def test_requirements_never_crash(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "requirements.txt").write_text(text, encoding="utf-8", errors="surrogatepass")
        with contextlib.suppress(ParseError):
            RequirementsSource().parse(Path(tmp), "requirements.txt")


TEXT_SOURCES: list[Source] = [
    PyprojectSource(),
    PipfileSource(),
    PoetryLockSource(),
    UvLockSource(),
    PdmLockSource(),
    PylockSource(),
    PipfileLockSource(),
    SetupCfgSource(),
    SetupPySource(),
    CondaSource(),
]


def _parse_tolerant(source: Source, text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "input").write_bytes(text.encode("utf-8", errors="surrogatepass"))
        with contextlib.suppress(ParseError):
            source.parse(Path(tmp), "input")


@SETTINGS
@given(st.text(max_size=300), st.sampled_from(TEXT_SOURCES))
def test_text_parsers_never_crash(text: str, source: Source) -> None:
    _parse_tolerant(source, text)
    TomlLineIndex(text)
    JsonLineIndex(text)


KEYS = st.sampled_from(
    [
        "package",
        "packages",
        "name",
        "version",
        "dependencies",
        "optional-dependencies",
        "dev-dependencies",
        "dependency-groups",
        "include-group",
        "groups",
        "category",
        "optional",
        "source",
        "git",
        "rev",
        "editable",
        "virtual",
        "project",
        "tool",
        "poetry",
        "group",
        "extras",
        "markers",
        "marker",
        "files",
        "hash",
        "hashes",
        "vcs",
        "commit-id",
        "directory",
        "path",
        "sources",
        "uv",
        "pdm",
        "default",
        "develop",
        "requests",
    ]
)
SCALARS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["^1.2", "~1", "*", "requests>=2", "x ; extra == 'y'", ".", "1.0"]),
    st.integers(-5, 5),
    st.booleans(),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=20,
)
DOCUMENTS = st.dictionaries(KEYS, VALUES, max_size=5)


@SETTINGS
@given(DOCUMENTS, st.sampled_from(TEXT_SOURCES[:7]))
def test_structured_toml_never_crashes(document: dict[str, Any], source: Source) -> None:
    try:
        text = tomlkit.dumps(document)
    except (ValueError, TypeError):
        return  # tomlkit cannot write this document (for example a list of mixed tables)
    _parse_tolerant(source, text)
