"""AUD109: declarations of one package that no version satisfies together."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_cli
from pinkit import context, ids, lockfile, manifest, pkg, req, run

from auditor.model import Finding, InputKind, Location, ParsedInput


def conflicts(tmp_path: Path, *inputs: ParsedInput) -> list[Finding]:
    return run("pin_conflicts", context(tmp_path, *inputs))


def test_different_exact_pins_in_two_files(tmp_path: Path) -> None:
    found = conflicts(
        tmp_path,
        manifest("requirements.txt", req("Django", "==4.2.1", line=3)),
        manifest("pyproject.toml", req("django", ">=5.0", path="pyproject.toml", line=9)),
    )
    assert ids(found) == [("AUD109", "django")]
    finding = found[0]
    assert finding.locations == (
        Location(path="pyproject.toml", line=9),
        Location(path="requirements.txt", line=3),
    )
    assert "django>=5.0 (pyproject.toml:9)" in finding.message
    assert "Django==4.2.1 (requirements.txt:3)" in finding.message
    assert [d["specifier"] for d in finding.evidence["declarations"]] == [">=5.0", "==4.2.1"]


def test_overlapping_ranges_do_not_conflict(tmp_path: Path) -> None:
    found = conflicts(
        tmp_path,
        manifest(
            "requirements.txt", req("django", ">=4.2,<6", line=1), req("django", "~=5.0", line=2)
        ),
        manifest("pyproject.toml", req("django", "!=5.0.1", path="pyproject.toml")),
    )
    assert found == []


def test_same_file_twice_is_a_conflict(tmp_path: Path) -> None:
    found = conflicts(
        tmp_path,
        manifest("requirements.txt", req("six", "==1.15", line=1), req("six", "==1.16", line=9)),
    )
    assert ids(found) == [("AUD109", "six")]


def test_constraint_excluding_every_allowed_version(tmp_path: Path) -> None:
    found = conflicts(
        tmp_path,
        manifest(
            "requirements.txt",
            req("urllib3", ">=2"),
            req("urllib3", "<2", constraint=True, path="constraints.txt"),
        ),
    )
    assert ids(found) == [("AUD109", "urllib3")]
    assert {d["constraint"] for d in found[0].evidence["declarations"]} == {True, False}


def test_different_markers_are_not_compared(tmp_path: Path) -> None:
    found = conflicts(
        tmp_path,
        manifest(
            "requirements.txt",
            req("numpy", "==1.24.4", marker='python_version < "3.9"', line=1),
            req("numpy", "==2.0.1", marker="python_version >= '3.9'", line=2),
        ),
    )
    assert found == []


def test_unmarked_declaration_meets_marked_ones(tmp_path: Path) -> None:
    found = conflicts(
        tmp_path,
        manifest(
            "requirements.txt",
            req("numpy", "==1.24.4", line=1),
            req("numpy", "==2.0.1", marker="python_version >= '3.9'", line=2),
        ),
    )
    assert ids(found) == [("AUD109", "numpy")]
    assert found[0].evidence["marker"] == "python_version >= '3.9'"


def test_separate_projects_may_pin_differently(tmp_path: Path) -> None:
    found = conflicts(
        tmp_path,
        manifest(
            "services/a/requirements.txt",
            req("flask", "==2.3.3", path="services/a/requirements.txt"),
        ),
        manifest(
            "services/b/requirements.txt",
            req("flask", "==3.0.3", path="services/b/requirements.txt"),
        ),
    )
    assert found == []


def test_requirements_folder_belongs_to_parent_project(tmp_path: Path) -> None:
    found = conflicts(
        tmp_path,
        manifest("requirements/base.txt", req("flask", "==2.3.3", path="requirements/base.txt")),
        manifest("pyproject.toml", req("flask", ">=3", path="pyproject.toml")),
    )
    assert ids(found) == [("AUD109", "flask")]


def test_extras_and_triple_equals(tmp_path: Path) -> None:
    found = conflicts(
        tmp_path,
        manifest(
            "requirements.txt",
            req("uvicorn", "===0.30.1", extras=("standard",)),
            req("uvicorn", "==0.30.1", line=2),
        ),
    )
    assert found == []


def test_locked_versions_are_reported_as_evidence(tmp_path: Path) -> None:
    found = conflicts(
        tmp_path,
        manifest(
            "pyproject.toml",
            req("attrs", ">=23", path="pyproject.toml"),
            req("attrs", "<22", path="pyproject.toml", line=2, group="dev"),
        ),
        lockfile("uv.lock", InputKind.UV_LOCK, pkg("attrs", "23.2.0")),
    )
    assert found[0].evidence["locked_versions"] == ["23.2.0"]


def test_single_unsatisfiable_specifier(tmp_path: Path) -> None:
    found = conflicts(tmp_path, manifest("requirements.txt", req("x", ">2,<1")))
    assert ids(found) == [("AUD109", "x")]
    assert "admits no version" in found[0].message


def test_urls_and_bare_names_are_skipped(tmp_path: Path) -> None:
    found = conflicts(
        tmp_path,
        manifest(
            "requirements.txt",
            req("x", url="https://e.org/x.zip"),
            req("x", "==1", line=2),
            req("x", line=3),
        ),
    )
    assert found == []


def test_separate_requirements_files_are_separate_installs(tmp_path: Path) -> None:
    # Flask's layout: pip-compile locks per tox environment pin different versions on purpose.
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "dev.txt").write_text("click==8.1.6\n")
    (tmp_path / "requirements" / "tests-min.txt").write_text("click==8.1.3\n")
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\nversion = "1"\ndependencies = ["click>=8.1.3"]\n'
    )
    result = run_cli("scan", str(tmp_path), "--format", "json", "--offline", "--enable", "AUD109")
    assert json.loads(result.out)["findings"] == []
    # ... but project metadata joins every install: a pin below its floor conflicts.
    (tmp_path / "requirements" / "tests-min.txt").write_text("click==8.0.0\n")
    result = run_cli("scan", str(tmp_path), "--format", "json", "--offline", "--enable", "AUD109")
    (finding,) = json.loads(result.out)["findings"]
    assert [loc["path"] for loc in finding["locations"]] == [
        "pyproject.toml",
        "requirements/tests-min.txt",
    ]
