"""Pin-check behaviour found wrong on real repositories (pdm, pytest, kedro, datasets, openai)."""

from __future__ import annotations

from pathlib import Path

from pinkit import context, ids, lockfile, manifest, pkg, req, run

from auditor.model import InputKind, Requirement, Severity


def test_project_requiring_its_own_extras_is_not_unpinned(tmp_path: Path) -> None:
    # pdm: all = ["pdm[keyring,template]"]; a self-reference installs nothing new.
    found = run(
        "pins",
        context(
            tmp_path,
            manifest(
                "pyproject.toml",
                req("pdm", path="pyproject.toml", line=83, extras=("keyring",), group="all"),
                req("blinker", path="pyproject.toml", line=22),
                project_name="PDM",
            ),
        ),
    )
    assert ids(found) == [("AUD101", "blinker")]


def test_self_reference_is_not_lockfile_drift(tmp_path: Path) -> None:
    # pytest: dev = ["pytest[dev]"] with uv.lock locking the project as its root.
    found = run(
        "lockfile",
        context(
            tmp_path,
            manifest(
                "pyproject.toml",
                req("pytest", path="pyproject.toml", line=91, extras=("dev",), group="dev"),
                req("pluggy", ">=1.5", path="pyproject.toml", line=20),
                project_name="pytest",
            ),
            lockfile("uv.lock", InputKind.UV_LOCK, pkg("pluggy", "1.6.0")),
        ),
    )
    assert [f.rule_id for f in found if f.rule_id == "AUD104"] == []


def test_conflicting_pins_in_two_extras_are_two_environments(tmp_path: Path) -> None:
    # datasets: extras "benchmarks" pins torch==2.0.1, extras "tests" asks torch>=2.8.0.
    found = run(
        "pin_conflicts",
        context(
            tmp_path,
            manifest(
                "setup.py",
                req("torch", "==2.0.1", path="setup.py", line=153, group="optional:benchmarks"),
                req("torch", ">=2.8.0", path="setup.py", line=193, group="optional:tests"),
                req("numpy", ">=1.17", path="setup.py", line=110),
                kind=InputKind.SETUP_PY,
            ),
        ),
    )
    assert found == []


def test_extra_conflicting_with_main_dependencies_is_reported(tmp_path: Path) -> None:
    found = run(
        "pin_conflicts",
        context(
            tmp_path,
            manifest(
                "pyproject.toml",
                req("pydantic", ">=2,<3", path="pyproject.toml", line=13),
                req("pydantic", "<2", path="pyproject.toml", line=74, group="pydantic-v1"),
                req("pydantic", ">=2.5", path="pyproject.toml", line=75, group="pydantic-v2"),
            ),
        ),
    )
    assert ids(found) == [("AUD109", "pydantic")]
    assert [loc.line for loc in found[0].locations] == [13, 74]


def _local(name: str, url: str, path: str = "pyproject.toml") -> Requirement:
    return req(name, path=path, line=5, url=url)


def test_pdm_project_root_paths_are_resolved(tmp_path: Path) -> None:
    found = run(
        "pins",
        context(
            tmp_path,
            manifest(
                "pyproject.toml",
                _local("package-a", "file:///${PROJECT_ROOT}/package_a"),
                _local("core", "file:///${PROJECT_ROOT}/../core"),
            ),
        ),
    )
    by_name = {f.package: f for f in found}
    assert by_name["package-a"].severity is Severity.LOW
    assert by_name["package-a"].evidence["resolved"] == "package_a"
    assert by_name["core"].severity is Severity.MEDIUM
    assert "outside the scanned folder" in by_name["core"].message


def test_uv_workspace_member_is_not_a_local_path_finding(tmp_path: Path) -> None:
    found = run(
        "pins",
        context(tmp_path, manifest("pyproject.toml", _local("pydantic-core", "workspace:"))),
    )
    assert found == []


def test_sibling_package_of_an_enclosing_git_repo_is_inside_the_repository(tmp_path: Path) -> None:
    # Scanning libs/langchain of a monorepo: ../core is in the same git work tree.
    (tmp_path / ".git").mkdir()
    root = tmp_path / "libs" / "langchain"
    (tmp_path / "libs" / "core").mkdir(parents=True)
    root.mkdir()
    found = run(
        "pins",
        context(root, manifest("pyproject.toml", _local("langchain-core", "../core"))),
    )
    (finding,) = found
    assert finding.severity is Severity.LOW
    assert "enclosing repository" in finding.message
    assert "outside" not in finding.message
