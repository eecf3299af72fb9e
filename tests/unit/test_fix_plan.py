"""The pin rewriter: smallest fixing versions and exact, formatting-preserving line edits."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from packaging.specifiers import SpecifierSet

from auditor.config import load_config
from auditor.fix import (
    apply_plan,
    find_pin,
    fix_targets,
    named_fix,
    plan_fixes,
)
from auditor.model import (
    Finding,
    InputKind,
    Location,
    LockedPackage,
    ParsedInput,
    Requirement,
    Severity,
    canonical_name,
)
from auditor.pipeline import scan_inputs


def vuln(
    package: str,
    version: str,
    fixed_in: list[str] | None = None,
    *,
    by_advisory: Mapping[str, list[str]] | None = None,
    key: str = "PYSEC-0",
    fix: str | None = None,
    path: str = "requirements.txt",
) -> Finding:
    evidence: dict[str, Any] = {"advisories": [key], "fixed_in": fixed_in or []}
    if by_advisory is not None:
        evidence["fixed_by_advisory"] = dict(by_advisory)
    return Finding(
        rule_id="AUD201",
        rule_name="known-vulnerability",
        severity=Severity.HIGH,
        message=f"{package} {version} is affected by {key}",
        package=package,
        version=version,
        locations=(Location(path=path, line=1),),
        evidence=evidence,
        fix=fix,
        key=key,
    )


def yanked(package: str, version: str, replacement: str | None) -> Finding:
    return Finding(
        rule_id="AUD404",
        rule_name="yanked-version",
        severity=Severity.HIGH,
        message="yanked",
        package=package,
        version=version,
        evidence={"yanked_reason": None, "replacement": replacement},
    )


def req(
    name: str,
    spec: str,
    line: int,
    *,
    path: str = "requirements.txt",
    kind: InputKind = InputKind.REQUIREMENTS,
    hashes: tuple[str, ...] = (),
    constraint: bool = False,
) -> Requirement:
    return Requirement(
        name=canonical_name(name),
        raw_name=name,
        specifier=SpecifierSet(spec),
        location=Location(path=path, line=line),
        kind=kind,
        hashes=hashes,
        constraint=constraint,
    )


def parsed(path: str, kind: InputKind, *requirements: Requirement) -> ParsedInput:
    return ParsedInput(path=path, kind=kind, requirements=requirements)


# -- choosing the version --------------------------------------------------------------------


def named(finding: Finding, fix_version: str | None) -> Finding:
    """The finding as the scan writes it: naming the package version's upgrade."""
    evidence = {**finding.evidence, "fix_version": fix_version}
    return Finding(rule_id=finding.rule_id, rule_name=finding.rule_name, severity=finding.severity,
                   message=finding.message, package=finding.package, version=finding.version,
                   locations=finding.locations, evidence=evidence, fix=finding.fix,
                   key=finding.key)  # fmt: skip


def test_the_version_the_finding_names_is_written() -> None:
    # fixed_in alone would say 1.2.5; the scan named 1.3.2 (B reintroduced at 1.3): 1.3.2 wins.
    (target,) = fix_targets([named(vuln("pkg", "1.2.0", ["1.2.5", "1.3.2"], key="A"), "1.3.2"),
                             named(vuln("pkg", "1.2.0", ["1.3.0"], key="B"), "1.3.2")])  # fmt: skip
    assert (target.target, target.unfixed_advisories) == ("1.3.2", ())


@pytest.mark.parametrize(
    ("current", "fixed_in", "expected"),
    [
        # Older findings without fix_version: the console's rule (smallest fixed_in above).
        ("1.2.0", ["1.2.5", "2.0.1"], "1.2.5"),
        ("2.0.0", ["1.2.5", "2.0.1"], "2.0.1"),
        ("3.0", ["2.0", "3.1"], "3.1"),
        ("3.0", ["2.0"], None),
    ],
)
def test_named_fix_falls_back_on_fixed_in(
    current: str, fixed_in: list[str], expected: str | None
) -> None:
    assert named_fix(vuln("pkg", current, fixed_in)) == expected


