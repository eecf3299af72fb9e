"""AUD501-AUD504 with every mapping source: names that differ, wheel metadata, fix provenance."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from checkrun import enriched, run_check
from imports_support import make_ctx
from treekit import write_tree
from wheel_index import WheelIndex, make_wheel, serve_wheels

from auditor.checks.imports import CHECK
from auditor.imports.mapping import (
    KNOWING_SOURCES,
    ModuleMapping,
    environment_distributions,
    load_import_map,
)
from auditor.imports.usage import ImportUsage
from auditor.model import Finding, Incomplete, Severity
from auditor.reputation.targets import NameUse, imported_only

# (declared distribution, the module it is imported as): none of these may be missing, unused
# or judged as an imported-only name by AUD401.
DIFFERENT_NAMES = [
    ("python-dateutil", "dateutil"),
    ("django-environ", "environ"),
    ("argon2-cffi", "argon2"),
    ("django-cors-headers", "corsheaders"),
    ("gevent-websocket", "geventwebsocket"),
    ("psycopg2-binary", "psycopg2"),
    ("mysql-connector-python", "mysql.connector"),
    ("markdown-it-py", "markdown_it"),
    ("scikit-learn", "sklearn"),
    ("python-jose", "jose"),
    ("django-storages", "storages"),
    ("djangorestframework", "rest_framework"),
    ("beautifulsoup4", "bs4"),
    ("pydantic-core", "pydantic_core"),
    ("opencv-python-headless", "cv2"),
    ("google-cloud-storage", "google.cloud.storage"),
    ("ruamel.yaml", "ruamel.yaml"),
    ("PyJWT", "jwt"),
    ("websocket-client", "websocket"),
    ("django-filter", "django_filters"),
    ("hydra-core", "hydra"),
    ("pdfminer.six", "pdfminer"),
]


def test_declared_names_that_differ_from_the_import_are_never_missing_or_unused(
    tmp_path: Path,
) -> None:
    code = "".join(f"import {module}\n" for _dist, module in DIFFERENT_NAMES)
    write_tree(tmp_path, {"app.py": code})
    declared = {dist: "main" for dist, _module in DIFFERENT_NAMES}
    run = run_check(CHECK, make_ctx(tmp_path, declared))
    assert run.findings == []
    usage = run.facts.imports
    assert usage is not None
    # AUD401's imported-only path judges only heuristic guesses: none is left
    uses = [NameUse(name=d, display_name=d, locations=()) for d in declared]
    assert imported_only(uses, usage, dev_code=True) == {}
    assert {i.mapping.source for i in usage.resolved} <= {"environment", "import-map", "name-match"}


def test_dependency_only_loaded_by_settings_or_entry_points_is_used(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "proj/settings.py": 'INSTALLED_APPS = ["django.contrib.admin", "rest_framework",'
            ' "corsheaders"]\nSTORAGES = {"default": {"BACKEND": '
            '"storages.backends.s3boto3.S3Boto3Storage"}}\nALLOWED_HOSTS = ["example.com"]\n',
            "proj/urls.py": "from django.urls import path\n",
        },
    )
    declared = {"Django": "main", "djangorestframework": "main", "django-cors-headers": "main",
                "django-storages": "main", "django-unused-thing": "main"}  # fmt: skip
    findings = run_check(CHECK, make_ctx(tmp_path, declared)).findings
    # a string in settings is use, never a missing dependency ("example.com" is not a module)
    assert [(f.rule_id, f.package) for f in findings] == [("AUD502", "django-unused-thing")]


def test_setuptools_imported_by_setup_py_is_a_build_requirement(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "setup.py": "from setuptools import setup\nimport numpy\nsetup()\n",
            "pkg/__init__.py": "",
        },
    )
    findings = run_check(CHECK, make_ctx(tmp_path, {})).findings
    assert [(f.rule_id, f.evidence["module"], f.severity) for f in findings] == [
        ("AUD501", "numpy", Severity.LOW)
    ]
    (tmp_path / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=61", "numpy>=2"]\n'
    )
    assert run_check(CHECK, make_ctx(tmp_path, {})).findings == []


FIX_NAMES = re.compile(r"^declare (.+?) \(known to provide (.+?): ([a-z-]+)\)")


def _justified(dist: str, mapping: ModuleMapping, usage: ImportUsage) -> bool:
    """Whether `mapping`'s own source says `dist` provides the module it matched."""
    if dist not in mapping.distributions:
        return False
    if mapping.source == "import-map":
        return dist in load_import_map()[mapping.matched]
    if mapping.source == "environment":
        return dist in environment_distributions().get(mapping.matched, ())
    if mapping.source == "wheel-metadata":
        return mapping.matched in usage.known_modules[dist][0]
    return False


def _check_provenance(finding: Finding, usage: ImportUsage) -> None:
    """The distributions a fix names are those a knowing source says provide the module."""
    module = finding.evidence["module"]
    mappings = [i.mapping for i in usage.resolved if i.site.top == module]
    fix = finding.fix or ""
    match = FIX_NAMES.match(fix)
    if not any(m.source in KNOWING_SOURCES for m in mappings):
        assert match is None, fix
        assert finding.package is None
        assert f"no known distribution provides '{module}'" in fix
        assert "may be unrelated" in fix
        return
    assert match is not None, fix
    named = match.group(1).split(" or ")
    assert match.group(3) in KNOWING_SOURCES
    assert finding.package == named[0]
    for dist in named:
        assert any(_justified(dist, m, usage) for m in mappings), (dist, fix)


