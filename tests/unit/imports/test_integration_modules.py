"""AUD504 is low when the development-declared package is imported only by optional
integration modules (contrib/, a pytest plugin module, a Jinja2 adapter) (issue 9)."""

from __future__ import annotations

from pathlib import Path

import pytest
from checkrun import findings_of
from imports_support import make_ctx
from treekit import write_tree

from auditor.checks.imports import CHECK
from auditor.checks.integration_modules import integration_modules
from auditor.model import Finding, Severity


def _misplaced(root: Path, files: dict[str, str], declared: dict[str, str]) -> list[Finding]:
    write_tree(root, files)
    found = findings_of(CHECK, make_ctx(root, declared))
    return [f for f in found if f.rule_id == "AUD504"]


@pytest.mark.parametrize(
    "path",
    [
        "celery/contrib/docs.py",  # a contrib folder
        "sentry/integrations/sphinx/__init__.py",
        "tox/sphinx_ext.py",  # a module named after the package it imports
        "wagtail/sphinxtags.py",
    ],
)
def test_import_only_in_integration_modules_is_low(tmp_path: Path, path: str) -> None:
    files = {"pkg/__init__.py": "", path: "import sphinx\n"}
    (finding,) = _misplaced(tmp_path, files, {"sphinx": "docs"})
    assert finding.severity is Severity.LOW
    assert finding.evidence["integration_only"] is True
    assert "optional integration code" in finding.message
    assert finding.fix == "declare sphinx in an extra for that integration"


def test_a_plugin_module_covers_every_import_in_it(tmp_path: Path) -> None:
    # tox/pytest.py is a pytest plugin: devpi_process beside pytest belongs to it too.
    files = {"tox/pytest.py": "import pytest\nimport devpi_process\n"}
    found = _misplaced(tmp_path, files, {"pytest": "dev", "devpi-process": "dev"})
    # (``import pytest`` in a module named pytest.py reads as the module itself here.)
    assert [(f.package, f.severity) for f in found] == [("devpi-process", Severity.LOW)]


def test_one_import_in_core_code_keeps_the_rule_severity(tmp_path: Path) -> None:
    files = {"app/contrib/s3.py": "import boto3\n", "app/storage.py": "import boto3\n"}
    (finding,) = _misplaced(tmp_path, files, {"boto3": "dev"})
    assert finding.severity is Severity.MEDIUM
    assert finding.evidence["integration_only"] is False
    assert finding.fix == "move boto3 to the main dependencies"


def test_names_that_only_start_alike_are_not_integrations() -> None:
    modules = integration_modules(
        {"integration_dirs": ["contrib"]}, [("app/attributes.py", "attr")]
    )
    assert not modules.holds("app/attributes.py", "attr")
    assert modules.holds("app/attr_compat.py", "attr")
    assert modules.holds("app/Contrib/x.py", "attr")


@pytest.mark.parametrize(
    "path",
    [
        "wagtail/project_template/home/models.py",  # a project template
        "jupyterlab/scripts/install_extension.py",  # helper scripts below the root
        "pre_commit/resources/empty_template_setup.py",  # resources copied elsewhere
    ],
)
def test_templates_scripts_and_resources_are_not_production_code(tmp_path: Path, path: str) -> None:
    write_tree(tmp_path, {path: "import home_made_module\n"})
    found = [f for f in findings_of(CHECK, make_ctx(tmp_path, {})) if f.rule_id == "AUD501"]
    assert [(f.evidence["module"], f.severity) for f in found] == [
        ("home_made_module", Severity.LOW)
    ]


def test_a_missing_import_only_in_integration_modules_is_low(tmp_path: Path) -> None:
    files = {
        "app/__init__.py": "",
        "app/contrib/cloudfront.py": "import botocore\n",
        "app/core.py": "import requests\n",
    }
    write_tree(tmp_path, files)
    found = {
        f.evidence["module"]: f
        for f in findings_of(CHECK, make_ctx(tmp_path, {}))
        if f.rule_id == "AUD501"
    }
    assert found["botocore"].severity is Severity.LOW
    assert "app/contrib/cloudfront.py:1 (integration module)" in found["botocore"].message
    assert found["requests"].severity is Severity.MEDIUM


def test_imports_behind_a_guarded_flag_or_in_try_else_are_optional(tmp_path: Path) -> None:
    # requests: ``if has_simplejson: from simplejson import ...`` and pyopenssl's try/else.
    write_tree(
        tmp_path,
        {
            "app/compat.py": "try:\n    import simplejson as json\n    has = True\n"
            "except ImportError:\n    import json\n    has = False\n"
            "if has:\n    from simplejson import JSONDecodeError\n",
            "app/help.py": "try:\n    from urllib3.contrib import pyopenssl\n"
            "except ImportError:\n    pyopenssl = None\nelse:\n    import OpenSSL\n",
        },
    )
    found = [f for f in findings_of(CHECK, make_ctx(tmp_path, {})) if f.rule_id == "AUD501"]
    assert {f.evidence["module"] for f in found if f.severity is not Severity.INFO} == set()
