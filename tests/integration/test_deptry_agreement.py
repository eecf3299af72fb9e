"""Auditor's AUD501-AUD504 agree with deptry's DEP001-DEP004 on small PEP 621 projects.

Each case builds a fixture project, runs ``deptry . --json-output`` in it (skipped when deptry
is not on PATH) and ``auditor scan``, and compares the (code, module or package) pairs: DEP001 ==
AUD501, DEP002 == AUD502, DEP003 == AUD503, DEP004 == AUD504. deptry names the imported module
for DEP001/DEP003/DEP004 and the distribution for DEP002; Auditor keeps the module in
``evidence.module``, so the pairs compare like with like.

Deliberate differences (not exercised as agreement):

* deptry's DEP005 (a standard-library module declared as a dependency) is Auditor's AUD409,
  owned by the reputation checks; AUD502 leaves such names alone so they are not reported twice.
* deptry aborts on a requirements file with an unparseable line (a traceback, no report);
  Auditor reports the line (AUD110) and checks imports against the requirements that did parse
  (``test_bad_requirements_line_aborts_deptry_not_auditor``).
* deptry's DEP003 means "installed in the running environment but not declared"; Auditor's
  AUD503 means "held by the project's lockfile (or, with --environment, the project's
  environment) as another package's dependency". Without a lockfile an undeclared import is
  AUD501 for Auditor even if the interpreter running the audit happens to have it installed.
  The cases below give the transitive package a uv.lock entry, so both tools agree.
* deptry maps module names to distributions only through installed metadata; Auditor also uses
  the curated rules/import-map.yaml, so ``import bs4`` with beautifulsoup4 declared but not
  installed is fine for Auditor and DEP001 + DEP002 for deptry. The cases use installed packages.
* deptry skips tests/ by default; Auditor scans tests (imports there count as dev usage: a
  package used only by tests is not unused, and a missing one is reported at low severity).
* Imports inside try/except ImportError are optional for Auditor (skipped by default policy);
  deptry reports them.
"""

from __future__ import annotations

import importlib.metadata
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli

from auditor.model import normalize_name

pytestmark = pytest.mark.skipif(shutil.which("deptry") is None, reason="deptry not installed")

DEP_TO_AUD = {"DEP001": "AUD501", "DEP002": "AUD502", "DEP003": "AUD503", "DEP004": "AUD504"}

UV_LOCK = """\
version = 1
requires-python = ">=3.11"

[[package]]
name = "demo"
version = "0.1.0"
source = { editable = "." }
dependencies = [{ name = "requests" }, { name = "rich" }]

[[package]]
name = "requests"
version = "2.32.3"
source = { registry = "https://index.example/simple" }
dependencies = [{ name = "urllib3" }]

[[package]]
name = "rich"
version = "13.9.4"
source = { registry = "https://index.example/simple" }

[[package]]
name = "urllib3"
version = "2.2.3"
source = { registry = "https://index.example/simple" }
"""

CASES: dict[str, dict[str, str]] = {
    "all-four-issues": {
        "pyproject.toml": '[project]\nname = "demo"\nversion = "0.1.0"\n'
        'dependencies = ["requests>=2", "rich"]\n\n[dependency-groups]\ndev = ["pytest"]\n',
        "uv.lock": UV_LOCK,
        "demo/__init__.py": "import os\n\nimport pytest\nimport requests\nimport urllib3\n"
        "import totally_missing_mod\n\nfrom demo import core\nfrom . import core as again\n",
        "demo/core.py": "import json\n",
    },
    "import-names-differ": {
        "pyproject.toml": '[project]\nname = "names"\nversion = "0.1.0"\ndependencies = [\n'
        '  "PyYAML", "packageurl-python", "attrs", "Jinja2", "MarkupSafe",\n'
        '  "charset-normalizer",\n]\n',
        "names/__init__.py": "import yaml\nimport attr\nimport jinja2\n"
        "from packageurl import PackageURL\nfrom charset_normalizer import from_bytes\n",
    },
    "requirements-files": {
        "requirements.txt": "requests>=2\nclick\n",
        "requirements-dev.txt": "pytest\n",
        "app/__init__.py": "import requests\nimport pytest\nimport missing_two\n",
    },
    "clean": {
        "pyproject.toml": '[project]\nname = "clean"\nversion = "0.1.0"\n'
        'dependencies = ["requests"]\n\n[dependency-groups]\ndev = ["pytest"]\n',
        "clean/__init__.py": "import sys\nimport requests\nfrom clean.sub import x\n",
        "clean/sub/__init__.py": "from .. import helpers\nx = 1\n",
        "clean/helpers.py": "",
    },
}

