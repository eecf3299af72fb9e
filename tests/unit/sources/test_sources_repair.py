"""Requirement lines with the wrong version syntax: a clear issue and the corrected text."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.model import InputIssue, InputKind, Location, ParsedInput
from auditor.sources.declared import parse_pep508, requirement_or_issue
from auditor.sources.repair import repair_requirement
from auditor.sources.requirements import RequirementsSource


def _parse(tmp_path: Path, text: str) -> ParsedInput:
    (tmp_path / "requirements.txt").write_text(text, encoding="utf-8")
    return RequirementsSource().parse(tmp_path, "requirements.txt")


@pytest.mark.parametrize(
    ("line", "fixed", "why"),
    [
        ("requests=2.31", "requests==2.31", "single '='"),
        ("rich => 13.0", "rich>=13.0", "'=>' is not an operator"),
        ("attrs=<23.1", "attrs<=23.1", "'=<' is not an operator"),
        ("tqdm>==4.0", "tqdm>=4.0", "'>==' is not an operator"),
        ("django>=3.0.*", "django>=3.0", "'.*' only works"),
        ("httpx^2.0", "httpx>=2.0,<3.0", "Poetry/npm"),
        ("pydantic~1.10", "pydantic>=1.10,<1.11", "Poetry/npm"),
        ("sqlalchemy>2.0<3.0", "sqlalchemy>2.0,<3.0", "commas"),
        ("flask==latest", "flask", "'latest' is not a version"),
        ("uvicorn[standard]=0.30.0", "uvicorn[standard]==0.30.0", "single '='"),
        ("numpy=1.26; python_version >= '3.9'", 'numpy==1.26; python_version >= "3.9"', "'='"),
    ],
)
def test_requirements_file_line_gets_the_fix(
    tmp_path: Path, line: str, fixed: str, why: str
) -> None:
    parsed = _parse(tmp_path, f"{line}\n")
    (issue,) = parsed.issues
    assert issue.code == "not-a-requirement"
    assert why in issue.message
    assert issue.suggestion is not None
    assert issue.suggestion.replace("'", '"') == fixed.replace("'", '"')
    # The intent is clear, so the package is still audited (at the offending line).
    (req,) = parsed.requirements
    assert req.location.line == 1
    assert req.raw_name == parse_pep508(fixed).name


@pytest.mark.parametrize(
    "line",
    [
        "Here are the dependencies you need:",
        "python>=3.8 is required",
        "django >= 3 and < 4",
        "foo~bar",
        "numpy==1.2",  # already valid: nothing to repair
    ],
)
def test_unclear_lines_are_not_repaired(line: str) -> None:
    assert repair_requirement(line) is None


def test_prose_is_called_prose(tmp_path: Path) -> None:
    parsed = _parse(tmp_path, "Here are the dependencies you need:\n")
    (issue,) = parsed.issues
    assert issue.message == "prose, not a requirement"
    assert parsed.requirements == ()


def test_name_and_bare_version_suggests_the_pin(tmp_path: Path) -> None:
    parsed = _parse(tmp_path, "celery 5.3.4\n")
    (issue,) = parsed.issues
    assert issue.suggestion == "celery==5.3.4"
    assert parsed.requirements == ()  # a lone name and number: not emitted (intent unclear)


def test_pyproject_dependency_with_wrong_operator_carries_the_fix() -> None:
    found = requirement_or_issue(
        "requests=2.31", location=Location(path="pyproject.toml", line=7), kind=InputKind.PYPROJECT
    )
    assert isinstance(found, InputIssue)
    assert found.suggestion == "requests==2.31"
    assert "did you mean requests==2.31?" in found.message


def test_editable_project_with_extras_is_named_from_its_metadata(tmp_path: Path) -> None:
    # requests' requirements-dev.txt: "-e .[socks]"; pip accepts extras after a local path.
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "requests"\n', encoding="utf-8")
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "setup.cfg").write_text("[metadata]\nname = mylib\n", encoding="utf-8")
    (tmp_path / "requirements.txt").write_text("-e .[socks]\n-e ./lib[cli,x]\n", encoding="utf-8")
    parsed = RequirementsSource().parse(tmp_path, "requirements.txt")
    assert parsed.issues == ()
    got = [(r.name, r.url, r.extras, r.editable) for r in parsed.requirements]
    assert got == [("requests", ".", ("socks",), True), ("mylib", "./lib", ("cli", "x"), True)]


def test_unnamed_git_url_says_it_follows_the_default_branch(tmp_path: Path) -> None:
    # celery's requirements/dev.txt: git+https://github.com/celery/kombu.git (no #egg=, no ref).
    parsed = _parse(tmp_path, "git+https://github.com/celery/kombu.git\n")
    (issue,) = parsed.issues
    assert issue.code == "unnamed-requirement"
    assert "default branch" in issue.message
    assert issue.suggestion == "kombu @ git+https://github.com/celery/kombu.git@<full commit id>"
