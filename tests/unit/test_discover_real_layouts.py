"""Discovery on real layouts: folders named env/build/dist that hold code, venvs found by their
contents, .ignore files, encodings PowerShell writes, and size limits that cannot hide a lock."""

from __future__ import annotations

import codecs
from pathlib import Path

from treekit import write_tree

from auditor.config import load_config
from auditor.discover import discover
from auditor.model import InputStatus
from auditor.scanning import scan_inputs


def test_code_folders_named_like_tool_folders_are_scanned(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "pkg/env/__init__.py": "import yaml\n",
            "pkg/build/__init__.py": "from . import steps\n",
            "pkg/dist/core.py": "x = 1\n",
            "venv/pyvenv.cfg": "home = /usr/bin\n",
            "venv/lib/python3.12/site-packages/six.py": "",
            "oldenv/bin/activate": "",
            "oldenv/lib/python3.9/site-packages/a.py": "",
            "build/lib/pkg/__init__.py": "",
            "dist/pkg-1.0-py3-none-any.whl": "",
        },
    )
    found = discover(tmp_path)
    assert found.python_files == [
        "pkg/build/__init__.py",
        "pkg/dist/core.py",
        "pkg/env/__init__.py",
    ]
    assert sorted(found.skipped_dirs) == [
        ("build", "build output"),
        ("oldenv", "virtual environment"),
        ("venv", "virtual environment"),
    ]


def test_skipped_folders_with_code_are_noted(tmp_path: Path) -> None:
    write_tree(
        tmp_path, {".venv/pyvenv.cfg": "", ".venv/lib/x.py": "", "requirements.txt": "rich\n"}
    )
    scan = scan_inputs(load_config(tmp_path))
    assert any("skipped 1 folder(s) holding Python files: .venv/" in n for n in scan.notes)


def test_dot_ignore_is_honoured(tmp_path: Path) -> None:
    write_tree(tmp_path, {".ignore": "vendor_stuff/\n", "vendor_stuff/requirements.txt": "x\n",
                      "requirements.txt": "rich\n"})  # fmt: skip
    assert [rel for rel, _ in discover(tmp_path).inputs] == ["requirements.txt"]


def test_utf16_and_bom_requirements_are_read(tmp_path: Path) -> None:
    text = "requests==2.19.0\r\nrich==13.0.0\r\n"
    write_tree(
        tmp_path,
        {
            "a/requirements.txt": codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
            "b/requirements.txt": text.encode("utf-16-le"),
            "c/requirements.txt": codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
            "d/requirements.txt": codecs.BOM_UTF8 + text.encode("utf-8"),
        },
    )
    scan = scan_inputs(load_config(tmp_path))
    assert scan.incomplete == ()
    for item in scan.inputs:
        assert item.status is InputStatus.OK, item
        assert [(r.name, str(r.specifier)) for r in item.requirements] == [
            ("requests", "==2.19.0"),
            ("rich", "==13.0.0"),
        ], item.path


def test_a_padded_lockfile_is_still_read_and_a_huge_manifest_is_not_a_clean_pass(
    tmp_path: Path,
) -> None:
    lock = 'version = 1\n\n[[package]]\nname = "requests"\nversion = "2.19.0"\n'
    padding = "# " + "x" * 2000 + "\n"
    write_tree(
        tmp_path,
        {
            "uv.lock": lock + padding * 10,
            "big/requirements.txt": "requests==2.19.0\n" + padding * 10,
        },
    )
    config = load_config(tmp_path).with_overrides(max_file_bytes=5000)
    scan = scan_inputs(config)
    statuses = {item.path: item.status for item in scan.inputs}
    assert statuses == {"uv.lock": InputStatus.OK, "big/requirements.txt": InputStatus.SKIPPED}
    assert [i.source for i in scan.incomplete] == ["input:big/requirements.txt"]


def test_deeply_nested_toml_is_one_input_error(tmp_path: Path) -> None:
    deep = "x = " + "[" * 5000 + "]" * 5000 + "\n"
    write_tree(tmp_path, {"sub/pyproject.toml": deep, "requirements.txt": "rich==13.0.0\n"})
    scan = scan_inputs(load_config(tmp_path))
    by_path = {item.path: item for item in scan.inputs}
    assert by_path["requirements.txt"].status is InputStatus.OK
    assert by_path["sub/pyproject.toml"].status is InputStatus.ERROR
    assert "sub/pyproject.toml" in (by_path["sub/pyproject.toml"].error or "")


def test_a_pyproject_that_is_not_utf8_is_an_input_error_not_a_config_error(
    tmp_path: Path,
) -> None:
    write_tree(
        tmp_path,
        {
            "pyproject.toml": b'[project]\nname = "caf\xe9"\ndependencies = ["rich"]\n',
            "requirements.txt": "rich==13.0.0\n",
        },
    )
    scan = scan_inputs(load_config(tmp_path))
    assert {item.path for item in scan.inputs} == {"pyproject.toml", "requirements.txt"}
