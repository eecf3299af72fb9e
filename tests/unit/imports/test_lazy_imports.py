"""Lazy and guarded imports: the scope flags of import sites, and AUD501 judging by them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pytest
from checkrun import findings_of
from imports_support import make_ctx

from auditor.cache import Cache
from auditor.checks.imports import CHECK
from auditor.imports.ast_walk import parse_python, recover_imports
from auditor.imports.scanner import ImportSite, scan_files
from auditor.model import Finding, Severity


def _sites(tmp_path: Path, text: str, name: str = "mod.py") -> dict[str, ImportSite]:
    (tmp_path / name).write_text(text, encoding="utf-8")
    result = scan_files(tmp_path, [name], cache=None, workers=1)
    assert result.errors == []
    return {s.module: s for s in result.sites}


def _flags(site: ImportSite) -> tuple[bool, bool, bool, bool]:
    return site.lazy, site.in_except, site.optional, site.dynamic


SCOPES = (
    "import atmodule\n"
    "def to_parquet():\n"
    "    import pyarrow\n"
    "async def fetch():\n"
    "    import aiohttp\n"
    "class Exporter:\n"
    "    import inclassbody\n"
    "    def run(self):\n"
    "        import inmethod\n"
    "def outer():\n"
    "    def inner():\n"
    "        import nested\n"
    "    return inner\n"
)


def test_function_method_and_nested_function_imports_are_lazy(tmp_path: Path) -> None:
    sites = _sites(tmp_path, SCOPES)
    lazy = {name for name, site in sites.items() if site.lazy}
    assert lazy == {"pyarrow", "aiohttp", "inmethod", "nested"}
    assert not sites["atmodule"].lazy
    assert not sites["inclassbody"].lazy  # a class body runs at import time


def test_dynamic_imports_take_the_scope_and_guard_of_their_statement(tmp_path: Path) -> None:
    text = (
        "import importlib\n"
        "top = importlib.import_module('atmodule')\n"
        "try:\n"
        "    import ujson\n"
        "except ImportError:\n"
        "    json_mod = importlib.import_module('simplejson')\n"
        "try:\n"
        "    value = compute()\n"
        "except ValueError:\n"
        "    fallback = importlib.import_module('fallbackmod')\n"
        "def plugin():\n"
        "    return importlib.import_module('pluginmod')\n"
        "loader = lambda: __import__('inlambda')\n"
        "if TYPE_CHECKING:\n"
        "    typed = importlib.import_module('typedmod')\n"
    )
    sites = _sites(tmp_path, text)
    assert _flags(sites["atmodule"]) == (False, False, False, True)
    assert _flags(sites["ujson"]) == (False, False, True, False)
    assert _flags(sites["simplejson"]) == (False, True, True, True)
    assert _flags(sites["fallbackmod"]) == (False, True, False, True)
    assert _flags(sites["pluginmod"]) == (True, False, False, True)
    assert _flags(sites["inlambda"]) == (True, False, False, True)
    assert sites["typedmod"].type_only
    assert sites["simplejson"].line == 6


def test_dynamic_call_before_the_importlib_import_still_counts(tmp_path: Path) -> None:
    text = "def load():\n    return importlib.import_module('late')\nimport importlib\n"
    assert _flags(_sites(tmp_path, text)["late"]) == (True, False, False, True)


def test_dynamic_calls_in_python2_branches_are_skipped_like_imports(tmp_path: Path) -> None:
    text = "import importlib\nif PY2:\n    m = importlib.import_module('urllib2')\n"
    assert "urllib2" not in _sites(tmp_path, text)


def test_the_line_based_fallback_flags_the_same_scopes() -> None:
    text = SCOPES + "try:\n    pass\nexcept OSError:\n    import inexcept\n"
    parsed = {r.module: (r.lazy, r.in_except) for r in parse_python(text.encode()).imports}
    recovered = {r.module: (r.lazy, r.in_except) for r in recover_imports(text)}
    assert recovered == parsed
    assert parsed["inexcept"] == (False, True)
    assert parsed["nested"] == (True, False)


def test_scope_flags_survive_the_cache(tmp_path: Path) -> None:
    (tmp_path / "mod.py").write_text(
        "def f():\n    import pyarrow\ntry:\n    pass\nexcept OSError:\n    import alt\n",
        encoding="utf-8",
    )
    cache = Cache(tmp_path / "cache")
    cold = scan_files(tmp_path, ["mod.py"], cache=cache, workers=1)
    warm = scan_files(tmp_path, ["mod.py"], cache=cache, workers=1)
    cache.close()
    assert warm.parsed == 0
    assert warm.sites == cold.sites
    assert {s.module: (s.lazy, s.in_except) for s in warm.sites} == {
        "pyarrow": (True, False),
        "alt": (False, True),
    }


# -- AUD501 -------------------------------------------------------------------------------------


def _write(root: Path, files: Mapping[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _missing(root: Path, files: Mapping[str, str]) -> dict[str, Finding]:
    _write(root, files)
    found = findings_of(CHECK, make_ctx(root, {}))
    return {str(f.evidence["module"]): f for f in found if f.rule_id == "AUD501"}


def test_function_scope_import_only_is_low_and_advises_an_extra(tmp_path: Path) -> None:
    files = {"app/io.py": "import os\n\ndef to_parquet(frame):\n    import yaml\n"}
    finding = _missing(tmp_path, files)["yaml"]
    assert finding.severity is Severity.LOW
    assert "imported only lazily or optionally, at app/io.py:4 (function body)" in (finding.message)
    assert finding.fix is not None
    assert "pyyaml" in finding.fix
    assert "as an extra" in finding.fix
    assert finding.evidence["lazy_only"] is True
    assert finding.evidence["dev_only"] is False
    assert finding.evidence["sites"] == [
        {
            "path": "app/io.py",
            "line": 4,
            "scope": "function",
            "guard": None,
            "dynamic": False,
        }
    ]


@pytest.mark.parametrize(
    "text",
    [
        "class Store:\n    def save(self):\n        import zzlazymod\n",
        "def outer():\n    def inner():\n        import zzlazymod\n    return inner\n",
        "import importlib\ndef load():\n    return importlib.import_module('zzlazymod')\n",
        "import importlib\ntry:\n    x = 1\nexcept KeyError:\n"
        "    m = importlib.import_module('zzlazymod')\n",
    ],
    ids=["method", "nested-function", "import-module-in-function", "import-module-in-except"],
)
def test_lazy_or_except_only_imports_are_low(tmp_path: Path, text: str) -> None:
    finding = _missing(tmp_path, {"app/core.py": text})["zzlazymod"]
    assert finding.severity is Severity.LOW
    assert "imported only lazily or optionally" in finding.message
    assert "app/core.py:" in finding.message
    assert finding.fix is not None
    assert "as an extra" in finding.fix


def test_import_module_literal_guarded_by_import_error_is_optional(tmp_path: Path) -> None:
    text = (
        "import importlib\ntry:\n    import ujson as json\nexcept ImportError:\n"
        "    json = importlib.import_module('zzfastjson')\n"
    )
    assert "zzfastjson" not in _missing(tmp_path, {"app/core.py": text})


def test_import_module_literal_at_module_level_is_still_medium(tmp_path: Path) -> None:
    text = "import importlib\nmod = importlib.import_module('zzplugin')\n"
    finding = _missing(tmp_path, {"app/core.py": text})["zzplugin"]
    assert finding.severity is Severity.MEDIUM
    assert "lazily" not in finding.message
    assert finding.evidence["sites"][0]["scope"] == "module"
    assert finding.evidence["sites"][0]["dynamic"] is True


def test_one_module_level_import_anywhere_keeps_it_medium(tmp_path: Path) -> None:
    files = {
        "app/a.py": "def f():\n    import zzboth\n",
        "app/b.py": "import zzboth\n",
    }
    finding = _missing(tmp_path, files)["zzboth"]
    assert finding.severity is Severity.MEDIUM
    assert finding.evidence["lazy_only"] is False
    scopes = [(s["path"], s["scope"]) for s in finding.evidence["sites"]]
    assert scopes == [("app/a.py", "function"), ("app/b.py", "module")]


def test_type_checking_imports_are_as_before(tmp_path: Path) -> None:
    text = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import zztyped\n"
    finding = _missing(tmp_path, {"app/core.py": text})["zztyped"]
    assert finding.severity is Severity.LOW
    assert finding.evidence["dev_only"] is True
    assert finding.evidence["lazy_only"] is False
    assert "lazily" not in finding.message
    assert finding.evidence["sites"][0]["guard"] == "type-checking"


# -- notebooks of other kernels -----------------------------------------------------------------


def _notebook(metadata: dict[str, object], source: str) -> bytes:
    cells = [{"cell_type": "code", "source": source, "metadata": {}, "outputs": []}]
    return json.dumps({"cells": cells, "metadata": metadata, "nbformat": 4}).encode()


@pytest.mark.parametrize(
    "metadata",
    [
        {"kernelspec": {"name": "ir", "language": "R"}, "language_info": {"name": "R"}},
        {"kernelspec": {"name": "julia-1.9", "language": "julia"}},
        {"language_info": {"name": "julia"}},
    ],
    ids=["r", "julia-kernelspec", "julia-language-info"],
)
def test_notebooks_of_other_languages_are_skipped_quietly(
    tmp_path: Path, metadata: dict[str, object]
) -> None:
    (tmp_path / "analysis.ipynb").write_bytes(
        _notebook(metadata, "library(ggplot2)\nusing DataFrames\nx <- c(1, 2)\n")
    )
    result = scan_files(tmp_path, [], notebooks=["analysis.ipynb"], cache=None, workers=1)
    assert (result.sites, result.errors) == ([], [])


@pytest.mark.parametrize(
    "metadata",
    [
        {"kernelspec": {"name": "python3", "language": "python"}},
        {"language_info": {"name": "python", "version": "3.11"}},
        {"kernelspec": {"language": 3}},  # not a string: unknown, read as Python
        {},
    ],
)
def test_python_notebooks_are_still_read(tmp_path: Path, metadata: dict[str, object]) -> None:
    (tmp_path / "nb.ipynb").write_bytes(_notebook(metadata, "import pandas\n"))
    result = scan_files(tmp_path, [], notebooks=["nb.ipynb"], cache=None, workers=1)
    assert [s.module for s in result.sites] == ["pandas"]
