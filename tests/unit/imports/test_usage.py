"""Classifying imports (stdlib, first-party, third-party), dev paths and the imports fact."""

from __future__ import annotations

from pathlib import Path

from auditor.imports.scanner import ImportSite
from auditor.imports.usage import (
    ModuleKind,
    classify_sites,
    first_party_names,
    is_dev_path,
    sibling_names,
)
from auditor.model import InputKind, ParsedInput

DEV_GLOBS = (
    "tests/*", "*/tests/*", "test_*.py", "*/test_*.py", "*_test.py", "conftest.py",
    "*/conftest.py", "docs/*", "examples/*", "scripts/*", "setup.py",
)  # fmt: skip


def _site(module: str, path: str = "pkg/mod.py", *, relative: bool = False) -> ImportSite:
    return ImportSite(
        module=module,
        top="" if relative else module.partition(".")[0],
        path=path,
        line=1,
        relative=relative,
    )


def test_first_party_covers_flat_src_namespace_and_project_names() -> None:
    files = [
        "flatpkg/__init__.py",
        "nspkg/sub/mod.py",  # namespace package: no __init__.py anywhere
        "toolmod.py",
        "src/srcpkg/__init__.py",
        "src/single.py",
        "tests/test_x.py",
    ]
    inputs = [ParsedInput(path="pyproject.toml", kind=InputKind.PYPROJECT, project_name="My-App")]
    names = first_party_names(files, inputs, ["extra_known"])
    assert {"flatpkg", "nspkg", "toolmod", "srcpkg", "single", "tests", "my_app",
            "extra_known"} <= names  # fmt: skip


def test_siblings_only_for_plain_folders() -> None:
    files = ["tests/test_a.py", "tests/helpers.py", "pkg/__init__.py", "pkg/requests.py"]
    siblings = sibling_names(files)
    assert "helpers" in siblings["tests"]
    assert "pkg" not in siblings  # inside a package an absolute import does not see siblings


def test_classify_sites() -> None:
    first_party = frozenset({"pkg"})
    siblings = sibling_names(["tests/test_a.py", "tests/helpers.py", "pkg/__init__.py"])
    modules = classify_sites(
        [
            _site("os.path"),
            _site("pkg.util"),
            _site(".models", relative=True),
            _site("helpers", path="tests/test_a.py"),
            _site("requests"),
            _site("json", path="tests/test_a.py"),
        ],
        first_party=first_party,
        siblings=siblings,
    )
    kinds = {name: usage.kind for name, usage in modules.items()}
    assert kinds == {
        "os": ModuleKind.STDLIB,
        "pkg": ModuleKind.FIRST_PARTY,
        ".": ModuleKind.FIRST_PARTY,
        "helpers": ModuleKind.FIRST_PARTY,
        "requests": ModuleKind.THIRD_PARTY,
        "json": ModuleKind.STDLIB,
    }


def test_dev_paths() -> None:
    for path in ("tests/unit/test_a.py", "pkg/tests/x.py", "test_top.py", "pkg/test_b.py",
                 "pkg/b_test.py", "conftest.py", "docs/conf.py", "examples/demo.py",
                 "scripts/release.py", "setup.py"):  # fmt: skip
        assert is_dev_path(path, DEV_GLOBS), path
    for path in ("pkg/mod.py", "app.py", "src/pkg/testing_utils.py", "latest.py"):
        assert not is_dev_path(path, DEV_GLOBS), path


def test_policy_dev_paths_match_the_documented_decision() -> None:
    from auditor.config import load_policy_defaults

    globs = load_policy_defaults()["imports"]["dev_paths"]
    assert is_dev_path("scripts/release.py", globs)
    assert is_dev_path("tests/unit/test_a.py", globs)
    assert not is_dev_path("src/app/main.py", globs)


def test_fact_symbols_for_distribution(tmp_path: Path) -> None:
    from imports_support import make_ctx

    (tmp_path / "app.py").write_text(
        "import yaml\nfrom google.cloud import storage\nyaml.safe_load('')\nstorage.Client()\n"
    )
    ctx = make_ctx(tmp_path, {"pyyaml": "main", "google-cloud-storage": "main"})
    from checkrun import enriched

    usage = enriched(ctx).facts.imports
    assert usage is not None
    assert usage.symbols_for_distribution("PyYAML") == ("yaml.safe_load",)
    assert usage.modules_for_distribution("google-cloud-storage") == ("google.cloud",)
    assert "google.cloud.storage.Client" in usage.symbols_for_distribution("google-cloud-storage")
    assert {"pyyaml", "google-cloud-storage"} <= usage.imported_distributions()
    assert [m.name for m in usage.third_party()] == ["google", "yaml"]
    data = usage.to_json()
    assert data["files"] == 1
    assert data["third_party"][1]["mappings"][0]["source"] == "import-map"


def test_test_code_sees_helper_apps_anywhere_in_the_tree_production_code_does_not() -> None:
    from auditor.imports.usage import repository_module_names

    files = ["src/pkg/__init__.py", "tests/test_apps/blueprintapp/__init__.py", "tests/t.py",
             "src/pkg/core.py", "tools/requests.py"]  # fmt: skip
    sites = [
        ImportSite(path="tests/t.py", line=1, module="blueprintapp", top="blueprintapp"),
        ImportSite(path="src/pkg/core.py", line=1, module="requests", top="requests"),
        ImportSite(path="src/pkg/core.py", line=2, module="blueprintapp", top="blueprintapp"),
    ]
    modules = classify_sites(
        sites,
        first_party=frozenset({"pkg"}),
        siblings={},
        dev_local=repository_module_names(files),
        is_dev=lambda path: path.startswith("tests/"),
    )
    assert modules["requests"].kind is ModuleKind.THIRD_PARTY
    # the production import of blueprintapp stays third-party; only the test one is local
    assert [s.path for s in modules["blueprintapp"].sites] == ["src/pkg/core.py"]
    assert modules["blueprintapp"].kind is ModuleKind.THIRD_PARTY
