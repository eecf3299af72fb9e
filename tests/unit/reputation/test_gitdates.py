"""Git history dates: first commit of a file and of a name in it, read-only and optional."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from auditor.reputation.gitdates import GitHistory

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(repo: Path, *args: str, date: str | None = None) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}  # fmt: skip
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
    subprocess.run(["git", "-C", str(repo), *args], check=True, env=env, capture_output=True)


def commit(repo: Path, files: dict[str, str], date: str) -> None:
    for rel, text in files.items():
        (repo / rel).write_text(text, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "change", date=date)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q")
    commit(tmp_path, {"requirements.txt": "flask==3.0\n"}, "2024-01-10T12:00:00+00:00")
    commit(
        tmp_path, {"requirements.txt": "flask==3.0\nnewthing==1.0\n"}, "2024-03-05T08:00:00+00:00"
    )
    commit(
        tmp_path, {"requirements.txt": "flask==3.1\nnewthing==1.0\n"}, "2024-06-01T08:00:00+00:00"
    )
    return tmp_path


def test_first_commit_and_first_mention(repo: Path) -> None:
    history = GitHistory(repo)
    assert history.usable
    assert history.first_commit("requirements.txt") == dt.datetime(2024, 1, 10, 12, tzinfo=dt.UTC)
    assert history.first_mention("requirements.txt", "newthing") == dt.datetime(
        2024, 3, 5, 8, tzinfo=dt.UTC
    )
    # flask's line changed later, but the name first appeared in the first commit.
    assert history.first_mention("requirements.txt", "flask") == dt.datetime(
        2024, 1, 10, 12, tzinfo=dt.UTC
    )
    assert history.first_mention("requirements.txt", "absent") is None
    assert history.first_mention("requirements.txt", "--option") is None
    assert history.first_commit("untracked.txt") is None


def test_works_from_a_subfolder(repo: Path) -> None:
    sub = repo / "app"
    sub.mkdir()
    commit(repo, {"app/requirements.txt": "django\n"}, "2024-07-01T00:00:00+00:00")
    history = GitHistory(sub)
    assert history.first_commit("requirements.txt") == dt.datetime(2024, 7, 1, tzinfo=dt.UTC)


def test_not_a_repository(tmp_path: Path) -> None:
    history = GitHistory(tmp_path)
    assert not history.usable
    assert history.problem
    assert history.first_commit("requirements.txt") is None


def test_without_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    history = GitHistory(tmp_path)
    assert not history.usable
    assert history.problem == "git is not installed"


def test_repository_textconv_drivers_never_run(repo: Path) -> None:
    marker = repo / "ran"
    (repo / ".gitattributes").write_text("*.txt diff=evil\n", encoding="utf-8")
    git(repo, "config", "diff.evil.textconv", f"touch {marker}; cat")
    git(repo, "config", "core.pager", f"touch {marker}; cat")
    commit(
        repo,
        {"requirements.txt": "flask==3.1\nnewthing==1.0\nother\n"},
        "2024-08-01T00:00:00+00:00",
    )
    history = GitHistory(repo)
    assert history.first_mention("requirements.txt", "other") is not None
    assert not marker.exists()
