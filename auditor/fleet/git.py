"""Git for the fleet: shallow clones, remote heads and a checkout's commit, never running its code.

Every call disables hooks (``core.hooksPath=/dev/null``), the file-system monitor and LFS
smudging, never recurses into submodules, never prompts (``GIT_TERMINAL_PROMPT=0``), refuses the
``ext::`` transport and ends at a deadline.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from auditor.errors import AuditorError

# Options that keep git from running anything a repository (or its config) brings along.
SAFE_OPTIONS = (
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "core.fsmonitor=false",
    "-c",
    "protocol.ext.allow=never",
    "-c",
    "submodule.recurse=false",
    "-c",
    "credential.helper=",
)
_ENV = {
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_LFS_SKIP_SMUDGE": "1",
    "GIT_OPTIONAL_LOCKS": "0",
    "GIT_ASKPASS": "/bin/false",
    "SSH_ASKPASS": "/bin/false",
    "GIT_SSH_COMMAND": "ssh -o BatchMode=yes",
}


class GitError(AuditorError):
    """A git command failed or ran past its deadline (the message says which and why)."""


def _run(args: list[str], *, timeout: float, cwd: Path | None = None) -> str:
    git = shutil.which("git")
    if git is None:
        raise GitError("git is not installed")
    command = [git, *SAFE_OPTIONS, *args]
    try:
        done = subprocess.run(
            command,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, **_ENV},
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        raise GitError(f"git {args[0]} timed out after {timeout:g} s") from exc
    except OSError as exc:
        raise GitError(f"git {args[0]} could not run ({exc})") from exc
    if done.returncode != 0:
        lines = (done.stderr or "").strip().splitlines()
        detail = lines[-1] if lines else f"exit code {done.returncode}"
        raise GitError(f"git {args[0]} failed: {detail[:300]}")
    return done.stdout


def remote_head(url: str, *, timeout: float) -> str:
    """Return the commit the remote's HEAD points at (``git ls-remote``), without cloning."""
    out = _run(["ls-remote", "--", url, "HEAD"], timeout=timeout)
    for line in out.splitlines():
        commit, _, ref = line.partition("\t")
        if ref.strip() == "HEAD" and commit:
            return commit.strip()
    raise GitError(f"git ls-remote: {url} has no HEAD")


def shallow_clone(url: str, dest: Path, *, timeout: float) -> str:
    """Clone `url` at depth 1 into `dest` (replacing it) and return the commit checked out."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    _run(
        [
            "clone",
            "--depth",
            "1",
            "--no-recurse-submodules",
            "--single-branch",
            "--no-tags",
            "--",
            url,
            str(partial),
        ],
        timeout=timeout,
    )
    partial.rename(dest)
    return head_commit(dest, timeout=timeout) or ""


def head_commit(folder: Path, *, timeout: float) -> str | None:
    """Return the checked-out commit of a clean git checkout; None if not git or modified."""
    if not (folder / ".git").exists():
        return None
    try:
        commit = _run(["rev-parse", "--verify", "HEAD"], cwd=folder, timeout=timeout).strip()
        dirty = _run(
            ["status", "--porcelain", "--untracked-files=all"], cwd=folder, timeout=timeout
        )
    except GitError:
        return None
    return None if dirty.strip() else commit


__all__ = ["SAFE_OPTIONS", "GitError", "head_commit", "remote_head", "shallow_clone"]
