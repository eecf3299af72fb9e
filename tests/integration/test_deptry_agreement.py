"""Auditor's AUD501-AUD504 agree with deptry's DEP001-DEP004 on small PEP 621 projects.

Each case builds a fixture project, runs ``deptry . --json-output`` in it (skipped when deptry
is not on PATH) and ``auditor scan``, and compares the (code, module or package) pairs: DEP001 ==
AUD501, DEP002 == AUD502, DEP003 == AUD503, DEP004 == AUD504. deptry names the imported module
for DEP001/DEP003/DEP004 and the distribution for DEP002; Auditor keeps the module in
``evidence.module``, so the pairs compare like with like.

Deliberate differences (not exercised as agreement):

* Extras named like development extras (dev, test, lint, docs ...: the imports policy's
  optional_dependencies_dev_groups) are development extras for Auditor by default; deptry's
  default treats every extra as runtime. deptry's optional_dependencies_dev_groups and
  non_dev_dependency_groups in [tool.deptry] are read and honoured (not its ignores).
* Servers, drivers and plugins that work without an import (never_unused: uvicorn, gunicorn,
  psycopg2 ...) are not unused for Auditor; modules loaded by name (Django INSTALLED_APPS,
  MIDDLEWARE and backend strings, Sphinx extensions, entry points) count as used.
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
  deptry reports them. They still count as use: an extra imported that way is not unused.

The second half runs Auditor on deptry's own fixture projects (tests/fixtures/deptry) and
compares with the results deptry's functional tests publish for them; every difference is
listed in DIFFERENCES with the reason Auditor's answer stands.
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

NO_DEPTRY = pytest.mark.skipif(shutil.which("deptry") is None, reason="deptry not installed")

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
    "unused-extra": {
        "pyproject.toml": '[project]\nname = "extras"\nversion = "0.1.0"\n'
        'dependencies = ["requests"]\n\n[project.optional-dependencies]\n'
        'speed = ["rich"]\nyaml = ["PyYAML"]\n',
        "extras/__init__.py": "import requests\n\ntry:\n    import yaml\nexcept ImportError:\n"
        "    yaml = None\n",
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
    "unused-extra": {("AUD502", "rich")},
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


@NO_DEPTRY
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


@NO_DEPTRY
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


# -- deptry's own fixture projects ------------------------------------------------------------
#
# tests/fixtures/deptry/ holds deptry's functional-test fixture projects (MIT, see its README).
# PUBLISHED is what deptry's functional tests (tests/functional/cli/test_cli_<project>.py)
# assert for each, in a virtual environment with the project installed; the invocation is
# noted where it is not ``deptry .``. DEP005 (a standard-library name declared) is AUD409's,
# outside this comparison. DIFFERENCES lists every remaining difference: "+" is a finding only
# Auditor makes, "-" one only deptry makes, each with the reason Auditor's answer stands.

DEPTRY_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "deptry"

PUBLISHED: dict[str, set[tuple[str, str]]] = {
    "pep_621": {("DEP002", "isort"), ("DEP002", "requests"), ("DEP002", "pytest"),
                ("DEP002", "matplotlib"), ("DEP004", "black"), ("DEP004", "certifi"),
                ("DEP004", "packaging"), ("DEP001", "white")},
    "poetry": {("DEP002", "isort"), ("DEP002", "requests"), ("DEP004", "black"),
               ("DEP004", "mypy"), ("DEP004", "pytest"), ("DEP004", "pytest_cov"),
               ("DEP001", "white")},
    "pdm": {("DEP002", "isort"), ("DEP004", "black"), ("DEP004", "certifi"), ("DEP004", "mypy"),
            ("DEP004", "packaging"), ("DEP004", "pytest"), ("DEP004", "pytest_cov"),
            ("DEP001", "white")},
    "uv": {("DEP002", "isort"), ("DEP004", "black"), ("DEP004", "certifi"), ("DEP004", "mypy"),
           ("DEP004", "packaging"), ("DEP004", "pytest"), ("DEP004", "pytest_cov"),
           ("DEP001", "white")},
    # deptry . --requirements-files requirements.txt,requirements-2.txt
    #        --requirements-files-dev requirements-dev.txt
    "requirements_txt": {("DEP002", "isort"), ("DEP002", "requests"), ("DEP004", "black"),
                         ("DEP001", "white")},
    "requirements_in": {("DEP002", "isort"), ("DEP002", "uvicorn"), ("DEP004", "black"),
                        ("DEP003", "h11"), ("DEP003", "bs4"), ("DEP001", "white"),
                        ("DEP001", "arrow")},
    "setuptools_dynamic_dependencies": {("DEP002", "packaging"), ("DEP002", "pkginfo"),
                                        ("DEP002", "requests"), ("DEP004", "isort"),
                                        ("DEP001", "white"), ("DEP003", "urllib3")},
    # deptry src
    "src_directory": {("DEP002", "isort"), ("DEP002", "requests"), ("DEP002", "mypy"),
                      ("DEP002", "pytest"), ("DEP001", "httpx"), ("DEP001", "white")},
    # deptry . --experimental-namespace-package (foo/ is the project's own namespace package;
    # the plain run's DEP003 'foo' mistakes it for an installed one)
    "namespace": {("DEP004", "flake8"), ("DEP001", "white"), ("DEP002", "arrow")},
    # deptry src worker
    "multiple_source_directories": {("DEP002", "arrow"), ("DEP001", "httpx"),
                                    ("DEP001", "celery")},
    "gitignore": {("DEP002", "requests"), ("DEP002", "mypy"), ("DEP002", "pytest")},
    "example": {("DEP002", "isort"), ("DEP002", "requests"), ("DEP004", "black"),
                ("DEP001", "white")},
}  # fmt: skip

PKGINFO = (
    "pkginfo is declared and never imported; deptry's fixture hides it with "
    "[tool.deptry.per_rule_ignores] DEP002. Auditor reads deptry's group settings but not its "
    "ignores: a suppression belongs in [[tool.auditor.ignore]] or an inline comment, which the "
    "report lists as suppressed instead of dropping silently"
)
DEV_EXTRA = (
    "declared only in an extra named dev/test, a development extra by Auditor's default "
    "optional_dependencies_dev_groups (deptry's default is none): test runners and type "
    "checkers there run as commands, so they are not unused"
)
DEV_EXTRA_IMPORTED = (
    "black is declared only in the 'dev' extra, which Auditor treats as a development extra, "
    "and production code imports it: installing the package without [dev] breaks that import "
    "(deptry's pep_621 fixture, configured with optional_dependencies_dev_groups = ['dev'], "
    "reports the same DEP004)"
)
SERVER = (
    "uvicorn is a server started from the command line (`uvicorn app:app`), allow-listed in "
    "never_unused: removing it breaks the deployment"
)
SCOPE = (
    "deptry was run on `src worker` only; another_directory/ is a package of the same "
    "repository (it has __init__.py) and its imports are not declared"
)
BESIDE = (
    "worker/ is a package: `from foobaz import ...` inside it finds worker/foobaz.py only when "
    "worker/ itself is on sys.path, which deptry was told (`deptry src worker`); Auditor "
    "reports it at low severity, saying a module of that name sits beside the importing file"
)
NOT_LOCKED = (
    "deptry's DEP003 comes from the virtual environment its test installed (urllib3 came with "
    "requests); no lockfile in the project records that, and the interpreter running Auditor "
    "is not the project's environment, so Auditor reports what the manifests say: urllib3 is "
    "imported and not declared. The fix is the same (declare urllib3); with a lockfile or "
    "--environment it is AUD503"
)

DIFFERENCES: dict[str, dict[tuple[str, str, str], str]] = {
    "pep_621": {("+", "AUD502", "pkginfo"): PKGINFO, ("-", "AUD502", "pytest"): DEV_EXTRA},
    "poetry": {("+", "AUD502", "pkginfo"): PKGINFO},
    "pdm": {("+", "AUD502", "pkginfo"): PKGINFO},
    "uv": {("+", "AUD502", "pkginfo"): PKGINFO},
    "requirements_txt": {("+", "AUD502", "pkginfo"): PKGINFO},
    "requirements_in": {("-", "AUD502", "uvicorn"): SERVER},
    "setuptools_dynamic_dependencies": {
        ("-", "AUD503", "urllib3"): NOT_LOCKED,
        ("+", "AUD501", "urllib3"): NOT_LOCKED,
    },
    "src_directory": {
        ("+", "AUD502", "pkginfo"): PKGINFO,
        ("-", "AUD502", "mypy"): DEV_EXTRA,
        ("-", "AUD502", "pytest"): DEV_EXTRA,
        ("+", "AUD504", "black"): DEV_EXTRA_IMPORTED,
    },
    "namespace": {},
    "multiple_source_directories": {
        ("+", "AUD501", "a_non_existing_dependency"): SCOPE,
        ("+", "AUD501", "toml"): SCOPE,
        ("+", "AUD501", "foobaz"): BESIDE,
    },
    "gitignore": {
        ("+", "AUD502", "pkginfo"): PKGINFO,
        ("-", "AUD502", "mypy"): DEV_EXTRA,
        ("-", "AUD502", "pytest"): DEV_EXTRA,
        ("+", "AUD504", "black"): DEV_EXTRA_IMPORTED,
    },
    "example": {("+", "AUD502", "pkginfo"): PKGINFO},
}


def _deptry_fixture_pairs(project: Path) -> set[tuple[str, str]]:
    """Auditor's pairs for a fixture project; runs without deptry installed."""
    result = run_cli("scan", str(project), "--format", "json", "--offline",
                     "--allow-incomplete", "--enable", "AUD5")  # fmt: skip
    assert result.code in (0, 1), result.err
    pairs = set()
    for f in json.loads(result.out)["findings"]:
        name = f["package"] if f["rule_id"] == "AUD502" else f["evidence"]["module"]
        pairs.add((f["rule_id"], normalize_name(name).replace("-", "_")))
    return pairs


@pytest.mark.parametrize("fixture", sorted(PUBLISHED))
def test_deptry_fixture_projects(fixture: str, tmp_path: Path) -> None:
    if not (DEPTRY_FIXTURES / fixture).is_dir():
        pytest.skip(f"fixture not present: {fixture}")
    project = tmp_path / fixture
    shutil.copytree(DEPTRY_FIXTURES / fixture, project)
    published = _as_module_names({(DEP_TO_AUD[c], n) for c, n in PUBLISHED[fixture]})
    differences = DIFFERENCES[fixture]
    only_deptry = {(rule, name) for sign, rule, name in differences if sign == "-"}
    only_auditor = {(rule, name) for sign, rule, name in differences if sign == "+"}
    assert only_deptry <= published
    assert _deptry_fixture_pairs(project) == (published - only_deptry) | only_auditor
