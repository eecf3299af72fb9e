"""Manifests in test-fixture and template folders are not the repository's dependencies."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

from conftest import run_cli
from hypothesis import given
from hypothesis import strategies as st

from auditor.config import load_policy_defaults
from auditor.discover import discover, in_fixture_dir

DEFAULTS = tuple(load_policy_defaults()["discovery"]["fixture_dirs"])
PROJECT = (
    '[build-system]\nrequires = ["hatchling"]\n\n'
    '[project]\nname = "tool"\ndependencies = ["click==8.1.7"]\n'
)


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _repo(root: Path) -> None:
    _write(root, "pyproject.toml", PROJECT)
    # poetry/pdm keep deliberately broken projects under tests/fixtures.
    _write(root, "tests/fixtures/invalid_lock/poetry.lock", "this is [not toml\n")
    _write(
        root,
        "tests/fixtures/outdated/pyproject.toml",
        '[project]\nname="x"\ndependencies=["docker>=4.3.1"]\n',
    )
    _write(root, "tests/fixtures/outdated/helper.py", "import docker\n")
    # cookiecutter / copier templates and Django's project_template.
    _write(
        root,
        "tool/templates/project/{{ cookiecutter.repo_name }}/requirements.txt",
        "kedro{{ v }}\n",
    )
    _write(root, "tests/admin/custom_templates/project_template/requirements.in", "environs\n")
    _write(root, "testdata/requirements.txt", "six\n")


def test_default_patterns_match_fixture_and_template_folders() -> None:
    for folder in (
        "tests/fixtures/invalid_lock",
        "tests/utils/Fixtures",
        "pkg/testdata/x",
        "tests/data/packages",
        "kedro/templates/project/{{ cookiecutter.repo_name }}",
        "tests/admin_scripts/custom_templates/project_template",
    ):
        assert in_fixture_dir(folder, DEFAULTS), folder
    for folder in ("", "requirements", "docs", "examples/tutorial", "src/data", "tests"):
        assert not in_fixture_dir(folder, DEFAULTS), folder


def test_discovery_leaves_fixture_manifests_out_but_keeps_python_files(tmp_path: Path) -> None:
    _repo(tmp_path)
    found = discover(tmp_path, fixture_dirs=DEFAULTS)
    assert found.inputs == [("pyproject.toml", found.inputs[0][1])]
    assert "tests/fixtures/outdated/helper.py" in found.python_files
    assert "tests/fixtures/invalid_lock/poetry.lock" in found.fixture_inputs
    assert len(found.fixture_inputs) == 5


def test_scan_notes_skipped_fixtures_and_reports_no_error(tmp_path: Path) -> None:
    _repo(tmp_path)
    result = run_cli("scan", str(tmp_path), "--offline", "--format", "json", "--enable", "AUD1")
    report = json.loads(result.out)
    assert [i["path"] for i in report["inputs"]] == ["pyproject.toml"]
    assert report["incomplete"] == []
    assert report["findings"] == []
    assert any("skipped 5 manifest(s)/lockfile(s) in test-fixture" in n for n in report["notes"])


def test_fixture_dirs_can_be_switched_off(tmp_path: Path) -> None:
    _repo(tmp_path)
    _write(
        tmp_path,
        "pyproject.toml",
        PROJECT + "\n[tool.auditor.policy.discovery]\nfixture_dirs = []\n",
    )
    result = run_cli(
        "scan", str(tmp_path), "--offline", "--format", "json", "--enable", "AUD1",
        "--allow-incomplete",
    )  # fmt: skip
    report = json.loads(result.out)
    paths = {i["path"] for i in report["inputs"]}
    assert "tests/fixtures/invalid_lock/poetry.lock" in paths
    assert "testdata/requirements.txt" in paths


def _by_windows(rel_dir: str, patterns: tuple[str, ...]) -> bool:
    """The definition: some run of consecutive folder names matches a pattern's pieces."""
    parts = rel_dir.lower().split("/")
    for pattern in patterns:
        pieces = pattern.lower().strip("/").split("/")
        for start in range(len(parts) - len(pieces) + 1):
            window = parts[start : start + len(pieces)]
            if all(fnmatch.fnmatchcase(p, q) for p, q in zip(window, pieces, strict=True)):
                return True
    return False


_NAMES = st.sampled_from(["fixtures", "tests", "data", "{{cookie}}", "testXdata", "ax", "cx",
                          "foo.egg-info", "a.b", "aXb", "xqy", "z", "src", "Fixtures"])  # fmt: skip
_PATTERNS = st.sampled_from(["fixtures", "tests/data", "*{{*}}*", "test?data", "[ab]x",
                             "*.egg-info", "a.b", "x*y/z"])  # fmt: skip


@given(st.lists(_NAMES, min_size=1, max_size=5), st.lists(_PATTERNS, min_size=1, max_size=4))
def test_one_regex_agrees_with_matching_each_window(names: list[str], patterns: list[str]) -> None:
    rel_dir, chosen = "/".join(names), tuple(patterns)
    assert in_fixture_dir(rel_dir, chosen) == _by_windows(rel_dir, chosen)
