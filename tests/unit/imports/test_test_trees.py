"""Test trees whatever their names: pytest's testpaths, conftest.py folders, their helpers."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from checkrun import findings_of
from imports_support import make_ctx
from treekit import write_tree

from auditor.checks.imports import CHECK
from auditor.imports.test_trees import (
    PytestConfig,
    find_test_trees,
    pytest_configs,
    read_pytest_config,
    shipped_packages,
)

if TYPE_CHECKING:
    from auditor.imports.test_trees import TestTrees
from auditor.imports.usage import dev_path_matcher
from auditor.model import Finding, Severity

DEV_GLOBS = ("tests/*", "*/tests/*", "test_*.py", "*/test_*.py", "*_test.py", "*/conftest.py")
IS_DEV = dev_path_matcher(DEV_GLOBS)


def _run(
    root: Path, files: dict[str, str], declared: Mapping[str, str], **kw: object
) -> list[Finding]:
    write_tree(root, files)
    ctx = make_ctx(root, declared, **kw)  # type: ignore[arg-type]  # make_ctx's keywords, as given
    return findings_of(CHECK, ctx)


def _by_module(findings: list[Finding]) -> dict[tuple[str, str], Severity]:
    return {(f.rule_id, f.evidence["module"]): f.severity for f in findings}


# celery's shape: the suite lives in t/ (a regular package), pytest runs t/unit, and t/skip.py
# beside the test trees is a helper the tests share; celery/contrib/pytest.py is the pytest
# plugin celery ships, production code.
CELERY_LIKE = {
    "pyproject.toml": '[tool.pytest.ini_options]\ntestpaths = "t/unit/"\n',
    "mylib/__init__.py": "",
    "mylib/app.py": "import kombu_like\n",
    "mylib/contrib/__init__.py": "",
    "mylib/contrib/pytest.py": "import pytest\n",
    "t/__init__.py": "",
    "t/skip.py": "import pytest\nimport sphinx_testing\n",
    "t/canvas_helpers.py": "import hypothesis\n",
    "t/unit/__init__.py": "",
    "t/unit/conftest.py": "import pytest\n",
    "t/unit/test_app.py": "import pytest\nimport t.skip\n",
    "t/unit/test_beat.py": "import pytest\n",
    "t/integration/__init__.py": "",
    "t/integration/conftest.py": "import pytest\n",
    "t/integration/test_canvas.py": "from t.canvas_helpers import x\n",
    "t/integration/tasks.py": "import mylib\n",
    "t/benchmarks/bench_worker.py": "import mylib\n",
    **{f"t/unit/test_more_{n}.py": "import pytest\n" for n in range(8)},
}


def test_celery_like_suite_in_t_is_test_code(tmp_path: Path) -> None:
    found = _run(
        tmp_path,
        CELERY_LIKE,
        {"pytest": "dev", "sphinx-testing": "dev", "hypothesis": "dev", "kombu-like": "main"},
        project_name="mylib",
    )
    (misplaced,) = [f for f in found if f.rule_id == "AUD504"]
    # only the shipped plugin imports pytest outside the tests: an optional integration
    assert [loc.path for loc in misplaced.locations] == ["mylib/contrib/pytest.py"]
    assert misplaced.severity is Severity.LOW
    assert misplaced.evidence["integration_only"] is True
    assert not [f for f in found if f.severity is not Severity.LOW]


def _celery_like_trees(tmp_path: Path, manifests: list[str], *, conftest: bool = True) -> TestTrees:
    """The test trees of the celery-like suite, with the pytest configs of `manifests`."""
    write_tree(tmp_path, CELERY_LIKE)
    return find_test_trees(
        [p for p in CELERY_LIKE if p.endswith(".py")],
        is_dev=IS_DEV,
        shipped=frozenset({"mylib"}),
        configs=pytest_configs(tmp_path, manifests),
        conftest=conftest,
    )


def test_the_trees_found_in_the_celery_like_suite(tmp_path: Path) -> None:
    trees = _celery_like_trees(tmp_path, ["pyproject.toml"])
    assert trees.roots == {"t": "test helpers around t/integration, t/unit"}
    is_test = trees.matcher(IS_DEV)
    assert is_test("t/skip.py")
    assert is_test("t/benchmarks/bench_worker.py")
    assert not is_test("mylib/contrib/pytest.py")


def test_without_the_conftest_signal_testpaths_alone_marks_its_folder(tmp_path: Path) -> None:
    trees = _celery_like_trees(tmp_path, [], conftest=False)
    # t/unit is mostly test modules, and so is t around it
    assert set(trees.roots) == {"t"}


def test_a_testpaths_folder_with_other_names_is_test_code(tmp_path: Path) -> None:
    files = {
        "pytest.ini": "[pytest]\ntestpaths = qa\npython_files = check_*.py\n",
        "app.py": "import requests\n",
        "qa/check_api.py": "import responses_like\n",
        "qa/fixtures.py": "import factory_like\n",
    }
    found = _run(tmp_path, files, {"requests": "main"})
    assert _by_module(found) == {
        ("AUD501", "responses_like"): Severity.LOW,
        ("AUD501", "factory_like"): Severity.LOW,
    }


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("pytest.ini", "[pytest]\ntestpaths = t/unit t/integration\n"),
        (".pytest.ini", "[pytest]\ntestpaths =\n    t/unit\n    t/integration\n"),
        ("pyproject.toml", '[tool.pytest.ini_options]\ntestpaths = ["t/unit", "t/integration"]\n'),
        ("pyproject.toml", '[tool.pytest]\ntestpaths = ["t/unit", "./t/integration/"]\n'),
        ("tox.ini", "[tox]\nenvlist = py3\n[pytest]\ntestpaths = t/unit t/integration\n"),
        ("setup.cfg", "[metadata]\nname = x\n[tool:pytest]\ntestpaths = t/unit t/integration\n"),
    ],
)
def test_testpaths_from_every_configuration_file(tmp_path: Path, name: str, text: str) -> None:
    write_tree(tmp_path, {name: text})
    config = read_pytest_config(tmp_path, "")
    assert config == PytestConfig(path=name, testpaths=("t/unit", "t/integration"))


def test_pytests_order_first_file_with_a_section_wins(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "x"\n',  # no pytest section: passed over
            "tox.ini": "[pytest]\ntestpaths = from_tox\n",
            "setup.cfg": "[tool:pytest]\ntestpaths = from_setup_cfg\n",
            "sub/pytest.ini": "[pytest]\ntestpaths = checks ../outside ../../escapes\n",
        },
    )
    assert read_pytest_config(tmp_path, "") == PytestConfig(path="tox.ini", testpaths=("from_tox",))
    nested = read_pytest_config(tmp_path, "sub")
    assert nested is not None
    # relative to the configuration's folder; what leaves the repository is dropped
    assert nested.testpaths == ("sub/checks", "outside")


def test_malformed_configuration_files_are_passed_over(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "pytest.ini": "[pytest\ntestpaths = a\n",
            "pyproject.toml": "x = " + "[" * 100_000 + "]" * 100_000 + "\n",  # RecursionError
            "tox.ini": b"\xff\xfe[pytest]\n",  # not UTF-8
            "setup.cfg": "[tool:pytest]\ntestpaths = ok\n",
        },
    )
    assert read_pytest_config(tmp_path, "") == PytestConfig(path="setup.cfg", testpaths=("ok",))


def test_the_repository_root_as_testpaths_marks_nothing() -> None:
    files = ["app.py", "test_app.py", "lib/__init__.py", "lib/core.py"]
    config = PytestConfig(path="pytest.ini", testpaths=("",))
    assert find_test_trees(files, is_dev=IS_DEV, configs=[config]).roots == {}


def test_a_shipped_package_in_testpaths_stays_production_code() -> None:
    # doctests collected from the package (testpaths = tests mylib), or a pytest plugin package
    files = ["mylib/__init__.py", "mylib/plugin.py", "tests/test_a.py", "tests/conftest.py"]
    config = PytestConfig(path="pyproject.toml", testpaths=("tests", "mylib"))
    trees = find_test_trees(files, is_dev=IS_DEV, shipped=frozenset({"mylib"}), configs=[config])
    assert trees.roots == {"tests": "testpaths in pyproject.toml"}


def test_a_conftest_in_a_package_of_mostly_production_code_marks_nothing() -> None:
    # scikit-learn ships sklearn/conftest.py; its project name says nothing about "sklearn"
    files = [
        "sklearn/__init__.py",
        "sklearn/conftest.py",
        "sklearn/base.py",
        "sklearn/pipeline.py",
        "sklearn/utils/__init__.py",
        "sklearn/utils/validation.py",
        "sklearn/tests/__init__.py",
        "sklearn/tests/test_base.py",
    ]
    assert find_test_trees(files, is_dev=IS_DEV).roots == {}


def test_a_conftest_in_a_plain_folder_marks_it_whatever_its_share() -> None:
    files = ["e2e/conftest.py", "e2e/flows.py", "e2e/pages.py", "e2e/steps.py", "app/main.py"]
    assert find_test_trees(files, is_dev=IS_DEV).roots == {"e2e": "conftest.py"}


def test_a_plugin_package_beside_its_tests_stays_production_code() -> None:
    # a pytest plugin the project ships, with its own test tree: the tree is not "mostly" tests
    # around the plugin, and the plugin's name is the project's
    files = [
        "pytest_thing/__init__.py",
        "pytest_thing/plugin.py",
        "pytest_thing/fixtures.py",
        "pytest_thing/selftest/conftest.py",
        "pytest_thing/selftest/test_plugin.py",
    ]
    trees = find_test_trees(files, is_dev=IS_DEV)
    assert trees.roots == {"pytest_thing/selftest": "conftest.py"}
    assert not trees.matcher(IS_DEV)("pytest_thing/plugin.py")


def test_shipped_packages_read_the_egg_info_of_an_sdist(tmp_path: Path) -> None:
    write_tree(tmp_path, {"python_dateutil.egg-info/top_level.txt": "dateutil\n\n"})
    assert shipped_packages(tmp_path, ["python-dateutil"]) == {"python_dateutil", "dateutil"}


def test_switching_both_signals_off_keeps_the_globs_only(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": '[tool.pytest.ini_options]\ntestpaths = ["qa"]\n\n'
        "[tool.auditor.policy.imports]\npytest_testpaths_are_dev = false\n"
        "conftest_folders_are_dev = false\n",
        "qa/conftest.py": "",
        "qa/helpers.py": "import fixture_lib\n",
        "qa/check_x.py": "import other_lib\n",
    }
    found = _run(tmp_path, files, {})
    assert set(_by_module(found).values()) == {Severity.MEDIUM}
