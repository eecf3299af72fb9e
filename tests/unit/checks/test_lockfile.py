"""The lockfile check: AUD103 missing lockfile and AUD104 lockfile drift."""

from __future__ import annotations

from pathlib import Path

from pinkit import context, ids, lockfile, manifest, pkg, req, run

from auditor.model import Finding, InputKind, InputStatus, Location, ParsedInput, Severity

LIB_PYPROJECT = (
    '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
    '[project]\nname = "lib"\nversion = "1"\n'
)


def lockcheck(tmp_path: Path, *inputs: ParsedInput, **policy: object) -> list[Finding]:
    return run("lockfile", context(tmp_path, *inputs, policy=policy))


# AUD103 -------------------------------------------------------------------------------------
def test_application_without_lockfile(tmp_path: Path) -> None:
    found = lockcheck(tmp_path, manifest("requirements.txt", req("flask", line=2), req("x", ">=1")))
    assert ids(found) == [("AUD103", None)]
    finding = found[0]
    assert finding.locations == (Location(path="requirements.txt", line=2),)
    assert finding.evidence["requirements"] == 2
    assert finding.evidence["application"].startswith("auto: no build metadata")
    assert "uv lock" in (finding.fix or "")


def test_one_finding_per_project_folder(tmp_path: Path) -> None:
    found = lockcheck(
        tmp_path,
        manifest("requirements.txt", req("flask")),
        manifest("requirements/prod.txt", req("gunicorn", path="requirements/prod.txt")),
        manifest(
            "services/api/requirements.txt", req("fastapi", path="services/api/requirements.txt")
        ),
    )
    assert sorted(f.evidence["scope"] for f in found) == ["", "services/api"]
    root = next(f for f in found if f.evidence["scope"] == "")
    assert root.evidence["manifests"] == ["requirements.txt", "requirements/prod.txt"]


def test_lockfile_in_ancestor_folder_covers_workspace_members(tmp_path: Path) -> None:
    found = lockcheck(
        tmp_path,
        manifest("packages/a/pyproject.toml", req("flask", path="packages/a/pyproject.toml")),
        lockfile("uv.lock", InputKind.UV_LOCK, pkg("flask", "3.0.3")),
    )
    assert ids(found, "AUD103") == []


def test_fully_pinned_requirements_file_is_a_lock(tmp_path: Path) -> None:
    item = manifest("requirements.txt", req("flask", "==3.0.3"), req("click", "===8.1.7", line=2))
    assert lockcheck(tmp_path, item) == []


def test_pinned_file_must_list_the_loose_files_requirements(tmp_path: Path) -> None:
    docs = manifest("requirements-docs.txt", req("sphinx", "==7.3.7", path="requirements-docs.txt"))
    app = manifest("requirements.in", req("flask", path="requirements.in"))
    assert ids(lockcheck(tmp_path, app, docs)) == [("AUD103", None)]
    compiled = manifest("requirements.txt", req("flask", "==3.0.3"))
    assert ids(lockcheck(tmp_path, app, compiled)) == []


def test_dev_only_requirements_do_not_need_a_lockfile(tmp_path: Path) -> None:
    item = manifest("requirements-dev.txt", req("pytest", group="dev", path="requirements-dev.txt"))
    assert lockcheck(tmp_path, item) == []


def test_constraints_alone_do_not_need_a_lockfile(tmp_path: Path) -> None:
    item = manifest(
        "constraints.txt", req("urllib3", "<3", constraint=True, path="constraints.txt")
    )
    assert lockcheck(tmp_path, item) == []


