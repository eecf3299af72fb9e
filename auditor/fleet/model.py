"""The values a fleet run passes around: one task per repository and what became of it."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.config import Config
from auditor.fleet.sources import RepoSource

# Resolves the configuration for one checkout exactly as `auditor scan` does (a picklable
# callable built by the CLI, so config resolution lives in one place).
ConfigResolver = Callable[[Path], Config]


class RepoStatus(enum.StrEnum):
    """What happened to one repository in a fleet run."""

    SCANNED = "scanned"
    UNCHANGED = "unchanged"  # a report for this revision and settings was already stored
    FAILED = "failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class RepoTask:
    """Everything a worker needs to audit one repository (small and picklable).

    Attributes:
        source: the repository.
        state_dir: where reports are stored (every worker must reach it).
        work_dir: where URLs are cloned.
        fingerprint: hash of what besides the repository decides the report (tool version,
            options, advisory data, rules); part of the stored report's key.
        resolve: the scan command's config resolution.
        cache_dir: the one cache and advisory store every worker reads.
        snapshot: digest of a store snapshot shipped to the workers (used instead of
            `cache_dir` when set; see `auditor.fleet.snapshot`).
        git_timeout: seconds one git command may take.
        task_timeout: seconds the whole task may take.
        force: audit even when a report for this revision exists.
    """

    source: RepoSource
    state_dir: Path
    work_dir: Path
    fingerprint: str
    resolve: ConfigResolver
    cache_dir: Path | None = None
    snapshot: str | None = None
    git_timeout: float = 120.0
    task_timeout: float = 900.0
    force: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class RepoOutcome:
    """What became of one repository: a small record; the report itself is on disk.

    Attributes:
        key: the repository's `RepoSource.key`.
        status: scanned, unchanged or failed.
        revision: the commit, or the content hash (None when it could not be read).
        report: the stored JSON report's path (None when none was written).
        exit_code: the code `auditor scan` would exit with for this repository.
        summary: findings per severity.
        error: why it failed.
        retriable: whether another attempt may succeed (timeouts, crashes, clone errors).
        seconds: how long the task ran.
        attempts: how many times it was run.
    """

    key: str
    status: RepoStatus
    revision: str | None = None
    report: str | None = None
    exit_code: int | None = None
    summary: Mapping[str, int] = field(default_factory=dict)
    error: str | None = None
    retriable: bool = False
    seconds: float = 0.0
    attempts: int = 1

    def to_json(self) -> dict[str, Any]:
        """Return the record as JSON data."""
        return {
            "key": self.key,
            "status": str(self.status),
            "revision": self.revision,
            "report": self.report,
            "exit_code": self.exit_code,
            "summary": dict(self.summary),
            "error": self.error,
            "retriable": self.retriable,
            "seconds": round(self.seconds, 3),
            "attempts": self.attempts,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RepoOutcome:
        """Read a record written by `to_json`."""
        return cls(
            key=str(data["key"]),
            status=RepoStatus(data["status"]),
            revision=data.get("revision"),
            report=data.get("report"),
            exit_code=data.get("exit_code"),
            summary={str(k): int(v) for k, v in (data.get("summary") or {}).items()},
            error=data.get("error"),
            retriable=bool(data.get("retriable")),
            seconds=float(data.get("seconds") or 0.0),
            attempts=int(data.get("attempts") or 1),
        )


def failed(key: str, error: str, *, retriable: bool, seconds: float = 0.0) -> RepoOutcome:
    """Return the outcome of a repository that could not be audited."""
    return RepoOutcome(
        key=key, status=RepoStatus.FAILED, error=error, retriable=retriable, seconds=seconds
    )


__all__ = ["ConfigResolver", "RepoOutcome", "RepoStatus", "RepoTask", "failed"]