EXPECTED = {
    "all-four-issues": {
        ("AUD501", "totally_missing_mod"),
        ("AUD502", "rich"),
        ("AUD503", "urllib3"),
        ("AUD504", "pytest"),
    },
    "import-names-differ": {("AUD502", "markupsafe")},
    "requirements-files": {("AUD501", "missing_two"), ("AUD502", "click"), ("AUD504", "pytest")},
    "clean": set(),
}


def _build(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _deptry(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["deptry", ".", "--json-output", "deptry.json", "--no-ansi"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def _deptry_pairs(project: Path) -> set[tuple[str, str]]:
    done = _deptry(project)
    assert (project / "deptry.json").is_file(), done.stderr
    issues: list[dict[str, Any]] = json.loads((project / "deptry.json").read_text())
    (project / "deptry.json").unlink()
    return {
        (DEP_TO_AUD[i["error"]["code"]], normalize_name(i["module"]).replace("-", "_"))
        for i in issues
        if i["error"]["code"] in DEP_TO_AUD
    }


def _auditor_pairs(project: Path) -> set[tuple[str, str]]:
    result = run_cli("scan", str(project), "--format", "json", "--offline",
                     "--allow-incomplete", "--enable", "AUD5")  # fmt: skip
    assert result.code in (0, 1), result.err
    findings: list[dict[str, Any]] = json.loads(result.out)["findings"]
    pairs = set()
    for f in findings:
        name = f["package"] if f["rule_id"] == "AUD502" else f["evidence"]["module"]
        pairs.add((f["rule_id"], normalize_name(name).replace("-", "_")))
    return pairs


def _installed(distribution: str) -> bool:
    try:
        importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def _as_module_names(pairs: set[tuple[str, str]]) -> set[tuple[str, str]]:
    return {(rule, normalize_name(name).replace("-", "_")) for rule, name in pairs}


# deptry maps import names through the installed environment only, so the distributions these
# cases import must be installed; all of them come with Auditor's own dependencies.
NEEDS_INSTALLED = ("PyYAML", "packageurl-python", "attrs", "Jinja2", "MarkupSafe",
                   "charset-normalizer", "requests", "urllib3", "pytest")  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_auditor_agrees_with_deptry(case: str, tmp_path: Path) -> None:
    missing = [d for d in NEEDS_INSTALLED if not _installed(d)]
    if missing:
        pytest.skip(f"deptry needs these installed to map imports: {missing}")
    project = _build(tmp_path / case, CASES[case])
    ours = _auditor_pairs(project)
    theirs = _deptry_pairs(project)
    assert ours == theirs
    assert ours == _as_module_names(EXPECTED[case])


def test_bad_requirements_line_aborts_deptry_not_auditor(tmp_path: Path) -> None:
    project = _build(
        tmp_path / "bad-line",
        {
            "requirements.txt": "requests\nthis is not a requirement\nclick\n",
            "app/__init__.py": "import requests\nimport missing_three\n",
        },
    )
    done = _deptry(project)
    assert done.returncode != 0
    assert "InvalidRequirement" in done.stderr
    assert not (project / "deptry.json").exists()
    assert _auditor_pairs(project) == {("AUD501", "missing_three"), ("AUD502", "click")}