def test_library_is_not_asked_for_a_lockfile(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(LIB_PYPROJECT)
    item = manifest("pyproject.toml", req("attrs", ">=22", path="pyproject.toml"))
    assert lockcheck(tmp_path, item) == []
    # ... unless it also holds an application entry point
    (tmp_path / "app.py").write_text("print('hi')\n")
    found = lockcheck(tmp_path, item)
    assert ids(found) == [("AUD103", None)]
    assert "application file" in found[0].evidence["application"]


def test_application_policy_forces_the_answer(tmp_path: Path) -> None:
    item = manifest("requirements.txt", req("flask"))
    assert lockcheck(tmp_path, item, application=False) == []
    (tmp_path / "pyproject.toml").write_text(LIB_PYPROJECT)
    lib = manifest("pyproject.toml", req("attrs", path="pyproject.toml"))
    assert ids(lockcheck(tmp_path, lib, application=True)) == [("AUD103", None)]


# AUD104: unsatisfied ------------------------------------------------------------------------
def test_manifest_requirement_not_satisfied_by_lock(tmp_path: Path) -> None:
    found = lockcheck(
        tmp_path,
        manifest("pyproject.toml", req("requests", ">=2.31", path="pyproject.toml", line=8)),
        lockfile("uv.lock", InputKind.UV_LOCK, pkg("requests", "2.19.0", line=42)),
    )
    assert ids(found) == [("AUD104", "requests")]
    finding = found[0]
    assert finding.severity is Severity.HIGH
    assert finding.locations == (
        Location(path="pyproject.toml", line=8),
        Location(path="uv.lock", line=42),
    )
    assert finding.evidence["kind"] == "unsatisfied"
    assert finding.evidence["lockfile_line"] == 42
    assert "pyproject.toml:8" in finding.message
    assert "uv.lock:42" in finding.message
    assert "uv lock" in (finding.fix or "")


def test_prerelease_lock_satisfies_range(tmp_path: Path) -> None:
    found = lockcheck(
        tmp_path,
        manifest("pyproject.toml", req("pydantic", ">=2", path="pyproject.toml")),
        lockfile("uv.lock", InputKind.UV_LOCK, pkg("pydantic", "2.8.0rc1")),
    )
    assert found == []


def test_multiple_lockfiles_are_checked_separately(tmp_path: Path) -> None:
    found = lockcheck(
        tmp_path,
        manifest("pyproject.toml", req("requests", "~=2.32", path="pyproject.toml")),
        lockfile("uv.lock", InputKind.UV_LOCK, pkg("requests", "2.32.3")),
        lockfile(
            "poetry.lock",
            InputKind.POETRY_LOCK,
            pkg("requests", "2.28.0", path="poetry.lock", kind=InputKind.POETRY_LOCK),
        ),
    )
    assert [f.evidence["lockfile"] for f in found] == ["poetry.lock"]


def test_forked_lock_with_one_matching_version_is_fine(tmp_path: Path) -> None:
    found = lockcheck(
        tmp_path,
        manifest("pyproject.toml", req("numpy", ">=2", path="pyproject.toml")),
        lockfile("uv.lock", InputKind.UV_LOCK, pkg("numpy", "1.26.4"), pkg("numpy", "2.0.1")),
    )
    assert found == []


def test_missing_from_own_lockfile(tmp_path: Path) -> None:
    found = lockcheck(
        tmp_path,
        manifest(
            "pyproject.toml",
            req("httpx", ">=0.27", path="pyproject.toml", line=5),
            req("pywin32", path="pyproject.toml", line=6, marker="sys_platform == 'win32'"),
        ),
        manifest("requirements-docs.txt", req("sphinx", path="requirements-docs.txt")),
        lockfile("uv.lock", InputKind.UV_LOCK, pkg("idna", "3.7")),
    )
    drift = [f for f in found if f.rule_id == "AUD104" and f.evidence["kind"] == "not-locked"]
    # the marked requirement may be excluded by the lock; requirements files are not uv's input
    assert [f.package for f in drift] == ["httpx"]


def test_pip_compile_input_drift(tmp_path: Path) -> None:
    found = lockcheck(
        tmp_path,
        manifest("requirements.in", req("django", "<5", path="requirements.in")),
        manifest("requirements.txt", req("django", "==5.0.6", line=7)),
    )
    assert ids(found) == [("AUD104", "django")]
    assert found[0].evidence["lockfile"] == "requirements.txt"
    assert found[0].evidence["lockfile_line"] == 7


def test_two_pinned_files_are_not_drift(tmp_path: Path) -> None:
    found = lockcheck(
        tmp_path,
        manifest("requirements.txt", req("django", "==5.0.6")),
        manifest("requirements-old.txt", req("django", "==4.2", path="requirements-old.txt")),
    )
    assert ids(found, "AUD104") == []


# AUD104: unreachable ------------------------------------------------------------------------
def test_locked_package_nothing_requires(tmp_path: Path) -> None:
    root = pkg("app", "0.1.0", deps=["flask"], is_root=True)
    found = lockcheck(
        tmp_path,
        manifest("pyproject.toml", req("flask", path="pyproject.toml"), project_name="app"),
        lockfile(
            "uv.lock",
            InputKind.UV_LOCK,
            root,
            pkg("flask", "3.0.3", deps=["click", "werkzeug"], line=10),
            pkg("click", "8.1.7", line=20),
            pkg("werkzeug", "3.0.3", deps=["markupsafe"], line=30),
            pkg("markupsafe", "2.1.5", line=40),
            pkg("leftpad", "1.0.0", line=50),
        ),
    )
    assert ids(found) == [("AUD104", "leftpad")]
    finding = found[0]
    assert finding.severity is Severity.MEDIUM
    assert finding.locations == (Location(path="uv.lock", line=50),)
    assert finding.evidence["manifests"] == ["pyproject.toml"]


def test_poetry_lock_roots_come_from_the_manifest(tmp_path: Path) -> None:
    kind = InputKind.POETRY_LOCK
    found = lockcheck(
        tmp_path,
        manifest(
            "pyproject.toml",
            req("requests", path="pyproject.toml"),
            req("pytest", path="pyproject.toml", group="dev"),
        ),
        lockfile(
            "poetry.lock",
            kind,
            pkg("requests", "2.32.3", deps=["idna"], path="poetry.lock", kind=kind),
            pkg("idna", "3.7", path="poetry.lock", kind=kind),
            pkg("pytest", "8.2.0", deps=["pluggy"], path="poetry.lock", kind=kind),
            pkg("pluggy", "1.5.0", path="poetry.lock", kind=kind),
            pkg("chardet", "5.2.0", path="poetry.lock", kind=kind),
        ),
    )
    assert ids(found) == [("AUD104", "chardet")]


def test_workspace_members_are_roots(tmp_path: Path) -> None:
    found = lockcheck(
        tmp_path,
        manifest("pyproject.toml", req("member", path="pyproject.toml")),
        lockfile(
            "uv.lock",
            InputKind.UV_LOCK,
            pkg("member", "0.1", deps=["attrs"]),
            pkg("attrs", "23.2.0"),
            pkg("tool", "0.1", deps=["rich"], source_url="packages/tool"),
            pkg("rich", "13.7.1"),
        ),
    )
    assert found == []


def test_lockfile_without_edges_is_not_judged(tmp_path: Path) -> None:
    kind = InputKind.PIPFILE_LOCK
    found = lockcheck(
        tmp_path,
        manifest(
            "Pipfile",
            req("requests", path="Pipfile", kind=InputKind.PIPFILE),
            kind=InputKind.PIPFILE,
        ),
        lockfile(
            "Pipfile.lock",
            kind,
            pkg("requests", "2.32.3", path="Pipfile.lock", kind=kind),
            pkg("idna", "3.7", path="Pipfile.lock", kind=kind),
        ),
    )
    assert found == []


def test_unknown_roots_skip_the_reachability_check(tmp_path: Path) -> None:
    broken = ParsedInput(
        path="pyproject.toml",
        kind=InputKind.PYPROJECT,
        status=InputStatus.ERROR,
        error="pyproject.toml:3: bad",
    )
    lock = lockfile("uv.lock", InputKind.UV_LOCK, pkg("a", "1", deps=["b"]), pkg("c", "1"))
    assert lockcheck(tmp_path, broken, lock) == []
    # no manifest and no root package in the lock: nothing to start from
    assert lockcheck(tmp_path, lock) == []


def test_many_orphans_become_one_finding(tmp_path: Path) -> None:
    orphans = [pkg(f"p{i}", "1.0", line=i) for i in range(30)]
    found = lockcheck(
        tmp_path,
        manifest("pyproject.toml", req("a", path="pyproject.toml")),
        lockfile("uv.lock", InputKind.UV_LOCK, pkg("a", "1", deps=["p0"]), *orphans),
        max_orphan_findings=5,
    )
    assert ids(found) == [("AUD104", None)]
    assert len(found[0].evidence["packages"]) == 29
