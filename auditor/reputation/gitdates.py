"""When did a manifest first name a package? Read from git history, with read-only commands.

Only ``git log`` and ``git rev-parse`` run, with fixed argument lists (never a shell), with
external diff and text-conversion drivers off and the fsmonitor and pager disabled, so no
program configured by the scanned repository runs. When git is absent, the folder is not a
work tree or git fails, the answer is None and the caller reports the check as not done.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from auditor.reputation.targets import NameUse

_SAFE_CONFIG = ("-c", "core.fsmonitor=false", "-c", "core.pager=cat", "-c", "diff.external=")


class GitHistory:
    """Answers date questions about files of one work tree.

    Args:
        root: the scanned folder (anywhere inside a git work tree).
        timeout: seconds one git command may take.
    """

    def __init__(self, root: Path, *, timeout: float = 30.0) -> None:
        self.root = root
        self.timeout = timeout
        self._git = shutil.which("git")
        self._usable: bool | None = None
        self.problem: str | None = None if self._git else "git is not installed"

    def _run(self, *args: str) -> str | None:
        if self._git is None:
            return None
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"}
        env.pop("GIT_DIR", None)
        env.pop("GIT_WORK_TREE", None)
        try:
            done = subprocess.run(
                [self._git, *_SAFE_CONFIG, "-C", str(self.root), *args],
                capture_output=True,
                text=True,
                encoding="utf-8",
                errors="replace",
                timeout=self.timeout,
                env=env,
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            self.problem = f"git failed: {exc}"
            return None
        if done.returncode != 0:
            self.problem = f"git failed: {done.stderr.strip()[:200] or done.returncode}"
            return None
        return done.stdout

    @property
    def in_repository(self) -> bool:
        """Whether `root` lies in a git checkout at all (a ``.git`` folder or file above it)."""
        return any((folder / ".git").exists() for folder in (self.root, *self.root.parents))

    @property
    def usable(self) -> bool:
        """Whether `root` is inside a git work tree that git can read."""
        if self._usable is None:
            out = self._run("rev-parse", "--is-inside-work-tree")
            self._usable = out is not None and out.strip() == "true"
            if out is not None and not self._usable:
                self.problem = "not a git work tree"
        return self._usable

    def _oldest(self, *args: str) -> dt.datetime | None:
        out = self._run("log", "--no-textconv", "--no-ext-diff", "--no-color",
                        "--format=%aI", *args)  # fmt: skip
        if not out:
            return None
        lines = [line.strip() for line in out.splitlines() if line.strip()]
        dates = []
        for line in lines:
            try:
                dates.append(dt.datetime.fromisoformat(line))
            except ValueError:
                continue
        return min(dates) if dates else None

    def first_commit(self, relpath: str) -> dt.datetime | None:
        """Author date of the oldest commit that touched `relpath` (None if never committed)."""
        if not self.usable:
            return None
        return self._oldest("--", relpath)

    def first_mention(self, relpath: str, text: str) -> dt.datetime | None:
        """Author date of the oldest commit that changed how often `text` occurs in `relpath`.

        That is the commit that first wrote it (``git log -S``); None when no commit did (the
        line is not committed yet).
        """
        if not self.usable or not text or text.startswith("-"):
            return None
        return self._oldest(f"-S{text}", "--", relpath)


@dataclass(frozen=True, slots=True, kw_only=True)
class GitDates:
    """What git history says about the files that declare packages (for AUD410).

    `first_commit` maps a repo-relative path to its first commit; `first_mention` maps
    ``(path, text)`` to the first commit that added `text` to that path. Only the pairs a
    born-after-use judgement needs are present.
    """

    in_repository: bool
    usable: bool
    problem: str | None = None
    first_commit: Mapping[str, dt.datetime | None] = field(default_factory=dict)
    first_mention: Mapping[tuple[str, str], dt.datetime | None] = field(default_factory=dict)


def born_after_dates(
    history: GitHistory,
    candidates: Iterable[tuple[NameUse, dt.datetime]],
    grace: dt.timedelta,
) -> GitDates:
    """Read the git dates a born-after-use judgement needs, and no more.

    For each declared name with its first release, each declaring file's first commit is read;
    only where the release came after that (plus `grace`) are the name's spellings searched for,
    and a name stops at its first file where it was written before it was released.
    """
    if not history.in_repository:
        return GitDates(in_repository=False, usable=False)
    if not history.usable:
        return GitDates(in_repository=True, usable=False, problem=history.problem)
    first_commit: dict[str, dt.datetime | None] = {}
    first_mention: dict[tuple[str, str], dt.datetime | None] = {}
    for use, released in candidates:
        for where in use.locations:
            if where.path not in first_commit:
                first_commit[where.path] = history.first_commit(where.path)
            start = first_commit[where.path]
            if start is None or released <= start + grace:
                continue
            dates = []
            for text in use.spellings_in(where.path):
                key = (where.path, text)
                if key not in first_mention:
                    first_mention[key] = history.first_mention(where.path, text)
                if (found := first_mention[key]) is not None:
                    dates.append(found)
            if dates and released > min(dates) + grace:
                break
    return GitDates(
        in_repository=True, usable=True, first_commit=first_commit, first_mention=first_mention
    )


__all__ = ["GitDates", "GitHistory", "born_after_dates"]
