"""The line-based fallback for files `ast` rejects (newer syntax than the running Python).

Snippets with 3.12+ syntax parse-fail on 3.11 (the fallback runs) but parse on 3.12+ (the AST
walk runs), so tests that go through `scan_files` assert on what both paths must agree on: the
imported modules and their flags. Tests that must exercise the fallback call it directly, or
use source that no Python version accepts.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from checkrun import run_check
from imports_support import make_ctx

from auditor.cache import Cache
from auditor.checks.imports import CHECK
from auditor.imports import scanner
from auditor.imports.ast_walk import parse_python, recover_imports
from auditor.imports.notebooks import parse_notebook
from auditor.imports.records import ImportRecord
from auditor.imports.recovery import fallback_statements, logical_lines
from auditor.imports.scanner import ImportSite, ScanError, scan_files

NEW_SYNTAX = {
    "pep695_alias": "import os\ntype Pair[T] = tuple[T, T]\nfrom requests import Session\n",
    "pep695_generic_def": (
        "from collections.abc import Sequence\n"
        "def first[T](items: Sequence[T]) -> T:\n"
        "    import yaml\n"
        "    return items[0]\n"
        "class Box[T: (int, str)]:\n"
        "    import numpy as np\n"
    ),
    "pep701_nested_fstring": (
        "import json\n"
        'songs = {"a": 1}\n'
        'print(f"{songs["a"]} and {f"{songs["a"]!r:>{10}}"}")\n'
        "import click\n"
    ),
    "pep701_multiline_field": (
        "import re\n"
        'x = f"{\n'
        "    1 + 1  # a comment inside a field, import fake_in_field\n"
        '}"\n'
        "from attr import define\n"
    ),
}
EXPECTED = {
    "pep695_alias": {"os", "requests"},
    "pep695_generic_def": {"collections.abc", "yaml", "numpy"},
    "pep701_nested_fstring": {"json", "click"},
    "pep701_multiline_field": {"re", "attr"},
}

# Rejected by every Python version: always goes through the fallback.
BROKEN = (
    '"""Module docstring.\n'
    "import fake_in_docstring\n"
    '"""\n'
    "import requests\n"
    "def broken(:\n"
    "    pass\n"
    "from yaml import (\n"
    "    safe_load,  # import fake_in_comment\n"
    "    safe_dump as dump,\n"
    ")\n"
    "yaml_text = safe_load('import fake_in_string')\n"
    "requests.adapters.HTTPAdapter()\n"
)


def _modules(records: list[ImportRecord]) -> set[str]:
    return {r.module for r in records}


def _scan(tmp_path: Path, text: str, name: str = "mod.py") -> tuple[list[ImportSite], list[Any]]:
    (tmp_path / name).write_text(text, encoding="utf-8")
    result = scan_files(tmp_path, [name], cache=None, workers=1)
    return result.sites, result.errors


@pytest.mark.parametrize("case", sorted(NEW_SYNTAX))
def test_new_syntax_keeps_its_imports_on_any_python(tmp_path: Path, case: str) -> None:
    sites, errors = _scan(tmp_path, NEW_SYNTAX[case])
    assert {s.module for s in sites} == EXPECTED[case]
    # Either the AST parsed it (3.12+) or the fallback did and the file is still reported.
    assert all(e.recovered == len(sites) for e in errors)
    assert all(s.approximate == bool(errors) for s in sites)


@pytest.mark.parametrize("case", sorted(NEW_SYNTAX))
def test_fallback_reads_new_syntax_directly(case: str) -> None:
    records = recover_imports(NEW_SYNTAX[case])
    assert _modules(records) == EXPECTED[case]
    assert all(r.approximate for r in records)


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="3.12+ parses PEP 695 itself")
def test_on_311_new_syntax_is_reported_with_a_recovery_note(tmp_path: Path) -> None:
    _sites, errors = _scan(tmp_path, NEW_SYNTAX["pep695_alias"])
    (error,) = errors
    assert error.line == 2
    assert error.message.startswith("syntax error: ")
    assert "2 import(s) recovered by the line-based fallback (approximate)" in error.message
    assert error.to_json()["recovered_imports"] == 2


