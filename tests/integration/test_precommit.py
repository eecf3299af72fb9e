"""The pre-commit hook, run by the real `pre-commit` tool against a temporary git repository.

The hook definition is read from this repository's .pre-commit-hooks.yaml and used as a local
hook (``language: system`` running the installed ``auditor``), so nothing is installed and no
network is needed. (``pre-commit try-repo`` would pip-install this package into a fresh
environment, which needs the package index: not done here.) The index and OSV addresses point
at a dead loopback port, so every run is also the offline case.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO

pytestmark = pytest.mark.slow

AUDITOR = shutil.which("auditor")
PRE_COMMIT = shutil.which("pre-commit")


def _hook(args: list[str] | None = None) -> dict[str, Any]:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    hook: dict[str, Any] = next(h for h in hooks if h["id"] == "auditor")
    hook = {**hook, "language": "system"}
    if args:
        hook["args"] = args
    return hook


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    if AUDITOR is None or PRE_COMMIT is None:
        pytest.skip("needs the auditor and pre-commit commands on PATH")
    monkeypatch.setenv("PRE_COMMIT_HOME", str(tmp_path / "pre-commit-home"))
    for key, value in (
        ("GIT_AUTHOR_NAME", "t"),
        ("GIT_AUTHOR_EMAIL", "t@example.invalid"),
        ("GIT_COMMITTER_NAME", "t"),
        ("GIT_COMMITTER_EMAIL", "t@example.invalid"),
    ):
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AUDITOR_NO_PROGRESS", raising=False)
    root = tmp_path / "app"
    root.mkdir()
    _git(root, "init", "-q", "-b", "main")
    (root / "requirements.txt").write_text("requests==2.19.0\n", encoding="utf-8")
    (root / "app.py").write_text(
        "import flask\nimport requests\n\nrequests.get(flask.__name__)\n", encoding="utf-8"
    )
    (root / "notes.py").write_text("VALUE = 1\n", encoding="utf-8")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "start", "--no-verify")
    return root


def _configure(root: Path, args: list[str] | None = None) -> None:
    config = {"repos": [{"repo": "local", "hooks": [_hook(args)]}]}
    (root / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")


def _run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PRE_COMMIT), "run", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        env={k: v for k, v in os.environ.items() if k != "AUDITOR_OFFLINE"},
        timeout=120,
    )


def test_hook_passes_offline_and_says_what_was_not_checked(repo: Path) -> None:
    _configure(repo)
    done = _run(repo, "--files", "requirements.txt", "app.py")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "auditor (dependency audit)" in done.stdout
    assert "Passed" in done.stdout
    assert "not checked:" in done.stdout


def test_hook_fails_on_a_finding_in_the_changed_manifest(repo: Path) -> None:
    _configure(repo, ["--fail-on", "medium"])
    (repo / "requirements.txt").write_text("requests==2.19.0\nflask\n", encoding="utf-8")
    done = _run(repo, "--files", "requirements.txt")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Failed" in done.stdout
    assert "requirements.txt:2: AUD101" in done.stdout


def test_hook_ignores_findings_outside_the_change(repo: Path) -> None:
    _configure(repo, ["--fail-on", "medium"])
    (repo / "requirements.txt").write_text("requests==2.19.0\nflask\n", encoding="utf-8")
    done = _run(repo, "--files", "notes.py")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "AUD101" not in done.stdout


def test_hook_blocks_a_real_commit(repo: Path) -> None:
    _configure(repo, ["--fail-on", "medium"])
    install = subprocess.run(
        [str(PRE_COMMIT), "install"], cwd=repo, capture_output=True, text=True, check=False
    )
    assert install.returncode == 0, install.stderr
    (repo / "requirements.txt").write_text("requests==2.19.0\nflask\n", encoding="utf-8")
    _git(repo, "add", "requirements.txt")
    commit = subprocess.run(
        ["git", "-C", str(repo), "commit", "-m", "add flask"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert commit.returncode != 0
    assert "AUD101" in commit.stdout + commit.stderr
    (repo / "requirements.txt").write_text("requests==2.19.0\nflask==3.0.3\n", encoding="utf-8")
    _git(repo, "add", "requirements.txt")
    commit = subprocess.run(
        ["git", "-C", str(repo), "commit", "-m", "add flask, pinned"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert commit.returncode == 0, commit.stdout + commit.stderr


def test_hook_definition() -> None:
    import re

    hook = _hook()
    assert hook["entry"].split()[:3] == ["auditor", "scan", "--pre-commit"]
    assert hook["pass_filenames"] is True
    assert hook["require_serial"] is True
    pattern = re.compile(hook["files"])
    for name in (
        "requirements.txt",
        "sub/requirements-dev.in",
        "pyproject.toml",
        "poetry.lock",
        "uv.lock",
        "Pipfile.lock",
        "pkg/mod.py",
        "requirements/base.txt",
    ):
        assert pattern.search(name), name
    for name in ("README.md", "notes.txt", "data.json"):
        assert not pattern.search(name), name
