"""Requirements files: pip syntax, includes, and AI-written lines that are not requirements."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.errors import ParseError
from auditor.model import InputIssue, ParsedInput
from auditor.sources.requirements import RequirementsSource, requirements_group


def _parse(tmp_path: Path, text: str, name: str = "requirements.txt") -> ParsedInput:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return RequirementsSource().parse(tmp_path, name)


def _issue(parsed: ParsedInput, line: int) -> InputIssue:
    found = [i for i in parsed.issues if i.location.line == line]
    assert len(found) == 1, parsed.issues
    return found[0]


def test_basic_requirement_fields(tmp_path: Path) -> None:
    parsed = _parse(
        tmp_path,
        "# comment\nRequests[socks,security] >= 2.0, <3 ; python_version >= '3.8'  # why\n",
    )
    (req,) = parsed.requirements
    assert req.name == "requests"
    assert req.raw_name == "Requests"
    assert str(req.specifier) == "<3,>=2.0"
    assert req.extras == ("security", "socks")
    assert req.marker_text == 'python_version >= "3.8"'
    assert req.location.path == "requirements.txt"
    assert req.location.line == 2
    assert req.group == "main"
    assert "Requests[socks,security]" in req.line_text
    assert parsed.issues == ()


def test_hash_in_url_fragment_is_not_a_comment(tmp_path: Path) -> None:
    parsed = _parse(tmp_path, "pkg @ https://host.invalid/pkg-1.0.tar.gz#sha256=abc\n")
    (req,) = parsed.requirements
    assert req.url == "https://host.invalid/pkg-1.0.tar.gz#sha256=abc"


def test_continuations_and_hashes(tmp_path: Path) -> None:
    parsed = _parse(
        tmp_path,
        "flask==2.0.1 \\\n    --hash=sha256:aaa \\\n    --hash sha256:bbb\n\nrich==13.0\n",
    )
    flask, rich = parsed.requirements
    assert flask.location.line == 1
    assert flask.hashes == ("sha256:aaa", "sha256:bbb")
    assert rich.location.line == 5


def test_trailing_backslash_at_end_of_file(tmp_path: Path) -> None:
    parsed = _parse(tmp_path, "pkg1==1.0 \\")
    assert [r.name for r in parsed.requirements] == ["pkg1"]


def test_options_lines_are_ignored(tmp_path: Path) -> None:
    parsed = _parse(
        tmp_path,
        "--index-url https://mirror.invalid/simple\n-i https://mirror.invalid/simple\n"
        "--extra-index-url https://x.invalid\n--find-links ./wheels\n-f ./w\n--pre\n"
        "--no-binary :all:\n--only-binary=:none:\n--require-hashes\n--trusted-host x\n"
        "--prefer-binary\nsix\n",
    )
    assert [r.name for r in parsed.requirements] == ["six"]
    assert parsed.issues == ()


def test_env_var_expansion(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PKG_VERSION", "1.2.3")
    monkeypatch.delenv("UNSET_THING", raising=False)
    parsed = _parse(
        tmp_path,
        "a==${PKG_VERSION}\nb==${UNSET_THING}\n"
        "c @ git+https://${UNSET_THING}@github.invalid/o/c.git\n",
    )
    first = parsed.requirements[0]
    assert (first.name, str(first.specifier)) == ("a", "==1.2.3")
    names = [r.name for r in parsed.requirements]
    assert "b" not in names
    c = next(r for r in parsed.requirements if r.name == "c")
    assert "${UNSET_THING}" in (c.url or "")
    codes = [(i.code, i.location.line) for i in parsed.issues]
    assert codes == [("env-var-unset", 2), ("env-var-unset", 3)]


def test_nested_includes_relative_to_including_file(tmp_path: Path) -> None:
    (tmp_path / "reqs").mkdir()
    (tmp_path / "reqs" / "base.txt").write_text("requests==2.31.0\n-c ../constraints.txt\n")
    (tmp_path / "constraints.txt").write_text("urllib3<2\n")
    parsed = _parse(tmp_path, "-r reqs/base.txt\nflask\n")
    assert parsed.includes == ("reqs/base.txt", "constraints.txt")
    by_name = {str(r.name): r for r in parsed.requirements}
    assert by_name["requests"].location.path == "reqs/base.txt"
    assert by_name["requests"].location.line == 1
    assert not by_name["requests"].constraint
    assert by_name["urllib3"].constraint
    assert by_name["urllib3"].location.path == "constraints.txt"
    assert not by_name["flask"].constraint


def test_include_forms(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("alpha\n")
    (tmp_path / "b.txt").write_text("beta\n")
    (tmp_path / "c.txt").write_text("gamma\n")
    parsed = _parse(tmp_path, "--requirement=a.txt\n-rb.txt\n--constraint c.txt\n")
    assert {r.name: r.constraint for r in parsed.requirements} == {
        "alpha": False,
        "beta": False,
        "gamma": True,
    }


def test_include_cycle_is_an_issue(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("-r b.txt\nalpha\n")
    (tmp_path / "b.txt").write_text("-r a.txt\nbeta\n")
    parsed = RequirementsSource().parse(tmp_path, "a.txt")
    assert sorted(r.name for r in parsed.requirements) == ["alpha", "beta"]
    (issue,) = parsed.issues
    assert issue.code == "include-cycle"
    assert issue.location.path == "b.txt"
    assert issue.location.line == 1
    assert "a.txt -> b.txt -> a.txt" in issue.message


def test_self_include_is_a_cycle(tmp_path: Path) -> None:
    parsed = _parse(tmp_path, "-r requirements.txt\nsix\n")
    assert [i.code for i in parsed.issues] == ["include-cycle"]
    assert [r.name for r in parsed.requirements] == ["six"]


def test_diamond_include_is_read_once(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("-r common.txt\n")
    (tmp_path / "b.txt").write_text("-r common.txt\n")
    (tmp_path / "common.txt").write_text("six\n")
    parsed = _parse(tmp_path, "-r a.txt\n-r b.txt\n")
    assert [r.name for r in parsed.requirements] == ["six"]
    assert parsed.issues == ()


@pytest.mark.parametrize(
    "line",
    ["-r missing.txt", "-r ../../outside.txt", "-r /etc/passwd", "-r https://host.invalid/r.txt"],
)
def test_include_missing(tmp_path: Path, line: str) -> None:
    parsed = _parse(tmp_path, f"{line}\nsix\n")
    (issue,) = parsed.issues
    assert issue.code == "include-missing"
    assert issue.location.line == 1
    assert [r.name for r in parsed.requirements] == ["six"]


def test_missing_top_file_raises(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match=r"^nope\.txt: cannot read file"):
        RequirementsSource().parse(tmp_path, "nope.txt")


def test_vcs_and_direct_urls(tmp_path: Path) -> None:
    parsed = _parse(
        tmp_path,
        "git+https://github.invalid/o/repo.git@v1.2#egg=Repo_Pkg\n"
        "other @ git+https://github.invalid/o/other.git@abc123\n"
        "https://files.invalid/pkgs/demo_pkg-1.0-py3-none-any.whl\n"
        "https://files.invalid/archive/main.zip\n",
    )
    repo, other, demo = parsed.requirements
    assert repo.name == "repo-pkg"
    assert repo.raw_name == "Repo_Pkg"
    assert repo.is_vcs
    assert repo.url == "git+https://github.invalid/o/repo.git@v1.2#egg=Repo_Pkg"
    assert other.name == "other"
    assert other.is_vcs
    assert demo.name == "demo-pkg"
    (issue,) = parsed.issues
    assert issue.code == "unnamed-requirement"
    assert issue.location.line == 4


def test_editable_path_and_vcs(tmp_path: Path) -> None:
    (tmp_path / "libs" / "mylib").mkdir(parents=True)
    (tmp_path / "libs" / "mylib" / "pyproject.toml").write_text('[project]\nname = "My-Lib"\n')
    parsed = _parse(
        tmp_path,
        "-e ./libs/mylib\n--editable git+https://github.invalid/o/x.git@main#egg=xpkg\n",
    )
    mylib, xpkg = parsed.requirements
    assert (mylib.name, mylib.editable, mylib.url) == ("my-lib", True, "./libs/mylib")
    assert mylib.is_local_path
    assert (xpkg.name, xpkg.editable, xpkg.is_vcs) == ("xpkg", True, True)


def test_dev_group_from_file_name() -> None:
    assert requirements_group("requirements-dev.txt") == "dev"
    assert requirements_group("requirements/test.txt") == "dev"
    assert requirements_group("dev-requirements.txt") == "dev"
    assert requirements_group("requirements.txt") == "main"
    assert requirements_group("requirements/prod.txt") == "main"
    assert requirements_group("devices-requirements.txt") == "main"


# -- AI-written junk -------------------------------------------------------------------------

JUNK = """\
This project needs the following packages:
```text
flask>=2
```
- flask>=2
* requests
1. numpy==1.26.0
pip install flask requests
$ python -m pip install -U "django>=4"
pip install -r requirements-base.txt
flask requests==2.0
install these first
asdf 1.0
- run the app
"""


def test_ai_junk_lines(tmp_path: Path) -> None:
    parsed = _parse(tmp_path, JUNK)
    expected = {
        1: ("not-a-requirement", None),
        2: ("markdown", None),
        4: ("markdown", None),
        5: ("markdown", "flask>=2"),
        6: ("markdown", "requests"),
        7: ("markdown", "numpy==1.26.0"),
        8: ("pip-install-command", "flask\nrequests"),
        9: ("pip-install-command", "django>=4"),
        10: ("pip-install-command", "-r requirements-base.txt"),
        11: ("several-requirements", "flask\nrequests==2.0"),
        12: ("not-a-requirement", None),
        13: ("not-a-requirement", "asdf==1.0"),
        14: ("markdown", None),
    }
    got = {i.location.line: (i.code, i.suggestion) for i in parsed.issues}
    assert got == expected
    assert "asdf==1.0" in _issue(parsed, 13).message
    # Clear intent still counts: the implied requirements are emitted at the offending line.
    emitted = [(r.location.line, r.name, str(r.specifier)) for r in parsed.requirements]
    assert emitted == [
        (3, "flask", ">=2"),
        (5, "flask", ">=2"),
        (6, "requests", ""),
        (7, "numpy", "==1.26.0"),
        (8, "flask", ""),
        (8, "requests", ""),
        (9, "django", ">=4"),
        (11, "flask", ""),
        (11, "requests", "==2.0"),
    ]
    assert all(i.line_text for i in parsed.issues)


def test_valid_lines_still_count_among_junk(tmp_path: Path) -> None:
    parsed = _parse(tmp_path, "Here are the deps:\nrequests==2.31.0\n???\nrich\n")
    assert [r.name for r in parsed.requirements] == ["requests", "rich"]
    assert [i.code for i in parsed.issues] == ["not-a-requirement", "not-a-requirement"]


def test_unknown_option_is_an_issue(tmp_path: Path) -> None:
    parsed = _parse(tmp_path, "--frobnicate\nsix\n")
    assert [i.code for i in parsed.issues] == ["not-a-requirement"]
    assert [r.name for r in parsed.requirements] == ["six"]
