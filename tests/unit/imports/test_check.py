"""AUD501-AUD504 on hand-made requirements (the manifest parsers are not involved)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from checkrun import findings_of, run_check
from imports_support import make_ctx
from treekit import write_tree

from auditor.checks.imports import CHECK
from auditor.model import Finding, Severity


def _run(
    root: Path, files: dict[str, str], declared: Mapping[str, str | list[str]], **kw: object
) -> list[Finding]:
    write_tree(root, files)
    ctx = make_ctx(root, declared, **kw)  # type: ignore[arg-type]  # make_ctx's keywords, as given
    return findings_of(CHECK, ctx)


def _pairs(findings: list[Finding]) -> set[tuple[str, str | None]]:
    return {(f.rule_id, f.package) for f in findings}


def test_missing_lists_every_site_and_names_candidates(tmp_path: Path) -> None:
    findings = _run(
        tmp_path,
        {
            "app/__init__.py": "import cv2\n",
            "app/video.py": "import os\n\nfrom cv2 import imread\n",
        },
        {},
    )
    (finding,) = findings
    assert finding.rule_id == "AUD501"
    assert finding.package == "opencv-python"
    assert [str(loc) for loc in finding.locations] == ["app/__init__.py:1", "app/video.py:3"]
    assert finding.evidence["candidates"][:2] == ["opencv-python", "opencv-python-headless"]
    assert finding.evidence["mapping_source"] == "import-map"
    assert finding.severity is Severity.MEDIUM


def test_any_variant_declared_satisfies(tmp_path: Path) -> None:
    files = {"app.py": "import cv2\nimport yaml\nfrom PIL import Image\n"}
    declared = {"opencv-contrib-python-headless": "main", "PyYAML": "main", "Pillow": "main"}
    assert _run(tmp_path, files, declared) == []


def test_declared_in_any_group_is_not_missing(tmp_path: Path) -> None:
    files = {"tests/test_a.py": "import pytest\nimport fastjsonschema\n"}
    declared = {"pytest": "dev", "fastjsonschema": "optional:speed"}
    assert _run(tmp_path, files, declared) == []


def test_stdlib_first_party_and_relative_are_never_missing(tmp_path: Path) -> None:
    files = {
        "mypkg/__init__.py": "from . import sub\nfrom .sub import x\nimport mypkg.sub\n",
        "mypkg/sub.py": "import json, os.path, __future__\nimport my_project\n",
        "scripts/run.py": "import helpers\n",
        "scripts/helpers.py": "",
    }
    assert _run(tmp_path, files, {}, project_name="my-project") == []


def test_optional_imports_skipped_and_dev_or_type_only_lowered(tmp_path: Path) -> None:
    files = {
        "app/__init__.py": (
            "from typing import TYPE_CHECKING\n"
            "try:\n    import ujson\nexcept ImportError:\n    ujson = None\n"
            "if TYPE_CHECKING:\n    import boto3_stubs_only\n"
        ),
        "tests/test_app.py": "import hypothesis\n",
    }
    findings = {f.evidence["module"]: f for f in _run(tmp_path, files, {})}
    assert set(findings) == {"boto3_stubs_only", "hypothesis"}
    assert all(f.severity is Severity.LOW for f in findings.values())
    assert all(f.evidence["dev_only"] for f in findings.values())


def test_optional_imports_reported_at_info_when_policy_says_so(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.auditor.policy.imports]\noptional_imports = "info"\n'
    )
    files = {"app.py": "try:\n    import ujson\nexcept ImportError:\n    pass\n"}
    (finding,) = _run(tmp_path, files, {})
    assert (finding.rule_id, finding.severity) == ("AUD501", Severity.INFO)


def test_unused_main_dependency_points_at_the_requirement(tmp_path: Path) -> None:
    files = {"app.py": "import requests\n"}
    declared = {"requests": "main", "rich": "main", "pytest": "dev", "orjson": "optional:fast",
                "sphinx": "optional:docs"}  # fmt: skip
    extra, main = _run(tmp_path, files, declared)
    assert (main.rule_id, main.package) == ("AUD502", "rich")
    assert [str(loc) for loc in main.locations] == ["pyproject.toml:2"]
    # an unused runtime extra is reported too (as deptry does); a development extra is not
    assert (extra.rule_id, extra.package) == ("AUD502", "orjson")
    assert "extra 'fast'" in extra.message
    assert [str(loc) for loc in extra.locations] == ["pyproject.toml:4"]


def test_unused_respects_allow_list_self_and_stdlib_names(tmp_path: Path) -> None:
    files = {"app.py": "import requests\n"}
    declared: dict[str, str | list[str]] = {
        "requests": "main",
        "gunicorn": "main",
        "pytest-cov": "dev",
        "black": ["optional:lint", "dev"],
        "types-requests": "main",
        "pandas-stubs": "main",
        "my-app": "main",
        "dataclasses": "main",
    }
    assert _run(tmp_path, files, declared, project_name="my-app") == []


def test_used_only_by_tests_counts_as_used(tmp_path: Path) -> None:
    files = {"tests/test_a.py": "import responses\n"}
    assert _run(tmp_path, files, {"responses": "main"}) == []


def test_transitive_from_the_lockfile_with_path(tmp_path: Path) -> None:
    files = {"app.py": "import requests\nimport urllib3\n"}
    locked = {"requests": ["urllib3"], "urllib3": []}
    (finding,) = _run(tmp_path, files, {"requests": "main"}, locked=locked)
    assert (finding.rule_id, finding.package) == ("AUD503", "urllib3")
    assert finding.path_from_root == ("<root>", "requests", "urllib3")
    assert [str(loc) for loc in finding.locations] == ["app.py:2"]


def test_misplaced_dev_dependency_in_production_code(tmp_path: Path) -> None:
    files = {
        "app/__init__.py": "import pytest\nfrom typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    import mypy_extensions\n",
        "tests/test_a.py": "import pytest\nimport mypy_extensions\n",
    }
    declared = {"pytest": "dev", "mypy-extensions": "lint"}
    (finding,) = _run(tmp_path, files, declared)
    assert (finding.rule_id, finding.package) == ("AUD504", "pytest")
    assert [str(loc) for loc in finding.locations] == ["app/__init__.py:1"]
    assert finding.evidence["groups"] == ["dev"]


def test_dev_and_main_declared_is_not_misplaced(tmp_path: Path) -> None:
    files = {"app.py": "import click\n"}
    assert _run(tmp_path, files, {"click": ["main", "dev"]}) == []


def test_disabled_rules_do_nothing(tmp_path: Path) -> None:
    files = {"app.py": "import nope\n"}
    assert _run(tmp_path, files, {}, enabled=("AUD201",)) == []
    only_unused = _run(tmp_path, files, {"rich": "main"}, enabled=("AUD502",))
    assert _pairs(only_unused) == {("AUD502", "rich")}


def test_unparseable_files_go_to_extras(tmp_path: Path) -> None:
    write_tree(tmp_path, {"good.py": "import requests\n", "bad.py": "def (:\n"})
    ctx = make_ctx(tmp_path, {"requests": "main"})
    run = run_check(CHECK, ctx)
    assert run.findings == []
    assert run.facts.imports is not None
    assert [e.to_json() for e in run.facts.imports.errors] == [
        {"path": "bad.py", "line": 1, "message": "syntax error: invalid syntax"}
    ]


def test_compiled_requirements_transitive_pins_are_not_unused(tmp_path: Path) -> None:
    from conftest import run_cli

    (tmp_path / "requirements.in").write_text("celery\n")
    (tmp_path / "requirements.txt").write_text(
        "# This file is autogenerated by pip-compile\n"
        "celery==5.3.4\n    # via -r requirements.in\n"
        "kombu==5.3.2\n    # via\n    #   celery\n"
        "vine==5.1.0\n    # via kombu\n"
    )
    (tmp_path / "app.py").write_text("import celery\n")
    result = run_cli("scan", str(tmp_path), "--format", "json", "--offline", "--enable", "AUD502")
    assert json.loads(result.out)["findings"] == []
    (tmp_path / "app.py").write_text("import os\n")
    result = run_cli("scan", str(tmp_path), "--format", "json", "--offline", "--enable", "AUD502")
    assert {f["package"] for f in json.loads(result.out)["findings"]} == {"celery"}


def test_missing_is_hedged_when_declarations_are_dynamic(tmp_path: Path) -> None:
    from conftest import run_cli

    (tmp_path / "setup.py").write_text(
        "from setuptools import setup\nsetup(install_requires=read_reqs())\n"
    )
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("import flask\n")
    result = run_cli("scan", str(tmp_path), "--format", "json", "--offline", "--enable", "AUD501")
    data = json.loads(result.out)
    # By module: whether a distribution is named depends on flask being installed here.
    (finding,) = [f for f in data["findings"] if f["evidence"]["module"] == "flask"]
    assert finding["severity"] == "low"
    assert "could not be read statically" in finding["message"]
    assert finding["evidence"]["unreadable_declarations"] == ["setup.py:2"]
    # What the import analysis could not prove is a note, not an incomplete audit.
    assert data["incomplete"] == []
    assert any(
        n.startswith("imports: declared dependencies could not be read") for n in data["notes"]
    )
    assert result.code == 0


def test_other_python_versions_standard_library_is_never_missing(tmp_path: Path) -> None:
    # annotationlib and compression are 3.14's; StringIO and urllib2 Python 2's.
    files = {
        "app.py": "import annotationlib\nfrom compression import zstd\n"
        "try:\n    import StringIO\nexcept NameError:\n    pass\nimport urllib2\n"
    }
    assert _run(tmp_path, files, {}) == []


def test_folders_with_a_conftest_are_test_code(tmp_path: Path) -> None:
    files = {
        "t/conftest.py": "",
        "t/unit/proj/foo.py": "import xyzzy\n",
        "conftest.py": "",
        "app.py": "import thing_nobody_declared\n",
    }
    findings = {f.evidence["module"]: f.severity for f in _run(tmp_path, files, {})}
    assert findings == {"xyzzy": Severity.LOW, "thing_nobody_declared": Severity.MEDIUM}


def test_a_conftest_inside_the_projects_package_marks_only_its_helpers(tmp_path: Path) -> None:
    files = {
        "src/mylib/__init__.py": "import production_only_dep\n",
        "src/mylib/conftest.py": "import fixture_dep\n",
    }
    found = _run(tmp_path, files, {}, project_name="mylib")
    findings = {f.evidence["module"]: f.severity for f in found}
    assert findings == {"production_only_dep": Severity.MEDIUM, "fixture_dep": Severity.LOW}


def test_version_module_written_by_the_build_backend_is_first_party(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": '[tool.hatch.build.hooks.vcs]\nversion-file = "src/_mypkg_version.py"\n'
        '[tool.setuptools_scm]\nwrite_to = "_scm_version.py"\n',
        "src/mypkg/__init__.py": "from _mypkg_version import version\nimport _scm_version\n",
    }
    assert _run(tmp_path, files, {}) == []


def test_unused_skips_declarations_of_manifests_inside_tests_and_docs(tmp_path: Path) -> None:
    import dataclasses

    from imports_support import requirement

    from auditor.graph.build import build_graph
    from auditor.model import InputKind, Location, ParsedInput

    write_tree(tmp_path, {"app.py": "import requests\n"})
    ctx = make_ctx(tmp_path, {"requests": "main", "rich": "main"})
    extra = []
    for path, name in [
        ("tests/fixtures/demo/pyproject.toml", "cachy"),
        ("docs/requirements.txt", "furo-like-theme"),
    ]:
        req = dataclasses.replace(
            requirement(name), location=Location(path=path, line=1), kind=InputKind.REQUIREMENTS
        )
        extra.append(ParsedInput(path=path, kind=InputKind.REQUIREMENTS, requirements=(req,)))
    inputs = (*ctx.inputs, *extra)
    ctx = dataclasses.replace(ctx, inputs=inputs, graph=build_graph(list(inputs)))
    assert _pairs(findings_of(CHECK, ctx)) == {("AUD502", "rich")}


def test_vendored_code_imports_are_the_vendored_projects_own(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "import requests\n",
        "pkg/_vendor/platformdirs/android.py": "from jnius import autoclass\n",
        "pkg/_vendor/vendor.txt": "",
    }
    findings = [(f.rule_id, f.evidence["module"], f.severity) for f in _run(tmp_path, files, {})]
    assert sorted(findings) == [
        ("AUD501", "jnius", Severity.LOW),
        ("AUD501", "requests", Severity.MEDIUM),
    ]


def test_dev_tools_in_runtime_dependencies_are_unused_with_advice_to_move_them(
    tmp_path: Path,
) -> None:
    files = {"app.py": "import requests\n"}
    declared = {"requests": "main", "black": "main", "pytest-cov": "optional:extras"}
    findings = {f.package: f for f in _run(tmp_path, files, declared)}
    assert set(findings) == {"black", "pytest-cov"}
    assert all(f.evidence["dev_tool"] for f in findings.values())
    assert "development dependency group" in (findings["black"].fix or "")
