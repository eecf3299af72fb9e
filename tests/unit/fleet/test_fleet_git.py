"""Git for the fleet: safe options, deadlines, clean-checkout commits; the task's checkout step."""

from __future__ import annotations

from pathlib import Path

import pytest
from fleet_helpers import SlowResolver, commit_all, git

from auditor.fleet.git import SAFE_OPTIONS, GitError, head_commit, remote_head, shallow_clone
from auditor.fleet.model import RepoStatus, RepoTask
from auditor.fleet.sources import RepoSource
from auditor.fleet.task import audit_repository


def test_every_call_disables_hooks_and_submodules() -> None:
    pairs = dict(zip(SAFE_OPTIONS[1::2], SAFE_OPTIONS[::2], strict=True))
    assert "core.hooksPath=/dev/null" in pairs
    assert "submodule.recurse=false" in pairs
    assert "protocol.ext.allow=never" in pairs


def test_clone_and_remote_head(tmp_path: Path) -> None:
    origin = tmp_path / "origin"
    origin.mkdir()
    (origin / "requirements.txt").write_text("click==8.1.0\n")
    commit = commit_all(origin)
    assert remote_head(origin.as_uri(), timeout=30) == commit
    dest = tmp_path / "work" / "clone"
    assert shallow_clone(origin.as_uri(), dest, timeout=30) == commit
    assert (dest / "requirements.txt").read_text() == "click==8.1.0\n"
    assert git(dest, "rev-list", "--count", "HEAD").strip() == "1"
    assert head_commit(dest, timeout=30) == commit
    (dest / "requirements.txt").write_text("click==8.1.1\n")
    assert head_commit(dest, timeout=30) is None  # modified: the content hash decides
    assert head_commit(tmp_path, timeout=30) is None  # not a checkout


def test_ext_transport_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    with pytest.raises(GitError, match="git ls-remote failed"):
        remote_head(f"ext::sh -c touch% {marker}", timeout=30)
    assert not marker.exists()


def test_a_missing_remote_fails_with_git_error(tmp_path: Path) -> None:
    with pytest.raises(GitError, match="git clone failed"):
        shallow_clone((tmp_path / "nope").as_uri(), tmp_path / "dest", timeout=30)


def test_the_task_stores_the_report_and_skips_an_unchanged_revision(tmp_path: Path) -> None:
    folder = tmp_path / "repo"
    folder.mkdir()
    (folder / "requirements.txt").write_text("click==8.1.0\n")
    source = RepoSource(name="repo", location=str(folder), is_url=False, origin="t")
    task = RepoTask(
        source=source,
        state_dir=tmp_path / "state",
        work_dir=tmp_path / "w",
        fingerprint="f1",
        resolve=SlowResolver(0),
        cache_dir=tmp_path / "cache",
    )
    first = audit_repository(task)
    assert first.status is RepoStatus.SCANNED
    assert first.revision is not None
    assert first.revision.startswith("sha256-")
    second = audit_repository(task)
    assert second.status is RepoStatus.UNCHANGED
    assert second.report == first.report
    (folder / "requirements.txt").write_text("click==8.1.1\n")
    assert audit_repository(task).status is RepoStatus.SCANNED
    import dataclasses

    other = dataclasses.replace(task, fingerprint="f2")
    assert audit_repository(other).status is RepoStatus.SCANNED  # new settings: audited again
    gone = dataclasses.replace(task, source=dataclasses.replace(source, location="/nonexistent"))
    outcome = audit_repository(gone)
    assert outcome.status is RepoStatus.FAILED
    assert outcome.error == "configuration error: t: /nonexistent: no such folder"