def test_broken_file_keeps_imports_ignores_strings_and_comments(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sites, errors = _scan(tmp_path, BROKEN)
    assert [(s.module, s.line, s.approximate) for s in sites] == [
        ("requests", 4, True),
        ("yaml", 7, True),
    ]
    assert sites[0].symbols == ("requests.adapters.HTTPAdapter",)
    assert sites[1].symbols == ("yaml.safe_dump", "yaml.safe_load")
    (error,) = errors
    assert error == ScanError(
        path="mod.py",
        line=5,
        message="syntax error: invalid syntax; "
        "2 import(s) recovered by the line-based fallback (approximate)",
        recovered=2,
    )
    assert error.to_json() == {
        "path": "mod.py",
        "line": 5,
        "message": error.message,
        "recovered_imports": 2,
    }
    assert "mod.py: imports read approximately" in caplog.text


def test_broken_file_without_imports_is_reported_as_before(tmp_path: Path) -> None:
    sites, errors = _scan(tmp_path, "x = 1\ndef broken(:\n")
    assert sites == []
    assert errors[0].message == "syntax error: invalid syntax"
    assert errors[0].to_json() == {"path": "mod.py", "line": 2, "message": errors[0].message}


@pytest.mark.parametrize(
    "data",
    [
        b"import requests\x00\ndef broken(:\n",  # NUL bytes
        b"import requests\nname = '\xff\xfe'\ndef broken(:\n",  # not UTF-8
        b"# -*- coding: no-such-codec -*-\nimport requests\n",  # unknown codec
    ],
)
def test_no_fallback_for_nul_bytes_or_undecodable_source(data: bytes) -> None:
    parsed = parse_python(data)
    assert parsed.imports == ()
    assert parsed.error is not None
    assert "recovered" not in parsed.error


def test_coding_cookie_is_honoured_by_the_fallback() -> None:
    parsed = parse_python(b"# -*- coding: latin-1 -*-\nimport caf\xe9\ndef broken(:\n")
    assert [r.module for r in parsed.imports] == ["caf\u00e9"]


def test_import_forms() -> None:
    text = (
        "import a.b as c, d\n"
        "import  e . f\n"
        "from x.y import (p,\n   q as qq,\n)\n"
        "from . import sibling\n"
        "from .import other\n"
        "from ..pkg.mod import thing\n"
        "from ... import far\n"
        "import g, \\\n    h\n"
        "from i import \\\n    j\n"
        "from k import *\n"
        "x = 1; import semi; from t import u\n"
        "import\n"  # incomplete: nothing
        "from nowhere\n"  # incomplete: nothing
    )
    got = [(r.module, r.line, _marks(r), list(r.symbols)) for r in recover_imports(text)]
    rel = {"relative"}
    assert got == [
        ("a.b", 1, set(), []),
        ("d", 1, set(), []),
        ("e.f", 2, set(), []),
        ("x.y", 3, set(), ["x.y.p", "x.y.q"]),
        (".", 6, rel, [".sibling"]),
        (".", 7, rel, [".other"]),
        ("..pkg.mod", 8, rel, ["..pkg.mod.thing"]),
        ("...", 9, rel, ["...far"]),
        ("g", 10, set(), []),
        ("h", 10, set(), []),
        ("i", 12, set(), ["i.j"]),
        ("k", 14, {"star"}, []),
        ("semi", 15, set(), []),
        ("t", 15, set(), ["t.u"]),
    ]


def _marks(record: ImportRecord) -> set[str]:
    """The flags set on a record, approximate left out."""
    names = ("type_only", "optional", "dynamic", "relative", "star")
    return {name for name in names if getattr(record, name)}


def test_strings_of_every_kind_hide_their_text() -> None:
    text = (
        "a = '''\nimport in_triple_single\n'''\n"
        'b = """\nimport in_triple_double\n"""\n'
        "c = r'\\\\' ; import after_raw_escape\n"
        "d = rb'''\nimport in_raw_bytes\n'''\n"
        'e = f"""{ {"k": 1}["k"] }\nimport in_fstring\n"""\n'
        "f = t'{x}' \"import in_tstring\"\n"
        "g = f'{x:{w}.{p}}' '{' # import in_comment\n"
        "h = 'unterminated\n"
        "import after_unterminated\n"
        "i = '''never closed\nimport swallowed\n"
    )
    assert _modules(recover_imports(text)) == {"after_raw_escape", "after_unterminated"}


def test_logical_lines_join_brackets_and_continuations() -> None:
    text = "if (a and\n    b):\n    x = [1,\n  2]  # c\ny = 1 + \\\n  2\n\n"
    assert logical_lines(text) == [
        (1, 0, "if (a and b):"),
        (3, 4, "x = [1, 2]"),
        (5, 0, "y = 1 + 2"),
    ]


def _flags(text: str) -> dict[str, tuple[bool, bool]]:
    """Module -> (type_only, optional), read by the fallback."""
    return {
        node.names[0].name if isinstance(node, ast.Import) else str(node.module): (
            context.type_only,
            context.optional,
        )
        for node, context in fallback_statements(text)
    }


def test_type_checking_blocks_are_type_only() -> None:
    text = (
        "from typing import TYPE_CHECKING\n"
        "import typing\n"
        "if TYPE_CHECKING:\n"
        "    from stubs import S\n"
        "    if other:\n"
        "        import nested_stub\n"
        "else:\n"
        "    import runtime\n"
        "if typing.TYPE_CHECKING: import inline_stub\n"
        "import after\n"
    )
    assert _flags(text) == {
        "typing": (False, False),
        "stubs": (True, False),
        "nested_stub": (True, False),
        "runtime": (False, False),
        "inline_stub": (True, False),
        "after": (False, False),
    }


def test_try_except_import_error_is_optional() -> None:
    text = (
        "try:\n"
        "    import ujson as json\n"
        "except ImportError:\n"
        "    import json\n"
        "else:\n"
        "    import after_else\n"
        "try: import inline_try\n"
        "except (ValueError, ModuleNotFoundError) as exc: pass\n"
        "def f():\n"
        "    try:\n"
        "        import in_function\n"
        "    except:\n"
        "        pass\n"
        "try:\n"
        "    import not_optional\n"
        "except ValueError:\n"
        "    pass\n"
        "try:\n"
        "    import neither\n"
        "finally:\n"
        "    pass\n"
        "try:\n"
        "    import grouped\n"
        "except* ImportError:\n"
        "    pass\n"
    )
    assert _flags(text) == {
        "ujson": (False, True),
        "json": (False, True),
        "after_else": (False, False),
        "inline_try": (False, True),
        "in_function": (False, True),
        "not_optional": (False, False),
        "neither": (False, False),
        "grouped": (False, True),
    }


def test_python2_branches_are_skipped() -> None:
    text = (
        "import sys\n"
        "if sys.version_info[0] < 3:\n"
        "    import urllib2\n"
        "elif sys.version_info >= (3, 11):\n"
        "    import tomllib\n"
        "else:\n"
        "    import tomli\n"
        "if PY3: import py3_only\n"
        "else: import py2_only\n"
        "if sys.version_info >= (3,):\n"
        "    import modern\n"
        "else:\n"
        "    import StringIO\n"
    )
    assert set(_flags(text)) == {"sys", "tomllib", "tomli", "py3_only", "modern"}


def _ast_records(text: str) -> list[ImportRecord]:
    parsed = parse_python(text.encode("utf-8"))
    return sorted((r for r in parsed.imports if not r.dynamic), key=repr)


def _fallback_records(text: str) -> list[ImportRecord]:
    return sorted((r._replace(approximate=False) for r in recover_imports(text)), key=repr)


def test_fallback_agrees_with_the_ast_walk_on_this_repository() -> None:
    package = Path(scanner.__file__).resolve().parents[1]
    files = sorted(package.rglob("*.py"))
    assert len(files) > 20
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert _fallback_records(text) == _ast_records(text), path


def test_fallback_agrees_with_the_ast_walk_on_tricky_valid_code() -> None:
    text = (
        "import os\n"
        "x = {'a': 1}; import json\n"
        "if x: import inline_if\n"
        "while False: import inline_while\n"
        "class A:\n"
        "    import in_class\n"
        "    def m(self): import in_method\n"
        "with open('f') as fh:\n"
        "    import in_with\n"
        "match x:\n"
        "    case {'a': 1}:\n"
        "        import in_case\n"
        "lambda: 0\n"
        "if (n := 1):\n"
        "    import after_walrus\n"
        "\tpass\n" * 0 + "os.path.join('a')\n"
    )
    assert _fallback_records(text) == _ast_records(text)


def test_warm_rescan_keeps_approximate_sites(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text(BROKEN, encoding="utf-8")
    cache = Cache(tmp_path / "cache.sqlite")
    cold = scan_files(tmp_path, ["bad.py"], cache=cache, workers=1)
    warm = scan_files(tmp_path, ["bad.py"], cache=cache, workers=1)
    assert (cold.parsed, warm.cached) == (1, 1)
    assert warm.sites == cold.sites
    assert warm.errors == cold.errors
    assert all(s.approximate for s in warm.sites)


def test_notebook_cell_with_new_syntax_keeps_its_imports() -> None:
    cells = [
        {"cell_type": "code", "source": "import pandas as pd\n", "metadata": {}},
        {"cell_type": "code", "source": "import numpy as np\ndef broken(:\n", "metadata": {}},
    ]
    parsed = parse_notebook(json.dumps({"cells": cells}).encode())
    assert [(r.module, r.line, r.cell) for r in parsed.imports] == [
        ("pandas", 1, 0),
        ("numpy", 2, 1),
    ]
    assert parsed.imports[1].approximate
    assert list(parsed.cell_errors) == [
        "code cell 1: syntax error: invalid syntax; "
        "1 import(s) recovered by the line-based fallback (approximate)"
    ]
    assert list(parsed.cell_recovered) == [1]


def test_recovered_imports_feed_the_checks(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        "import requests\ntype Url = str\ndef broken(:\n", encoding="utf-8"
    )
    ctx = make_ctx(tmp_path, {})
    run = run_check(CHECK, ctx)
    assert {(f.rule_id, f.package) for f in run.findings} == {("AUD501", "requests")}
    assert run.facts.imports is not None
    (entry,) = [e.to_json() for e in run.facts.imports.errors]
    assert entry["recovered_imports"] == 1
    assert "recovered by the line-based fallback" in entry["message"]
