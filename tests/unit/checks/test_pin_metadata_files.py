"""Requirements files read by a library's metadata are judged as the library's (AUD101-AUD103),
and AUD111 dynamic values are one finding per file."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from conftest import run_cli
from pinkit import context, ids, issue, manifest, req, run

from auditor.checks.pin_layout import build_layout
from auditor.model import Finding, InputKind, ParsedInput, Severity

SETUP_PY = (
    "import os\nfrom setuptools import setup\n"
    "def read(kind):\n"
    '    return open(os.path.join("requirements", f"{kind}.txt")).read().splitlines()\n'
    'setup(name="lib", install_requires=read("install"), extras_require={"ci": read("ci")})\n'
)


def _setup(metadata_files: tuple[str, ...] = ("requirements/install.txt",)) -> ParsedInput:
    return manifest("setup.py", kind=InputKind.SETUP_PY, metadata_files=metadata_files)


def _install_txt() -> ParsedInput:
    return manifest(
        "requirements/install.txt",
        req("flask", ">=2", path="requirements/install.txt", line=1),
        req("plotly", path="requirements/install.txt", line=2),
    )


def _both(tmp_path: Path, *extra: ParsedInput, **policy: object) -> list[Finding]:
    ctx = context(tmp_path, _setup(), _install_txt(), *extra, policy=policy)
    return run("pins", ctx) + run("lockfile", ctx)


def test_fed_requirements_file_uses_library_require(tmp_path: Path) -> None:
    found = _both(tmp_path)
    # flask>=2 is fine for a library ("any"); plotly is unpinned but only low.
    assert ids(found) == [("AUD101", "plotly")]
    assert found[0].severity is Severity.LOW
    assert found[0].evidence["policy"] == "any"
    tight = _both(tmp_path, library_require="upper-bound")
    assert ids(tight) == [("AUD101", "plotly"), ("AUD102", "flask")]


def test_unfed_requirements_file_is_still_an_application(tmp_path: Path) -> None:
    ctx = context(tmp_path, _setup(metadata_files=()), _install_txt())
    found = run("pins", ctx)
    assert ids(found) == [("AUD101", "plotly"), ("AUD102", "flask")]
    assert {f.severity for f in found if f.rule_id == "AUD101"} == {Severity.MEDIUM}


def test_fed_file_needs_no_lockfile_even_in_an_application_scope(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python\n")  # makes the root an application
    assert ids(run("lockfile", context(tmp_path, _setup(), _install_txt()))) == []
    unfed = context(tmp_path, _setup(metadata_files=()), _install_txt())
    assert ids(run("lockfile", unfed)) == [("AUD103", None)]


def test_lines_of_a_fed_file_reached_through_an_include(tmp_path: Path) -> None:
    # requirements/ci.txt includes the library's install.txt: those lines stay library lines.
    ci = manifest(
        "requirements/ci.txt",
        req("plotly", path="requirements/install.txt", line=2),
        req("pytest", path="requirements/ci.txt", line=2),
    )
    ctx = context(tmp_path, _setup(), ci)
    found = run("pins", ctx)
    severity = {f.package: f.severity for f in found}
    assert severity == {"plotly": Severity.LOW, "pytest": Severity.MEDIUM}
    layout = build_layout(ctx)
    assert layout.feeds_metadata_of("requirements/install.txt") == "setup.py"
    assert layout.feeds_metadata_of("requirements/ci.txt") is None


def test_only_library_metadata_can_feed(tmp_path: Path) -> None:
    # A pyproject.toml without [build-system] is no library: its pointers are not trusted.
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "app"\n')
    app = manifest("pyproject.toml", metadata_files=("requirements/install.txt",))
    layout = build_layout(context(tmp_path, app, _install_txt()))
    assert layout.feeds_metadata_of("requirements/install.txt") is None


# AUD111 folding ---------------------------------------------------------------------------------
def test_dynamic_values_fold_into_one_finding_per_file(tmp_path: Path) -> None:
    setup = manifest(
        "setup.py",
        kind=InputKind.SETUP_PY,
        metadata_files=("requirements/install.txt",),
        issues=(
            issue("dynamic-value", "setup.py", 29, "read('install')"),
            issue("dynamic-value", "setup.py", 32, "read('async')"),
            issue("dynamic-value", "setup.py", 33, "read('ci')"),
        ),
    )
    other = manifest(
        "requirements.txt",
        issues=(
            issue("dynamic-value", "requirements.txt", 1, "x"),
            issue("include-cycle", "requirements.txt", 2, "-r requirements.txt"),
            issue("include-cycle", "requirements.txt", 3, "-r requirements.txt "),
        ),
    )
    found = run("pins", context(tmp_path, setup, other))
    by_file = sorted((f.locations[0].path, f.evidence["code"]) for f in found)
    assert by_file == [
        ("requirements.txt", "dynamic-value"),
        ("requirements.txt", "include-cycle"),
        ("requirements.txt", "include-cycle"),
        ("setup.py", "dynamic-value"),
    ]
    (folded,) = [f for f in found if f.locations[0].path == "setup.py"]
    assert [loc.line for loc in folded.locations] == [29, 32, 33]
    assert folded.evidence["count"] == 3
    assert [i["line"] for i in folded.evidence["items"]] == [29, 32, 33]
    assert [i["line_text"] for i in folded.evidence["items"]] == [
        "read('install')",
        "read('async')",
        "read('ci')",
    ]
    assert folded.evidence["metadata_files"] == ["requirements/install.txt"]
    assert folded.message.startswith("setup.py: 3 value(s) could not be read")
    assert "requirements/install.txt" in folded.message


def test_folding_follows_the_policy(tmp_path: Path) -> None:
    setup = manifest(
        "setup.py",
        kind=InputKind.SETUP_PY,
        issues=(
            issue("dynamic-value", "setup.py", 1, "a()"),
            issue("dynamic-value", "setup.py", 2, "b()"),
        ),
    )
    assert len(run("pins", context(tmp_path, setup))) == 1
    assert len(run("pins", context(tmp_path, setup, policy={"fold_per_file_codes": []}))) == 2


# CLI ---------------------------------------------------------------------------------------------
def test_cli_library_reading_its_requirements_files(tmp_path: Path) -> None:
    (tmp_path / "setup.py").write_text(SETUP_PY)
    (tmp_path / "Procfile").write_text("web: lib\n")  # an application marker
    reqs = tmp_path / "requirements"
    reqs.mkdir()
    (reqs / "install.txt").write_text("flask>=2\nplotly\n")
    (reqs / "ci.txt").write_text("pytest\n")
    (reqs / "server.txt").write_text("gunicorn>=21\n")  # not read by setup.py: an application's
    result = run_cli(
        "scan", str(tmp_path), "--format", "json", "--offline", "--enable", "AUD1",
        "--allow-incomplete",
    )  # fmt: skip
    findings = json.loads(result.out)["findings"]
    got = sorted(
        (f["rule_id"], f["locations"][0]["path"], f["package"], f["severity"]) for f in findings
    )
    assert got == [
        ("AUD101", "requirements/ci.txt", "pytest", "low"),
        ("AUD101", "requirements/install.txt", "plotly", "low"),
        ("AUD102", "requirements/server.txt", "gunicorn", "low"),
        ("AUD103", "requirements/server.txt", None, "medium"),
        ("AUD111", "setup.py", None, "low"),
    ]
    (aud103,) = [f for f in findings if f["rule_id"] == "AUD103"]
    assert aud103["evidence"]["manifests"] == ["requirements/server.txt"]
    (aud111,) = [f for f in findings if f["rule_id"] == "AUD111"]
    assert aud111["evidence"]["count"] == 2
    assert aud111["evidence"]["metadata_files"] == [
        "requirements/ci.txt",
        "requirements/install.txt",
    ]


def test_the_layout_is_built_once_per_context(tmp_path: Path) -> None:
    app = manifest("pyproject.toml", req("flask", path="pyproject.toml"))
    ctx = context(tmp_path, app, _install_txt())
    layout = build_layout(ctx)
    assert build_layout(ctx) is layout  # pins, lockfile, pin_conflicts, vulns... share it
    changed = dataclasses.replace(ctx, inputs=ctx.inputs[:1])
    assert build_layout(changed) is not layout
    assert [m.path for m in build_layout(changed).manifests] == ["pyproject.toml"]