def test_advisory_without_fix_is_reported(tmp_path: Path) -> None:
    (target,) = fix_targets([named(vuln("pkg", "1.0", ["1.1"], key="A"), "1.1"),
                             named(vuln("pkg", "1.0", [], key="B"), None)])  # fmt: skip
    assert (target.target, target.unfixed_advisories) == ("1.1", ("B",))
    (target,) = fix_targets([named(vuln("pkg", "1.0", ["0.9"], key="B"), None)])
    assert (target.target, target.unfixed_advisories) == (None, ("B",))
    (tmp_path / "requirements.txt").write_text("pkg==1.0\n")
    inputs = [parsed("requirements.txt", InputKind.REQUIREMENTS, req("pkg", "==1.0", 1))]
    plan = plan_fixes([named(vuln("pkg", "1.0", [], key="B"), None)], inputs, tmp_path)
    assert plan.edits == ()
    assert [s.reason for s in plan.skipped] == ["no fixed release is known for B"]


def test_targets_merge_findings_of_one_version() -> None:
    targets = fix_targets(
        [
            vuln("Requests", "2.19.0", ["2.20.0"], key="A"),
            vuln("requests", "2.19.0", ["2.22.0"], key="B"),
            yanked("requests", "2.19.0", "2.19.1"),
            vuln("flask", "0.12", [], fix="upgrade flask to >= 0.12.3", key="C"),
        ]
    )
    by_name = {t.package: t for t in targets}
    assert by_name["requests"].target == "2.22.0"
    assert by_name["requests"].rule_ids == ("AUD201", "AUD404")
    assert by_name["requests"].advisories == ("A", "B")
    assert by_name["flask"].target == "0.12.3"


def test_yanked_replacement_wins_when_higher() -> None:
    (target,) = fix_targets([vuln("pkg", "1.0", ["1.0.1"]), yanked("pkg", "1.0", "1.0.2")])
    assert target.target == "1.0.2"


# -- finding pins in lines -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "kind", "found"),
    [
        ("requests==2.19.0\n", InputKind.REQUIREMENTS, "2.19.0"),
        ("Requests[socks] == 2.19 ; python_version>'3'  # c\n", InputKind.REQUIREMENTS, "2.19"),
        ("requests>=2,==2.19.0\n", InputKind.REQUIREMENTS, "2.19.0"),
        ("requests===2.19.0\n", InputKind.REQUIREMENTS, "2.19.0"),
        ('    "requests==2.19.0",  # pinned\n', InputKind.PYPROJECT, "2.19.0"),
        ('requests = "2.19.0"\n', InputKind.PYPROJECT, "2.19.0"),
        ('requests = { version = "==2.19.0", extras = ["socks"] }\n', InputKind.PYPROJECT,
         "2.19.0"),
        ('requests = "==2.19.0"\n', InputKind.PIPFILE, "2.19.0"),
        ("    requests==2.19.0\n", InputKind.SETUP_CFG, "2.19.0"),
    ],
)  # fmt: skip
def test_find_pin(line: str, kind: InputKind, found: str) -> None:
    span = find_pin(line, "requests", "2.19.0", kind)
    assert span is not None
    assert line[span[0] : span[1]] == found


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("requests-toolbelt==2.19.0\n", InputKind.REQUIREMENTS),
        ("my-requests==2.19.0\n", InputKind.REQUIREMENTS),
        ("requests==2.19.*\n", InputKind.REQUIREMENTS),
        ("requests==2.19.0.1\n", InputKind.REQUIREMENTS),
        ("# requests==2.19.0\n", InputKind.REQUIREMENTS),
        ("flask==1.0  # requests==2.19.0\n", InputKind.REQUIREMENTS),
        ('# "requests==2.19.0",\n', InputKind.PYPROJECT),
        ('requests = "^2.19.0"\n', InputKind.PYPROJECT),
        ('requests = "2.19.0"\n', InputKind.PIPFILE),  # Pipfile needs an operator
    ],
)
def test_find_pin_refuses(line: str, kind: InputKind) -> None:
    assert find_pin(line, "requests", "2.19.0", kind) is None


# -- planning and applying -------------------------------------------------------------------