def test_every_missing_fix_names_only_a_distribution_known_to_provide_the_module(
    tmp_path: Path,
) -> None:
    curated = sorted({key.partition(".")[0] for key in load_import_map()})
    namespaces = ["google.protobuf", "google.cloud.storage", "google.cloud.nonexistent_thing"]
    unknown = ["argon2_fake_mod", "totally_unknown_pkg", "environ_like", "requests_fancy"]
    installed = ["yaml", "requests", "jinja2", "pytest"]
    modules = [*curated, *unknown, *installed]
    code = "".join(f"import {m}\n" for m in [*modules, *namespaces])
    write_tree(tmp_path, {"app.py": code})
    run = run_check(CHECK, make_ctx(tmp_path, {}))
    usage = run.facts.imports
    assert usage is not None
    missing = [f for f in run.findings if f.rule_id == "AUD501"]
    assert len(missing) == len(set(modules))
    for finding in missing:
        _check_provenance(finding, usage)
    by_module = {f.evidence["module"]: f for f in missing}
    assert by_module["totally_unknown_pkg"].package is None
    assert by_module["argon2"].package == "argon2-cffi"


# -- wheel metadata: the module list of a locked or declared distribution's wheel ---------------

WEIRD = {"foo_bar/__init__.py": "", "weird_dist-1.0.dist-info/RECORD": ""}


@pytest.fixture
def wheel_index(monkeypatch: pytest.MonkeyPatch) -> WheelIndex:
    index = WheelIndex()
    index.add("weird-dist", "weird_dist-1.0-py3-none-any.whl", make_wheel(WEIRD))
    return index


def test_wheel_metadata_explains_an_import_named_unlike_its_distribution(
    tmp_path: Path, wheel_index: WheelIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(tmp_path, {"app.py": "import foo_bar\n"})
    with serve_wheels(wheel_index) as url:
        monkeypatch.setenv("AUDITOR_INDEX_URL", url)
        run = run_check(CHECK, make_ctx(tmp_path, {"weird-dist": "main"}))
        assert run.findings == []
        usage = run.facts.imports
        assert usage is not None
        (item,) = usage.resolved
        assert (item.mapping.source, item.mapping.distributions) == (
            "wheel-metadata",
            ("weird-dist",),
        )
        # transitive: locked as another package's dependency
        ctx = make_ctx(
            tmp_path, {"requests": "main"}, locked={"requests": ["weird-dist"], "weird-dist": []}
        )
        transitive = [
            (f.rule_id, f.package, f.evidence["mapping_source"])
            for f in run_check(CHECK, ctx).findings
            if f.rule_id != "AUD502"
        ]
        assert transitive == [("AUD503", "weird-dist", "wheel-metadata")]


def test_unused_names_what_the_wheel_provides(
    tmp_path: Path, wheel_index: WheelIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(tmp_path, {"app.py": "import os\n"})
    with serve_wheels(wheel_index) as url:
        monkeypatch.setenv("AUDITOR_INDEX_URL", url)
        (finding,) = run_check(CHECK, make_ctx(tmp_path, {"weird-dist": "main"})).findings
    assert (finding.rule_id, finding.evidence["provides"]) == ("AUD502", ["foo_bar"])
    assert finding.evidence["provides_source"] == "wheel-metadata"


def test_unreadable_wheel_metadata_lowers_missing_and_says_what_was_not_checked(
    tmp_path: Path,
) -> None:
    write_tree(tmp_path, {"app.py": "import foo_bar\n"})
    run = run_check(CHECK, make_ctx(tmp_path, {"weird-dist": "main"}))  # the index is dead
    missing = [f for f in run.findings if f.rule_id == "AUD501"]
    assert [(f.evidence["module"], f.severity) for f in missing] == [("foo_bar", Severity.LOW)]
    assert missing[0].evidence["unmapped_distributions"] == ["weird-dist"]
    notes = [i for i in run.incomplete if i.source == "wheel-metadata"]
    assert notes
    assert isinstance(notes[0], Incomplete)
    assert "'foo_bar'" in notes[0].reason
    assert notes[0].packages == ("weird-dist",)


def test_deptry_settings_decide_runtime_and_dev_groups(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "pyproject.toml": '[tool.deptry]\nnon_dev_dependency_groups = ["bar"]\n'
            'optional_dependencies_dev_groups = ["plot"]\n'
            '[tool.deptry.package_module_name_map]\ncorp-internal-lib = "corplib"\n',
            "app.py": "import matplotlib\nimport corplib\n",
        },
    )
    declared = {"idna": "bar", "certifi": "foo", "matplotlib": "optional:plot",
                "orjson": "optional:speed", "corp-internal-lib": "main"}  # fmt: skip
    findings = {
        (f.rule_id, f.package) for f in run_check(CHECK, make_ctx(tmp_path, declared)).findings
    }
    # idna: a non-dev group, unused; orjson: a runtime extra, unused; matplotlib: a dev extra
    # imported by production code; certifi: a dev group, never unused
    assert findings == {("AUD502", "idna"), ("AUD502", "orjson"), ("AUD504", "matplotlib")}
    usage = enriched(make_ctx(tmp_path, declared)).facts.imports
    assert usage is not None
    assert {i.site.top: i.mapping.source for i in usage.resolved}["corplib"] == "import-map"
