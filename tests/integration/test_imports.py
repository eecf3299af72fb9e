"""Import hygiene end to end: real parsers, the CLI, suppression, ignores, notebooks, errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import run_cli


def _repo(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _scan(root: Path, *extra: str) -> dict[str, Any]:
    result = run_cli("scan", str(root), "--format", "json", "--allow-incomplete", "--offline",
                     "--enable", "AUD5", *extra)  # fmt: skip
    assert result.code in (0, 1), result.err
    data: dict[str, Any] = json.loads(result.out)
    return data


def _pairs(data: dict[str, Any]) -> set[tuple[str, str]]:
    # an AUD501 with no known provider names no package: its module identifies it
    return {(f["rule_id"], f["package"] or f["evidence"]["module"]) for f in data["findings"]}


def test_requirements_with_bad_lines_still_feed_the_check(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path,
        {
            "requirements.txt": "requests>=2\nthis is not a requirement at all\n"
            "PyYAML==6.0.1\nrich\n",
            "requirements-dev.txt": "pytest\n",
            "app/__init__.py": "import requests\nimport yaml\nimport pytest\nimport bs4\n",
        },
    )
    data = _scan(repo)
    assert _pairs(data) == {
        ("AUD501", "beautifulsoup4"),
        ("AUD502", "rich"),
        ("AUD504", "pytest"),
    }


def test_pyproject_groups_extras_and_poetry(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "svc"\nversion = "1"\n'
            'dependencies = ["httpx", "gunicorn"]\n'
            '[project.optional-dependencies]\nfast = ["orjson"]\n'
            '[dependency-groups]\ntest = ["pytest", "respx"]\n',
            "src/svc/__init__.py": "import httpx\ntry:\n    import orjson\nexcept ImportError:\n"
            "    orjson = None\n",
            "tests/test_svc.py": "import pytest\nimport respx\nimport svc\n",
        },
    )
    assert _scan(repo)["findings"] == []


def test_inline_suppression_on_import_and_requirement_lines(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path,
        {
            "requirements.txt": "requests\nrich  # auditor: ignore[AUD502] used by the CLI entry\n",
            "app.py": "import requests\nimport bs4  # auditor: ignore[AUD501] vendored at deploy\n"
            "import lxml  # auditor: ignore[AUD502] wrong rule, still reported\n",
        },
    )
    data = _scan(repo)
    assert _pairs(data) == {("AUD501", "lxml")}
    reasons = {s["finding"]["rule_id"]: s["reason"] for s in data["suppressed"]}
    assert reasons == {"AUD501": "vendored at deploy", "AUD502": "used by the CLI entry"}


def test_suppression_on_any_site_hides_the_one_finding(tmp_path: Path) -> None:
    """One finding per module lists every site; a comment on any of them hides it."""
    repo = _repo(
        tmp_path,
        {
            "requirements.txt": "requests\n",
            "a.py": "import bs4  # auditor: ignore[AUD501]\n",
            "b.py": "import bs4\nimport requests\n",
        },
    )
    data = _scan(repo)
    assert data["findings"] == []
    assert data["suppressed"][0]["finding"]["locations"] == [
        {"path": "a.py", "line": 1},
        {"path": "b.py", "line": 1},
    ]


def test_config_ignore_by_rule_package_and_path(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "demo"\nversion = "1"\ndependencies = ["rich"]\n'
            '[[tool.auditor.ignore]]\nid = "AUD501"\npath = "notebooks/*"\n'
            'reason = "exploration code"\n'
            '[[tool.auditor.ignore]]\nid = "AUD502"\npackage = "Rich"\n'
            'reason = "rendered by the plugin"\n',
            "notebooks/explore.py": "import seaborn\n",
            "demo.py": "import polars\n",
        },
    )
    data = _scan(repo)
    assert _pairs(data) == {("AUD501", "polars")}
    suppressed = data["suppressed"]
    assert {s["finding"]["package"] or s["finding"]["evidence"]["module"] for s in suppressed} == {
        "seaborn",
        "rich",
    }


def test_notebook_imports_count(tmp_path: Path) -> None:
    notebook = {
        "cells": [
            {"cell_type": "code", "metadata": {}, "source": ["%load_ext autoreload\n",
                                                             "import pandas as pd\n"]},
            {"cell_type": "code", "metadata": {}, "source": "!pip install matplotlib\n"},
        ],
        "nbformat": 4,
        "nbformat_minor": 5,
    }  # fmt: skip
    repo = _repo(
        tmp_path,
        {"requirements.txt": "pandas\nmatplotlib\n", "analysis.ipynb": json.dumps(notebook)},
    )
    data = _scan(repo)
    assert _pairs(data) == {("AUD502", "matplotlib")}


def test_unparseable_python_is_reported_and_the_rest_scanned(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path,
        {"requirements.txt": "requests\n", "ok.py": "import requests\nimport bs4\n",
         "broken.py": "def broken(:\n"},
    )  # fmt: skip
    data = _scan(repo)
    assert _pairs(data) == {("AUD501", "beautifulsoup4")}
    assert data["import_errors"] == [
        {"path": "broken.py", "line": 1, "message": "syntax error: invalid syntax"}
    ]


def test_warm_rescan_uses_the_cache(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {"requirements.txt": "requests\n", "a.py": "import requests\n"})
    first = _scan(repo)
    second = _scan(repo)
    assert first["findings"] == second["findings"] == []