def test_requirements_edit_preserves_everything_else(tmp_path: Path) -> None:
    text = (
        "# app deps\r\n"
        'requests[socks]==2.19.0 ; python_version >= "3.8"  # http client\r\n'
        "flask>=2\r\n"
    )
    (tmp_path / "requirements.txt").write_bytes(text.encode())
    inputs = [parsed("requirements.txt", InputKind.REQUIREMENTS, req("requests", "==2.19.0", 2))]
    plan = plan_fixes([vuln("requests", "2.19.0", ["2.20.0"])], inputs, tmp_path)
    assert [e.to_json()["to"] for e in plan.edits] == ["2.20.0"]
    assert plan.diff() == (
        "--- a/requirements.txt\n"
        "+++ b/requirements.txt\n"
        "@@ -1,3 +1,3 @@\n"
        " # app deps\r\n"
        '-requests[socks]==2.19.0 ; python_version >= "3.8"  # http client\r\n'
        '+requests[socks]==2.20.0 ; python_version >= "3.8"  # http client\r\n'
        " flask>=2\r\n"
    )
    assert (tmp_path / "requirements.txt").read_bytes() == text.encode()  # dry run
    assert apply_plan(plan) == ["requirements.txt"]
    assert (tmp_path / "requirements.txt").read_bytes() == text.replace("2.19.0", "2.20.0").encode()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["requirements.txt"]  # no temp files


def test_hashes_are_kept_and_flagged(tmp_path: Path) -> None:
    text = "requests==2.19.0 \\\n    --hash=sha256:aaaa \\\n    --hash=sha256:bbbb\n"
    (tmp_path / "requirements.txt").write_text(text)
    inputs = [
        parsed(
            "requirements.txt",
            InputKind.REQUIREMENTS,
            req("requests", "==2.19.0", 1, hashes=("sha256:aaaa", "sha256:bbbb")),
        )
    ]
    plan = plan_fixes([vuln("requests", "2.19.0", ["2.20.0"])], inputs, tmp_path)
    (edit,) = plan.edits
    assert edit.new_text == "requests==2.20.0 \\\n"
    assert edit.warnings == (
        "requirements.txt:1: the --hash values belong to 2.19.0; regenerate them for 2.20.0 "
        "(e.g. pip-compile --generate-hashes; pip refuses the install until you do)",
    )
    assert plan.new_text("requirements.txt").endswith("--hash=sha256:bbbb\n")


def test_pyproject_tables(tmp_path: Path) -> None:
    text = (
        "[project]\n"
        'name = "app"\n'
        'dependencies = ["requests==2.19.0", "jinja2==2.10"]  # two on one line\n'
        "[project.optional-dependencies]\n"
        "web = [\n    \"Flask[async] == 0.12 ; python_version >= '3.8'\",\n]\n"
        "[dependency-groups]\n"
        'dev = ["requests==2.19.0"]\n'
        "[tool.poetry.dependencies]\n"
        'requests = "2.19.0"\n'
        'flask = { version = "==0.12", extras = ["async"] }  # keep\n'
    )
    (tmp_path / "pyproject.toml").write_text(text)
    p = "pyproject.toml"
    k = InputKind.PYPROJECT
    inputs = [
        parsed(
            p,
            k,
            req("requests", "==2.19.0", 3, path=p, kind=k),
            req("jinja2", "==2.10", 3, path=p, kind=k),
            req("flask", "==0.12", 6, path=p, kind=k),
            req("requests", "==2.19.0", 9, path=p, kind=k),
            req("requests", "==2.19.0", 11, path=p, kind=k),
            req("flask", "==0.12", 12, path=p, kind=k),
        )
    ]
    findings = [
        vuln("requests", "2.19.0", ["2.20.0"], path=p),
        vuln("jinja2", "2.10", ["2.10.1"], path=p),
        vuln("flask", "0.12", ["0.12.3"], path=p),
    ]
    plan = plan_fixes(findings, inputs, tmp_path)
    assert len(plan.edits) == 6
    assert plan.new_text(p) == (
        "[project]\n"
        'name = "app"\n'
        'dependencies = ["requests==2.20.0", "jinja2==2.10.1"]  # two on one line\n'
        "[project.optional-dependencies]\n"
        "web = [\n    \"Flask[async] == 0.12.3 ; python_version >= '3.8'\",\n]\n"
        "[dependency-groups]\n"
        'dev = ["requests==2.20.0"]\n'
        "[tool.poetry.dependencies]\n"
        'requests = "2.20.0"\n'
        'flask = { version = "==0.12.3", extras = ["async"] }  # keep\n'
    )
    assert plan.skipped == ()


