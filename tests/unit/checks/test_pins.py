"""The pin check (AUD101, AUD102, AUD105-AUD108, AUD110, AUD111) on hand-built inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli
from pinkit import context, ids, issue, lockfile, manifest, pkg, req, run, run_full

from auditor.checks.pins import local_target, vcs_ref
from auditor.errors import ConfigError
from auditor.model import Finding, InputKind, Location, ParsedInput, Severity

SHA = "0123456789abcdef0123456789abcdef01234567"


def pins(tmp_path: Path, *inputs: ParsedInput, **policy: object) -> list[Finding]:
    return run("pins", context(tmp_path, *inputs, policy=policy))


# AUD101 -------------------------------------------------------------------------------------
def test_unpinned_requirement_fires_with_location_fix_and_evidence(tmp_path: Path) -> None:
    found = pins(tmp_path, manifest("requirements.txt", req("Flask", line=3)))
    assert ids(found) == [("AUD101", "Flask")]
    finding = found[0]
    assert finding.locations == (Location(path="requirements.txt", line=3),)
    assert finding.severity is Severity.MEDIUM
    assert "Flask==" in (finding.fix or "")
    assert finding.evidence["requirement"] == "Flask"
    assert finding.evidence["policy"] == "upper-bound"


def test_markers_and_extras_do_not_count_as_pins(tmp_path: Path) -> None:
    item = manifest(
        "requirements.txt",
        req("requests", extras=("socks",), line=1),
        req("pywin32", marker='sys_platform == "win32"', line=2),
    )
    found = pins(tmp_path, item)
    assert ids(found, "AUD101") == [("AUD101", "pywin32"), ("AUD101", "requests")]
    text = {f.package: f.evidence["requirement"] for f in found}
    assert text["requests"] == "requests[socks]"
    assert text["pywin32"] == 'pywin32; sys_platform == "win32"'


def test_constraints_are_not_requirements(tmp_path: Path) -> None:
    item = manifest(
        "requirements.txt",
        req("urllib3", ">=1", constraint=True, line=1),
        req("idna", constraint=True, line=2),
    )
    assert pins(tmp_path, item) == []


def test_dev_group_unpinned_is_low(tmp_path: Path) -> None:
    found = pins(
        tmp_path,
        manifest("requirements-dev.txt", req("pytest", group="dev", path="requirements-dev.txt")),
    )
    assert ids(found) == [("AUD101", "pytest")]
    assert found[0].severity is Severity.LOW


def test_dev_require_none_silences_dev_groups(tmp_path: Path) -> None:
    item = manifest("pyproject.toml", req("pytest", path="pyproject.toml", group="test"))
    assert pins(tmp_path, item, dev_require="none") == []


def test_requirement_locked_by_covering_lockfile_is_not_reported(tmp_path: Path) -> None:
    found = pins(
        tmp_path,
        manifest(
            "pyproject.toml",
            req("requests", path="pyproject.toml"),
            req("click", ">=8", path="pyproject.toml", line=2),
        ),
        lockfile("uv.lock", InputKind.UV_LOCK, pkg("requests", "2.32.3"), pkg("click", "8.1.7")),
    )
    assert ids(found) == []


def test_lockfile_in_other_folder_does_not_cover(tmp_path: Path) -> None:
    found = pins(
        tmp_path,
        manifest("requirements.txt", req("requests")),
        lockfile(
            "other/uv.lock", InputKind.UV_LOCK, pkg("requests", "2.32.3", path="other/uv.lock")
        ),
    )
    assert ids(found) == [("AUD101", "requests")]


def test_pip_compile_output_covers_its_input(tmp_path: Path) -> None:
    found = pins(
        tmp_path,
        manifest("requirements.in", req("django", path="requirements.in")),
        manifest("requirements.txt", req("django", "==5.0.6"), req("asgiref", "==3.8.1", line=2)),
    )
    assert ids(found) == []
    # the fix suggests the version the compiled file pins
    found = pins(
        tmp_path,
        manifest("requirements.in", req("django", path="requirements.in")),
        manifest("requirements.txt", req("django", "==5.0.6")),
        lockfile_covers_manifest=False,
    )
    assert ids(found) == [("AUD101", "django")]
    assert "django==5.0.6" in (found[0].fix or "")


# AUD102 -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("spec", "fires"),
    [
        (">=2.0", True),
        (">1", True),
        ("!=2.1", True),
        (">=1,<2", False),
        ("~=1.4", False),
        ("~=1.4.5", False),
        ("==1.*", False),
        ("===1.0", False),
        ("<3", False),
    ],
)
def test_upper_bound_policy(tmp_path: Path, spec: str, fires: bool) -> None:
    found = pins(tmp_path, manifest("requirements.txt", req("numpy", spec)))
    assert bool(ids(found, "AUD102")) is fires


def test_not_equal_only_is_explained(tmp_path: Path) -> None:
    [finding] = pins(tmp_path, manifest("requirements.txt", req("numpy", "!=1.25.0")))
    assert finding.rule_id == "AUD102"
    assert "only excludes versions" in finding.message


def test_unbounded_fix_suggests_next_major(tmp_path: Path) -> None:
    [finding] = pins(tmp_path, manifest("requirements.txt", req("pandas", ">=2.1")))
    assert "pandas>=2.1,<3" in (finding.fix or "")


@pytest.mark.parametrize(
    ("spec", "fires"), [(">=1,<2", True), ("~=1.4", True), ("==1.4.2", False), ("===1.4", False)]
)
def test_exact_policy(tmp_path: Path, spec: str, fires: bool) -> None:
    found = pins(tmp_path, manifest("requirements.txt", req("numpy", spec)), require="exact")
    assert bool(ids(found, "AUD102")) is fires


def test_library_metadata_uses_library_require(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
        '[project]\nname = "lib"\nversion = "1"\ndependencies = ["attrs>=22"]\n'
    )
    item = manifest("pyproject.toml", req("attrs", ">=22", path="pyproject.toml"))
    assert pins(tmp_path, item) == []
    assert ids(pins(tmp_path, item, library_require="upper-bound")) == [("AUD102", "attrs")]


def test_pyproject_without_build_system_is_an_application(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "app"\nversion = "1"\n')
    item = manifest("pyproject.toml", req("attrs", ">=22", path="pyproject.toml"))
    assert ids(pins(tmp_path, item)) == [("AUD102", "attrs")]


def test_bad_policy_value_is_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"policy\.pins\.require"):
        pins(tmp_path, manifest("requirements.txt", req("x")), require="loose")


# AUD105 -------------------------------------------------------------------------------------
def test_mixed_hashes_report_each_unhashed_line(tmp_path: Path) -> None:
    item = manifest(
        "requirements.txt",
        req("six", "==1.16.0", hashes=("sha256:" + "a" * 64,), line=1),
        req("idna", "==3.7", line=3),
        req("certifi", "==2024.2.2", line=4),
    )
    found = [f for f in pins(tmp_path, item) if f.rule_id == "AUD105"]
    assert sorted(f.package or "" for f in found) == ["certifi", "idna"]
    assert all(f.severity is Severity.MEDIUM and f.evidence["mixed"] for f in found)


def test_require_hashes_policy_one_finding_per_file(tmp_path: Path) -> None:
    item = manifest("requirements.txt", req("six", "==1.16.0"), req("idna", "==3.7", line=2))
    assert ids(pins(tmp_path, item)) == []
    found = pins(tmp_path, item, require_hashes=True)
    assert ids(found) == [("AUD105", None)]
    assert found[0].evidence["packages"] == ["idna", "six"]


def test_url_fragment_hash_counts_as_hash(tmp_path: Path) -> None:
    item = manifest(
        "requirements.txt",
        req("six", "==1.16.0", hashes=("sha256:" + "a" * 64,)),
        req("pkg", url="https://example.org/pkg-1.0.tar.gz#sha256=" + "b" * 64, line=2),
    )
    assert [f for f in pins(tmp_path, item) if f.rule_id in ("AUD105", "AUD106")] == []


def test_hashes_only_apply_to_requirements_files(tmp_path: Path) -> None:
    item = manifest("pyproject.toml", req("six", "==1.16.0", path="pyproject.toml"))
    assert pins(tmp_path, item, require_hashes=True) == []


# AUD106 -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "fires"),
    [
        ("git+https://github.com/org/repo.git@main#egg=repo", True),
        ("git+https://github.com/org/repo.git@v1.2.0", True),
        ("git+https://github.com/org/repo.git@0123456", True),
        ("git+https://github.com/org/repo.git", True),
        (f"git+https://github.com/org/repo.git@{SHA}#egg=repo", False),
        (f"git+ssh://git@github.com/org/repo.git@{SHA}", False),
        ("git+ssh://git@github.com/org/repo.git", True),
        (f"hg+https://hg.example.org/repo@{SHA}", False),
        ("svn+https://svn.example.org/repo/trunk@1234", False),
        ("https://example.org/pkg-1.0.tar.gz", True),
        ("https://example.org/pkg-1.0.tar.gz#sha256=" + "c" * 64, False),
    ],
)
def test_mutable_vcs_or_url(tmp_path: Path, url: str, fires: bool) -> None:
    found = pins(tmp_path, manifest("requirements.txt", req("repo", url=url)))
    assert bool(ids(found, "AUD106")) is fires
    assert not ids(found, "AUD101")  # a direct reference is not "unpinned"


def test_plain_http_archive_is_called_out(tmp_path: Path) -> None:
    [finding] = pins(tmp_path, manifest("requirements.txt", req("x", url="http://e.org/x.zip")))
    assert finding.evidence["insecure_transport"] is True
    assert "plain http" in finding.message


@pytest.mark.parametrize(
    ("url", "ref"),
    [
        ("git+https://h/o/r.git@feature/foo#egg=r", "feature/foo"),
        ("git+ssh://git@h/o/r.git", None),
        ("git+git@h:o/r.git@v1", "v1"),
        ("git+https://h/o/r.git@", None),
    ],
)
def test_vcs_ref(url: str, ref: str | None) -> None:
    assert vcs_ref(url) == ref


# AUD107 -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "url", "severity"),
    [
        ("requirements.txt", ".", None),
        ("requirements/dev.txt", "..", None),
        ("requirements.txt", "./libs/common", Severity.LOW),
        ("requirements.txt", "../shared", Severity.MEDIUM),
        ("requirements.txt", "/home/me/shared", Severity.MEDIUM),
        ("requirements.txt", "file:///home/me/shared", Severity.MEDIUM),
        ("requirements.txt", "~/code/shared", Severity.MEDIUM),
    ],
)
def test_local_path_dependency(
    tmp_path: Path, path: str, url: str, severity: Severity | None
) -> None:
    found = pins(tmp_path, manifest(path, req("shared", url=url, editable=True, path=path)))
    local = [f for f in found if f.rule_id == "AUD107"]
    if severity is None:
        assert local == []
    else:
        assert [f.severity for f in local] == [severity]


def test_local_target_resolves_relative_to_the_file() -> None:
    assert local_target(req("x", url="../libs/x", path="requirements/base.txt")) == "libs/x"
    assert local_target(req("x", url="../../x", path="requirements/base.txt")) == "../x"


# AUD108 -------------------------------------------------------------------------------------
def test_prerelease_pin_and_its_allowances(tmp_path: Path) -> None:
    item = manifest("requirements.txt", req("pydantic", "==2.0b3"), req("httpx", "==1.0.dev2"))
    assert ids(pins(tmp_path, item)) == [("AUD108", "httpx"), ("AUD108", "pydantic")]
    assert ids(pins(tmp_path, item, allow_prereleases=True)) == []
    allowed = pins(tmp_path, item, prerelease_allowed_packages=["Pydantic"])
    assert ids(allowed) == [("AUD108", "httpx")]
    assert allowed[0].version == "1.0.dev2"


def test_prerelease_range_is_not_a_prerelease_pin(tmp_path: Path) -> None:
    item = manifest("requirements.txt", req("pydantic", ">=2.0b3,<3"))
    assert ids(pins(tmp_path, item)) == []


# AUD110 / AUD111 ----------------------------------------------------------------------------
def test_invalid_lines_become_findings_with_suggestion(tmp_path: Path) -> None:
    item = manifest(
        "requirements.txt",
        issues=(
            issue("pip-install-command", "requirements.txt", 7, "pip install flask", "flask"),
            issue("not-a-requirement", "requirements.txt", 1, "Here are the packages:"),
            issue("markdown", "requirements.txt", 2, "```"),
            issue("several-requirements", "requirements.txt", 3, "a b", "a\nb"),
        ),
    )
    found = sorted(pins(tmp_path, item), key=lambda f: f.locations[0])
    assert [f.rule_id for f in found] == ["AUD110"] * 4
    assert [f.locations[0].line for f in found] == [1, 2, 3, 7]
    assert found[3].fix == "flask"
    assert "comment" in (found[0].fix or "")
    assert found[0].message.startswith("requirements.txt:1: ")


def test_unreadable_values_and_incompleteness(tmp_path: Path) -> None:
    item = manifest(
        "requirements.txt",
        issues=(
            issue("include-missing", "requirements.txt", 1, "-r base.txt"),
            issue("include-cycle", "requirements.txt", 2, "-r requirements.txt"),
            issue("dynamic-value", "requirements.txt", 3, "dynamic"),
            issue("something-else", "requirements.txt", 4, "?"),
        ),
    )
    ctx = context(tmp_path, item)
    outcome = run_full("pins", ctx)
    found = outcome.findings
    assert sorted(f.evidence["code"] for f in found) == [
        "dynamic-value",
        "include-cycle",
        "include-missing",
    ]
    assert {f.rule_id for f in found} == {"AUD111"}
    assert [i.source for i in outcome.incomplete] == ["input:requirements.txt"]


def test_lockfile_inputs_are_not_judged_as_manifests(tmp_path: Path) -> None:
    lock = lockfile("uv.lock", InputKind.UV_LOCK, pkg("requests", None))
    assert pins(tmp_path, lock) == []


def test_untranslatable_constraint_is_not_called_unpinned(tmp_path: Path) -> None:
    item = manifest(
        "pyproject.toml",
        req("numpy", path="pyproject.toml", line=12),
        issues=(issue("unsupported-constraint", "pyproject.toml", 12, 'numpy = "1.0 || 2.0"'),),
    )
    found = pins(tmp_path, item)
    assert ids(found) == [("AUD111", None)]


def test_included_dependency_group_is_judged_once(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "lib"\nversion = "1"\ndependencies = []\n'
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
        '[dependency-groups]\nlint = ["ruff"]\ndev = [{include-group = "lint"}, "pytest"]\n'
    )
    result = run_cli("scan", str(tmp_path), "--format", "json", "--offline", "--enable", "AUD101")
    findings = [f for f in json.loads(result.out)["findings"] if f["package"] == "ruff"]
    assert len(findings) == 1
    assert findings[0]["evidence"]["group"] == "lint"


def test_unpinned_library_requirement_is_low(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "lib"\nversion = "1"\ndependencies = ["requests"]\n'
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
    )
    result = run_cli("scan", str(tmp_path), "--format", "json", "--offline", "--enable", "AUD101")
    (finding,) = json.loads(result.out)["findings"]
    assert (finding["package"], finding["severity"]) == ("requests", "low")
