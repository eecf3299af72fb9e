"""Projects inside a repository: the folder (audit unit) a file belongs to."""

from __future__ import annotations

from auditor.model import Finding, InputKind, Location, ParsedInput, Severity
from auditor.projects import finding_projects, project_of, projects_json, scope_of
from auditor.result import AuditResult


def test_scope_and_project_of() -> None:
    assert scope_of("requirements/dev.txt") == ""
    assert scope_of("services/api/requirements/prod.txt") == "services/api"
    projects = {"", "services/api", "labs/one"}
    assert project_of("services/api/pyproject.toml", projects) == "services/api"
    assert project_of("services/api/requirements/prod.in", projects) == "services/api"
    assert project_of("labs/two/x.txt", projects) == ""


def test_findings_are_grouped_by_project() -> None:
    def finding(path: str) -> Finding:
        return Finding(
            rule_id="AUD101",
            rule_name="unpinned-requirement",
            severity=Severity.MEDIUM,
            message="m",
            package="x",
            locations=(Location(path=path, line=1),),
        )

    one, two = finding("pyproject.toml"), finding("labs/one/requirements.txt")
    result = AuditResult(
        target=".",
        tool_version="0",
        inputs=(
            ParsedInput(path="pyproject.toml", kind=InputKind.PYPROJECT),
            ParsedInput(path="uv.lock", kind=InputKind.UV_LOCK),
            ParsedInput(path="labs/one/requirements.txt", kind=InputKind.REQUIREMENTS),
        ),
        packages=(),
        findings=(one, two),
    )
    assert finding_projects(result) == {one.fingerprint: "", two.fingerprint: "labs/one"}
    assert projects_json(result) == [
        {"path": ".", "inputs": ["pyproject.toml", "uv.lock"], "findings": [one.fingerprint]},
        {
            "path": "labs/one",
            "inputs": ["labs/one/requirements.txt"],
            "findings": [two.fingerprint],
        },
    ]
