"""The AST import scanner: sites, symbols, flags, notebooks, errors, cache and pool."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from auditor.cache import Cache
from auditor.imports import scanner
from auditor.imports.ast_walk import parse_python
from auditor.imports.conditions import python3_truth
from auditor.imports.notebooks import parse_notebook
from auditor.imports.scanner import ImportSite, scan_files


def _sites(tmp_path: Path, text: str, name: str = "mod.py") -> list[ImportSite]:
    (tmp_path / name).write_text(text, encoding="utf-8")
    result = scan_files(tmp_path, [name], cache=None, workers=1)
    assert result.errors == []
    return result.sites


def _by_module(sites: list[ImportSite]) -> dict[str, ImportSite]:
    return {s.module: s for s in sites}


def test_plain_and_from_imports_with_lines(tmp_path: Path) -> None:
    sites = _sites(tmp_path, "import os, sys\nimport numpy as np\nfrom requests import get\n")
    assert [(s.module, s.top, s.line) for s in sites] == [
        ("os", "os", 1),
        ("sys", "sys", 1),
        ("numpy", "numpy", 2),
        ("requests", "requests", 3),
    ]
    assert all(s.path == "mod.py" for s in sites)


def test_symbols_from_names_and_attribute_chains(tmp_path: Path) -> None:
    text = (
        "import numpy as np\n"
        "import xml.etree.ElementTree as ET\n"
        "import google.cloud.storage\n"
        "from requests import Session, get as fetch\n"
        "def f():\n"
        "    np.linalg.norm(np.zeros(3))\n"
        "    ET.parse('x')\n"
        "    google.cloud.storage.Client()\n"
        "    return Session().get, fetch.__name__\n"
    )
    sites = _by_module(_sites(tmp_path, text))
    assert sites["numpy"].symbols == ("numpy.linalg.norm", "numpy.zeros")
    assert sites["xml.etree.ElementTree"].symbols == ("xml.etree.ElementTree.parse",)
    assert sites["google.cloud.storage"].symbols == ("google.cloud.storage.Client",)
    assert sites["requests"].symbols == (
        "requests.Session",
        "requests.get",
        "requests.get.__name__",
    )


def test_relative_imports_are_marked_and_have_no_top(tmp_path: Path) -> None:
    sites = _sites(tmp_path, "from . import sibling\nfrom ..pkg.mod import thing\n")
    assert [(s.module, s.top, s.relative) for s in sites] == [
        (".", "", True),
        ("..pkg.mod", "", True),
    ]
    assert sites[0].symbols == (".sibling",)


def test_type_checking_and_optional_flags(tmp_path: Path) -> None:
    text = (
        "import typing\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from mypy_boto3_s3 import S3Client\n"
        "else:\n"
        "    import runtime_only\n"
        "if typing.TYPE_CHECKING:\n"
        "    import stubs_only\n"
        "try:\n"
        "    import ujson as json\n"
        "except (ImportError, ValueError):\n"
        "    import json\n"
        "try:\n"
        "    import orjson\n"
        "except ModuleNotFoundError:\n"
        "    pass\n"
        "try:\n"
        "    import needed\n"
        "except KeyError:\n"
        "    pass\n"
    )
    sites = _by_module(_sites(tmp_path, text))
    assert sites["mypy_boto3_s3"].type_only
    assert sites["stubs_only"].type_only
    assert not sites["runtime_only"].type_only
    assert all(sites[name].optional for name in ("ujson", "json", "orjson"))
    assert not sites["needed"].optional


def test_nested_imports_in_functions_classes_with_and_match(tmp_path: Path) -> None:
    text = (
        "class C:\n"
        "    with open('x') as h:\n"
        "        import click\n"
        "    def m(self):\n"
        "        for i in range(2):\n"
        "            while True:\n"
        "                import pandas\n"
        "async def g():\n"
        "    async with x:\n"
        "        import aiohttp\n"
        "match value:\n"
        "    case 1:\n"
        "        import polars\n"
    )
    assert {s.module for s in _sites(tmp_path, text)} == {"click", "pandas", "aiohttp", "polars"}


def test_dynamic_imports_with_literals_only(tmp_path: Path) -> None:
    text = (
        "import importlib\n"
        "from importlib import import_module as im\n"
        "a = importlib.import_module('yaml')\n"
        "b = im('toml')\n"
        "c = __import__('lxml.etree')\n"
        "d = importlib.import_module(name)\n"
        "e = importlib.import_module('.plugins', __package__)\n"
    )
    dynamic = [(s.module, s.relative) for s in _sites(tmp_path, text) if s.dynamic]
    assert dynamic == [("yaml", False), ("toml", False), ("lxml.etree", False), (".plugins", True)]


def test_star_import(tmp_path: Path) -> None:
    (site,) = _sites(tmp_path, "from tkinter import *\n")
    assert site.star
    assert site.symbols == ()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"x = (\n", "syntax error"),
        (b"import a\x00\n", "NUL bytes"),
        (b"\xff\xfeimport a\n", "syntax error"),
        (b"# -*- coding: no-such-codec -*-\nimport a\n", "syntax error"),
    ],
)
def test_unparseable_files_are_reported_not_fatal(
    tmp_path: Path, data: bytes, message: str, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "bad.py").write_bytes(data)
    (tmp_path / "good.py").write_text("import requests\n")
    result = scan_files(tmp_path, ["bad.py", "good.py"], cache=None, workers=1)
    assert [s.module for s in result.sites] == ["requests"]
    (error,) = result.errors
    assert error.path == "bad.py"
    assert message in error.message
    assert "bad.py: imports not scanned" in caplog.text


def test_coding_cookie_is_honoured() -> None:
    parsed = parse_python(b"# -*- coding: latin-1 -*-\nimport caf\xe9\n")
    assert parsed.imports[0].module == "caf\u00e9"


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    result = scan_files(tmp_path, ["gone.py"], cache=None, workers=1)
    assert result.errors[0].path == "gone.py"
    assert "cannot read" in result.errors[0].message


def _notebook(*cells: tuple[str, str]) -> bytes:
    return json.dumps(
        {
            "cells": [
                {"cell_type": kind, "source": text.splitlines(keepends=True), "metadata": {}}
                for kind, text in cells
            ],
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    ).encode()


def test_notebook_code_cells_magics_skipped_lines_counted(tmp_path: Path) -> None:
    data = _notebook(
        ("markdown", "import not_code\n"),
        ("code", "%matplotlib inline\n!pip install pandas\nimport pandas as pd\n"),
        ("code", "df = pd.read_csv('x')\nimport seaborn\nseaborn?\n"),
    )
    (tmp_path / "nb.ipynb").write_bytes(data)
    result = scan_files(tmp_path, [], notebooks=["nb.ipynb"], cache=None, workers=1)
    assert [(s.module, s.line, s.cell) for s in result.sites] == [
        ("pandas", 3, 0),
        ("seaborn", 5, 1),
    ]
    assert result.sites[0].symbols == ("pandas.read_csv",)


def test_notebook_bad_cell_and_bad_json() -> None:
    parsed = parse_notebook(_notebook(("code", "def (:\n"), ("code", "import yaml\n")))
    assert [r.module for r in parsed.imports] == ["yaml"]
    assert list(parsed.cell_errors) == ["code cell 0: syntax error: invalid syntax"]
    assert "not a JSON notebook" in str(parse_notebook(b"{nope").error)
    assert "no cells list" in str(parse_notebook(b'{"cells": 3}').error)


def test_cache_warm_rescan_parses_only_changed_files(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    repo = tmp_path / "repo"
    repo.mkdir()
    for i in range(5):
        (repo / f"m{i}.py").write_text(f"import pkg{i}\n")
    (repo / "bad.py").write_text("x = (\n")
    files = sorted(p.name for p in repo.glob("*.py"))
    cold = scan_files(repo, files, cache=cache, workers=1)
    assert (cold.parsed, cold.cached) == (6, 0)
    warm = scan_files(repo, files, cache=cache, workers=1)
    assert (warm.parsed, warm.cached) == (0, 6)
    assert warm.sites == cold.sites
    assert warm.errors == cold.errors
    (repo / "m2.py").write_text("import changed\n")
    again = scan_files(repo, files, cache=cache, workers=1)
    assert (again.parsed, again.cached) == (1, 5)
    assert "changed" in {s.module for s in again.sites}
    cache.close()


def test_process_pool_gives_the_same_result_as_serial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scanner, "PARALLEL_THRESHOLD", 4)
    monkeypatch.setattr(scanner, "_CHUNK", 3)
    for i in range(10):
        (tmp_path / f"m{i}.py").write_text(f"import pkg{i}\nfrom x{i} import y\npkg{i}.go()\n")
    (tmp_path / "bad.py").write_text("def (:\n")
    files = sorted(p.name for p in tmp_path.glob("*.py"))
    serial = scan_files(tmp_path, files, cache=None, workers=1)
    pooled = scan_files(tmp_path, files, cache=None, workers=2)
    assert pooled.sites == serial.sites
    assert pooled.errors == serial.errors
    assert len(serial.sites) == 20


def test_broken_pool_falls_back_to_serial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from concurrent.futures.process import BrokenProcessPool

    def broken(*_args: object) -> list[object]:
        raise BrokenProcessPool("no fork here")

    monkeypatch.setattr(scanner, "PARALLEL_THRESHOLD", 2)
    monkeypatch.setattr(scanner, "_run_pool", broken)
    for i in range(3):
        (tmp_path / f"m{i}.py").write_text(f"import pkg{i}\n")
    result = scan_files(tmp_path, ["m0.py", "m1.py", "m2.py"], cache=None, workers=2)
    assert [s.module for s in result.sites] == ["pkg0", "pkg1", "pkg2"]
    assert "scanning serially" in caplog.text


def test_python2_only_branches_are_skipped(tmp_path: Path) -> None:
    text = (
        "import sys\n"
        "if sys.version_info[0] < 3:\n"
        "    import urllib2\n"
        "else:\n"
        "    import urllib.request\n"
        "if PY2:\n"
        "    from StringIO import StringIO\n"
        "elif sys.version_info >= (3, 11):\n"
        "    import tomllib\n"
        "if six.PY3:\n"
        "    import queue\n"
        "else:\n"
        "    import Queue\n"
        "if not sys.version_info >= (3,):\n"
        "    import httplib\n"
        "if sys.version_info < (3, 11):\n"
        "    import tomli\n"
    )
    modules = [s.module for s in _sites(tmp_path, text)]
    assert modules == ["sys", "urllib.request", "tomllib", "queue", "tomli"]


@pytest.mark.parametrize(
    ("test", "expected"),
    [("PY2", False), ("six.PY3", True), ("not PY2", True), ("sys.version_info[0] == 2", False),
     ("sys.version_info.major >= 3", True), ("sys.version_info < (3,)", False),
     ("sys.version_info > (2, 7)", True), ("sys.version_info >= (3, 0)", True),
     ("sys.version_info < (3, 8)", None), ("sys.platform == 'win32'", None), ("x < 3", None)],
)  # fmt: skip
def test_python3_truth(test: str, expected: bool | None) -> None:
    import ast

    assert python3_truth(ast.parse(test, mode="eval").body) is expected


def test_pool_breaking_midway_parses_the_rest_serially(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from concurrent.futures.process import BrokenProcessPool

    def half(root: Path, todo: list[str], workers: int) -> Iterator[tuple[str, str, object]]:
        yield scanner._parse_one(str(root), todo[0])
        raise BrokenProcessPool("worker killed")

    monkeypatch.setattr(scanner, "PARALLEL_THRESHOLD", 2)
    monkeypatch.setattr(scanner, "_run_pool", half)
    for i in range(4):
        (tmp_path / f"m{i}.py").write_text(f"import pkg{i}\n")
    files = [f"m{i}.py" for i in range(4)]
    result = scan_files(tmp_path, files, cache=None, workers=2)
    assert [s.module for s in result.sites] == ["pkg0", "pkg1", "pkg2", "pkg3"]
    assert (result.parsed, result.read) == (4, 4)