def test_lockfile_only_is_reported_not_edited(tmp_path: Path) -> None:
    lock = ParsedInput(
        path="poetry.lock",
        kind=InputKind.POETRY_LOCK,
        packages=(
            LockedPackage(
                name="urllib3",
                raw_name="urllib3",
                version="1.24.1",
                location=Location(path="poetry.lock", line=10),
                kind=InputKind.POETRY_LOCK,
            ),
        ),
    )
    plan = plan_fixes([vuln("urllib3", "1.24.1", ["1.24.2"])], [lock], tmp_path)
    assert plan.edits == ()
    (skip,) = plan.skipped
    assert skip.reason == (
        "poetry.lock locks 1.24.1: re-lock with your locking tool so it resolves urllib3>=1.24.2"
    )


def test_unfixable_and_unpinned_are_reported(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("requests>=2\n")
    inputs = [parsed("requirements.txt", InputKind.REQUIREMENTS, req("requests", ">=2", 1))]
    plan = plan_fixes(
        [vuln("requests", "2.19.0", ["2.20.0"]), vuln("nofix", "1.0", [], key="GHSA-x")],
        inputs,
        tmp_path,
    )
    assert plan.edits == ()
    assert [s.to_json()["reason"] for s in plan.skipped] == [
        "no fixed release is known for GHSA-x",
        "no exact pin of this version in a manifest; require requests>=2.20.0 where it is declared",
    ]


def test_constraints_and_setup_py(tmp_path: Path) -> None:
    (tmp_path / "constraints.txt").write_text("requests==2.19.0\n")
    inputs = [
        parsed(
            "constraints.txt",
            InputKind.REQUIREMENTS,
            req("requests", "==2.19.0", 1, path="constraints.txt", constraint=True),
        ),
        parsed(
            "setup.py",
            InputKind.SETUP_PY,
            req("requests", "==2.19.0", 5, path="setup.py", kind=InputKind.SETUP_PY),
        ),
    ]
    plan = plan_fixes([vuln("requests", "2.19.0", ["2.20.0"])], inputs, tmp_path)
    assert [(e.path, e.new_text) for e in plan.edits] == [("constraints.txt", "requests==2.20.0\n")]
    assert [s.reason for s in plan.skipped] == [
        "setup.py:5: auditor does not rewrite setup.py files; require requests==2.20.0 there "
        "by hand"
    ]


def test_apply_leaves_a_file_changed_meanwhile(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("requests==2.19.0\n")
    inputs = [parsed("requirements.txt", InputKind.REQUIREMENTS, req("requests", "==2.19.0", 1))]
    plan = plan_fixes([vuln("requests", "2.19.0", ["2.20.0"])], inputs, tmp_path)
    (tmp_path / "requirements.txt").write_text("requests==2.19.0\nflask\n")
    assert apply_plan(plan) == []
    assert (tmp_path / "requirements.txt").read_text() == "requests==2.19.0\nflask\n"


def test_plan_json(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("requests==2.19.0")
    inputs = [parsed("requirements.txt", InputKind.REQUIREMENTS, req("requests", "==2.19.0", 1))]
    plan = plan_fixes([vuln("requests", "2.19.0", ["2.20.0"], key="PYSEC-1")], inputs, tmp_path)
    data = plan.to_json()
    assert data["files"] == ["requirements.txt"]
    assert data["edits"] == [
        {
            "action": "upgrade",
            "end_line": 1,
            "path": "requirements.txt",
            "line": 1,
            "package": "requests",
            "from": "2.19.0",
            "to": "2.20.0",
            "old": "requests==2.19.0",
            "new": "requests==2.20.0",
            "rules": ["AUD201"],
            "advisories": ["PYSEC-1"],
            "warnings": [],
        }
    ]
    assert data["diff"].endswith("+requests==2.20.0\n\\ No newline at end of file\n")


def test_with_the_real_parsers(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(
        "# deps\nrequests==2.19.0  # http\nflask[async]==0.12 ; python_version >= '3.8'\n"
    )
    scan = scan_inputs(load_config(tmp_path))
    plan = plan_fixes(
        [vuln("requests", "2.19.0", ["2.20.0"]), vuln("flask", "0.12", ["0.12.3"])],
        scan.inputs,
        tmp_path,
    )
    assert plan.new_text("requirements.txt") == (
        "# deps\nrequests==2.20.0  # http\nflask[async]==0.12.3 ; python_version >= '3.8'\n"
    )
