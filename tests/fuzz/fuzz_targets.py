"""Fuzz targets: one per parser, each a strategy and a function that must not crash.

A target's function takes one generated input and either returns or raises one of the
target's `allowed` exceptions (the parser's documented errors). Anything else is a crash.
`tests/fuzz/test_fuzz_parsers.py` runs every target briefly; `benchmarks/fuzz_long.py` runs
them for a long time and counts crashes.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import tomlkit
from hypothesis import strategies as st

from auditor.advisories.advisory import AdvisoryFormatError, parse_advisory
from auditor.errors import IndexError_, SourceError
from auditor.graph.build import build_graph
from auditor.imports.notebooks import parse_notebook
from auditor.index.client import (
    parse_project_document,
    parse_simple_html_status,
    parse_simple_status,
)
from auditor.model import InputKind
from auditor.sources.base import source_for
from auditor.sources.urls import drop_bad_urls

KEYS = (
    "name", "version", "dependencies", "dev-dependencies", "optional-dependencies",
    "dependency-groups", "include-group", "project", "tool", "poetry", "uv", "pdm", "sources",
    "workspace", "source", "git", "url", "path", "editable", "package", "packages", "default",
    "develop", "metadata", "files", "hashes", "hash", "markers", "marker", "extras", "wheels",
    "sdist", "index", "vcs", "directory", "archive", "requires-python", "groups", "category",
    "optional", "python-versions", "content-hash", "revision", "ref", "resolved_reference",
    "type", "reference", "requested-revision", "commit-id", "cells", "cell_type", "channels",
    "pip", "id", "modified", "published", "aliases", "affected", "ranges", "events",
    "introduced", "fixed", "last_affected", "limit", "versions", "ecosystem", "severity",
    "score", "database_specific", "ecosystem_specific", "withdrawn", "summary", "details",
    "info", "releases", "yanked", "upload_time", "project-status", "status", "reason",
    "requires_dist", "requires", "dist-info", "strategy", "lock-version",
)  # fmt: skip
WORDS = (
    "requests", "==1.0", ">=2,<3", "*", "^1.2", "~1.2", "1.0", "rich==13.7.0", "x @ http://[::1",
    "https://[oops/x.whl", "git+https://github.com/a/b@v1#egg=b", "git+https://[oops", "./pkg",
    "-e .", "-r other.txt", "-c c.txt", "--hash=sha256:00", "PyPI", "pypi", "ECOSYSTEM", "SEMVER",
    "GIT", "0", "code", "markdown", "python_version >= '3.8'", "import os", "%pip install x",
    "2024-01-01T00:00:00Z", "not a date", "CVSS:3.1/AV:N", "quarantined", "", " ", "\x00",
    "${HOME}", "a" * 300,
)  # fmt: skip

_scalar = st.one_of(
    st.sampled_from(WORDS), st.text(max_size=30), st.integers(), st.booleans(),
    st.floats(allow_nan=False),
)  # fmt: skip
_keys = st.one_of(st.sampled_from(KEYS), st.text(min_size=1, max_size=10))


def _junk(scalar: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        scalar,
        lambda inner: st.one_of(
            st.lists(inner, max_size=5), st.dictionaries(_keys, inner, max_size=6)
        ),
        max_leaves=30,
    )


JSON_JUNK = _junk(st.one_of(_scalar, st.none()))
TOML_JUNK = st.dictionaries(_keys, _junk(_scalar), max_size=6)
LINE_JUNK = st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=40)), max_size=12).map(
    "\n".join
)


def _toml_text(data: dict[str, Any]) -> str:
    try:
        return tomlkit.dumps(data)
    except Exception:  # noqa: BLE001 - tomlkit refuses some junk: fall back to plain text
        return json.dumps(data, default=str)


def _text_or(structured: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(structured, LINE_JUNK, st.text(max_size=300))


TOML_TEXT = _text_or(TOML_JUNK.map(_toml_text))
JSON_TEXT = _text_or(JSON_JUNK.map(lambda d: json.dumps(d)))


def _setup_cfg(lines: str) -> str:
    return "[options]\ninstall_requires =\n  " + lines.replace("\n", "\n  ")


def _setup_py(value: Any) -> str:
    return (
        "from setuptools import setup\n"
        f"setup(name='x', install_requires={value!r}, extras_require={value!r})\n"
    )


SETUP_CFG_TEXT = _text_or(LINE_JUNK.map(_setup_cfg))
SETUP_PY_TEXT = _text_or(JSON_JUNK.map(_setup_py))
NOTEBOOK_BYTES = JSON_TEXT.map(lambda t: t.encode("utf-8", "surrogatepass"))
HTML_TEXT = st.one_of(
    st.text(max_size=300),
    st.sampled_from(
        ['<meta name="pypi:project-status" content="x">',
         "<meta name=pypi:project-status-reason content=", "<<<>>>&#x110000;"]
    ),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Target:
    """One parser under fuzz: what to generate, what to call, which errors it may raise."""

    name: str
    strategy: st.SearchStrategy[Any]
    run: Callable[[Any], object]
    allowed: tuple[type[BaseException], ...]


def _source_target(
    name: str, kind: InputKind, filename: str, text: st.SearchStrategy[str]
) -> Target:
    folder = Path(tempfile.mkdtemp(prefix=f"fuzz-{name}-"))
    source = source_for(kind)

    def run(content: str) -> object:
        (folder / filename).write_text(content, encoding="utf-8", errors="surrogatepass")
        parsed = drop_bad_urls(source.parse(folder, filename))
        for req in parsed.requirements:
            if req.url is not None:
                urlsplit(req.url)  # what the checks do with it
        build_graph([parsed])
        return parsed

    return Target(name, text, run, (SourceError,))


def _advisory(data: Any) -> object:
    with contextlib.suppress(AdvisoryFormatError):
        parse_advisory(data, strict=False)
    return parse_advisory(data)


def _project(data: Any) -> object:
    if not isinstance(data, dict):
        data = {"info": data}
    return parse_project_document("x", data)


TARGETS: tuple[Target, ...] = (
    _source_target("requirements", InputKind.REQUIREMENTS, "requirements.txt", LINE_JUNK),
    _source_target("pyproject", InputKind.PYPROJECT, "pyproject.toml", TOML_TEXT),
    _source_target("setup.cfg", InputKind.SETUP_CFG, "setup.cfg", SETUP_CFG_TEXT),
    _source_target("setup.py", InputKind.SETUP_PY, "setup.py", SETUP_PY_TEXT),
    _source_target("Pipfile", InputKind.PIPFILE, "Pipfile", TOML_TEXT),
    _source_target("Pipfile.lock", InputKind.PIPFILE_LOCK, "Pipfile.lock", JSON_TEXT),
    _source_target("poetry.lock", InputKind.POETRY_LOCK, "poetry.lock", TOML_TEXT),
    _source_target("uv.lock", InputKind.UV_LOCK, "uv.lock", TOML_TEXT),
    _source_target("pdm.lock", InputKind.PDM_LOCK, "pdm.lock", TOML_TEXT),
    _source_target("pylock.toml", InputKind.PYLOCK, "pylock.toml", TOML_TEXT),
    _source_target("environment.yml", InputKind.CONDA, "environment.yml", JSON_TEXT),
    Target("notebook", NOTEBOOK_BYTES, parse_notebook, ()),
    Target("osv", JSON_JUNK, _advisory, (AdvisoryFormatError,)),
    Target("index-json", JSON_JUNK, _project, (IndexError_,)),
    Target("index-simple", JSON_JUNK, parse_simple_status, (IndexError_,)),
    Target("index-html", HTML_TEXT, parse_simple_html_status, (IndexError_,)),
)
