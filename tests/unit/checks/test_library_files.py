"""Published libraries, their mirror and tooling requirements files, dependency groups and
constraints files are not judged like an application's deployment manifest (issue 9)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from pinkit import context, ids, lockfile, manifest, pkg, req, run

from auditor.checks.vuln_scope import Role, declaration_scope
from auditor.model import Finding, InputKind, Location, ParsedInput, Severity

CLASSIFIERS = 'classifiers = ["Intended Audience :: Developers"]\n'


def _pyproject(tmp_path: Path, body: str, *reqs: str) -> ParsedInput:
    (tmp_path / "pyproject.toml").write_text(body, encoding="utf-8")
    return manifest(
        "pyproject.toml",
        *(req(name, path="pyproject.toml", line=i + 3) for i, name in enumerate(reqs)),
        project_name="lib",
    )


def test_project_with_classifiers_but_no_build_system_is_a_library(tmp_path: Path) -> None:
    # pip builds a [project] without [build-system] with setuptools: cookiecutter ships so.
    item = _pyproject(tmp_path, '[project]\nname = "lib"\n' + CLASSIFIERS, "arrow")
    found = run("pins", context(tmp_path, item)) + run("lockfile", context(tmp_path, item))
    assert ids(found) == [("AUD101", "arrow")]
    assert found[0].severity is Severity.LOW


def test_uv_package_true_is_a_library(tmp_path: Path) -> None:
    body = '[project]\nname = "lib"\n[tool.uv]\npackage = true\n'
    item = _pyproject(tmp_path, body, "arrow")
    assert ids(run("lockfile", context(tmp_path, item))) == []


def test_plain_project_table_is_still_an_application(tmp_path: Path) -> None:
    item = _pyproject(tmp_path, '[project]\nname = "app"\n', "arrow")
    assert ids(run("lockfile", context(tmp_path, item))) == [("AUD103", None)]


def test_a_published_library_with_a_dockerfile_needs_no_lockfile(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python\n", encoding="utf-8")
    body = '[build-system]\nrequires = ["hatchling"]\n[project]\nname = "lib"\n' + CLASSIFIERS
    item = _pyproject(tmp_path, body, "click")
    assert ids(run("lockfile", context(tmp_path, item))) == []


def test_an_unpublished_build_with_a_dockerfile_is_an_application(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python\n", encoding="utf-8")
    body = '[build-system]\nrequires = ["hatchling"]\n[project]\nname = "svc"\n'
    item = _pyproject(tmp_path, body, "click")
    assert ids(run("lockfile", context(tmp_path, item))) == [("AUD103", None)]


def _library_with(tmp_path: Path, *files: ParsedInput) -> tuple[ParsedInput, ...]:
    body = '[build-system]\nrequires = ["setuptools"]\n[project]\nname = "lib"\n'
    lib = _pyproject(tmp_path, body, "click", "requests", "boto3")
    return (lib, *files)


def _outside_pyproject(found: list[Finding]) -> list[Finding]:
    return [f for f in found if f.locations[0].path != "pyproject.toml"]


def test_requirements_file_copying_the_library_metadata_is_library_metadata(
    tmp_path: Path,
) -> None:
    mirror = manifest("requirements.txt", req("click"), req("requests", line=2))
    extra = manifest(
        "requirements/s3.txt", req("boto3", path="requirements/s3.txt"), project_name=None
    )
    ctx = context(tmp_path, *_library_with(tmp_path, mirror, extra))
    found = _outside_pyproject(run("pins", ctx))
    assert sorted(ids(found)) == [("AUD101", "boto3"), ("AUD101", "click"), ("AUD101", "requests")]
    assert {f.severity for f in found} == {Severity.LOW}
    scope = declaration_scope(ctx)
    assert scope.role(Location(path="requirements.txt", line=1)) is Role.LIBRARY
    assert scope.layout.feeds_metadata_of("requirements/s3.txt") == "pyproject.toml"


def test_other_requirements_files_of_a_library_are_its_developers_tooling(
    tmp_path: Path,
) -> None:
    tools = manifest(
        "requirements/pkgutils.txt",
        req("setuptools", ">=40.8.0", path="requirements/pkgutils.txt"),
        req("flake8", path="requirements/pkgutils.txt", line=2),
    )
    ctx = context(tmp_path, *_library_with(tmp_path, tools))
    role = declaration_scope(ctx).role(Location(path="requirements/pkgutils.txt", line=1))
    assert role is Role.DEV
    found = _outside_pyproject(run("pins", ctx))
    assert ids(found) == [("AUD101", "flake8")]
    assert found[0].severity is Severity.LOW


def test_library_files_are_left_alone_in_an_application_folder(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("", encoding="utf-8")
    deploy = manifest("requirements.txt", req("gunicorn"))
    ctx = context(tmp_path, *_library_with(tmp_path, deploy))
    assert declaration_scope(ctx).role(Location(path="requirements.txt", line=1)) is Role.RUNTIME


def test_dependency_groups_of_a_pyproject_are_development_only(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[dependency-groups]\n", encoding="utf-8")
    item = manifest("pyproject.toml", req("jinja2", path="pyproject.toml", line=4, group="toxgen"))
    ctx = context(tmp_path, item)
    found = run("pins", ctx)
    assert ids(found) == [("AUD101", "jinja2")]
    assert found[0].severity is Severity.LOW
    assert declaration_scope(ctx).role(Location(path="pyproject.toml", line=4)) is Role.DEV
    assert ids(run("lockfile", ctx)) == []


def test_a_constraints_file_installs_nothing(tmp_path: Path) -> None:
    (tmp_path / "constraints.txt").write_text("setuptools<82\n", encoding="utf-8")
    item = manifest("constraints.txt", req("setuptools", "<82", path="constraints.txt"))
    scope = declaration_scope(context(tmp_path, item))
    assert scope.role(Location(path="constraints.txt", line=1)) is Role.CONSTRAINT
    assert scope.pin_role([Location(path="constraints.txt", line=1)]) is Role.RUNTIME


def test_urls_in_development_groups_are_low(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[dependency-groups]\n", encoding="utf-8")
    url = "https://example.invalid/django/archive/main.tar.gz"
    item = manifest(
        "pyproject.toml",
        req("django", path="pyproject.toml", line=3, group="djangomain", url=url),
        req("plain", path="pyproject.toml", line=4, group="ci", url="http://example.invalid/p.zip"),
    )
    found = run("pins", context(tmp_path, item))
    assert [(f.rule_id, f.package, f.severity) for f in found] == [
        ("AUD106", "django", Severity.LOW),
        ("AUD106", "plain", Severity.MEDIUM),  # plain http stays loud
    ]


def test_a_branch_that_the_lockfile_pins_to_a_commit_is_low(tmp_path: Path) -> None:
    sha = "7fc59da2c4dff919db2095a0f0e47101b657131d"
    git = "git+https://example.invalid/pydantic/strict-no-cover"
    item = manifest("pyproject.toml", req("strict-no-cover", path="pyproject.toml", url=git))
    lock = lockfile(
        "uv.lock",
        InputKind.UV_LOCK,
        dataclasses.replace(pkg("strict-no-cover", "0.1.1"), source_url=git, source_commit=sha),
    )
    (finding,) = [f for f in run("pins", context(tmp_path, item, lock)) if f.rule_id == "AUD106"]
    assert finding.severity is Severity.LOW
    assert finding.evidence["locked_commit"] == sha
    assert f"uv.lock installs commit {sha}" in finding.message


def test_a_tooling_file_covers_the_files_it_includes(tmp_path: Path) -> None:
    # aiohttp: requirements/constraints.in includes base.in (-r), which is no input itself.
    tools = manifest(
        "requirements/constraints.in",
        req("winloop", path="requirements/base.in", line=5),
        req("gunicorn", path="requirements/base.in", line=3),
    )
    ctx = context(tmp_path, *_library_with(tmp_path, tools))
    found = _outside_pyproject(run("pins", ctx))
    assert {f.severity for f in found} == {Severity.LOW}


def test_a_loose_file_beside_compiled_lock_files_is_a_low_gap(tmp_path: Path) -> None:
    # warehouse: requirements/*.txt are pip-compile output; requirements/ipython.txt is not.
    (tmp_path / "Dockerfile").write_text("FROM python\n", encoding="utf-8")
    (tmp_path / "requirements").mkdir()
    compiled = (
        "# This file is autogenerated by pip-compile\n"
        "#    pip-compile --output-file=requirements/main.txt requirements/main.in\n"
        "flask==3.0.0\n"
    )
    (tmp_path / "requirements/main.txt").write_text(compiled, encoding="utf-8")
    (tmp_path / "requirements/main.in").write_text("flask\n", encoding="utf-8")
    (tmp_path / "requirements/ipython.txt").write_text("ipython>=9\n", encoding="utf-8")
    main = manifest("requirements/main.txt", req("flask", "==3.0.0", path="requirements/main.txt"))
    source = manifest("requirements/main.in", req("flask", path="requirements/main.in"))
    loose = manifest(
        "requirements/ipython.txt", req("ipython", ">=9", path="requirements/ipython.txt")
    )
    (finding,) = run("lockfile", context(tmp_path, main, source, loose))
    assert finding.rule_id == "AUD103"
    assert finding.severity is Severity.LOW
    assert finding.evidence["other_locks"] == ["requirements/main.txt"]
    assert "is not covered by the lock files" in finding.message


def test_a_url_whose_hash_the_lockfile_records_is_low(tmp_path: Path) -> None:
    url = "https://example.invalid/psycopg_c-3.3.0-cp312-cp312-linux_x86_64.whl"
    item = manifest("pyproject.toml", req("psycopg-c", "==3.3", path="pyproject.toml", url=url))
    locked = dataclasses.replace(pkg("psycopg-c", "3.3.0"), source_url=url, hashes=("sha256:ab",))
    lock = lockfile("uv.lock", InputKind.UV_LOCK, locked)
    (finding,) = [f for f in run("pins", context(tmp_path, item, lock)) if f.rule_id == "AUD106"]
    assert finding.severity is Severity.LOW
    assert finding.evidence["locked_hash"] == "uv.lock"
    assert "uv.lock records its hash" in finding.message
