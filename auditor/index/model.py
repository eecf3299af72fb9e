"""What the package index says about a project: releases, status, metadata."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass


class ProjectStatus(enum.StrEnum):
    """PEP 792 project status markers."""

    ACTIVE = "active"
    ARCHIVED = "archived"
    QUARANTINED = "quarantined"
    DEPRECATED = "deprecated"


@dataclass(frozen=True, slots=True, kw_only=True)
class Release:
    """One release (version) of a project; times are UTC; `yanked` if every file is yanked."""

    version: str
    upload_time: dt.datetime | None
    yanked: bool = False
    yanked_reason: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectInfo:
    """Index metadata of a project that exists (latest release's metadata)."""

    name: str
    display_name: str
    summary: str = ""
    latest_version: str | None = None
    license: str | None = None
    license_expression: str | None = None
    classifiers: tuple[str, ...] = ()
    project_urls: tuple[tuple[str, str], ...] = ()
    requires_dist: tuple[str, ...] = ()
    author: str | None = None
    maintainer: str | None = None
    releases: tuple[Release, ...] = ()
    status: ProjectStatus = ProjectStatus.ACTIVE
    status_reason: str | None = None

    @property
    def first_release(self) -> dt.datetime | None:
        """Upload time of the oldest release, if any release has files."""
        times = [r.upload_time for r in self.releases if r.upload_time is not None]
        return min(times) if times else None

    @property
    def last_release(self) -> dt.datetime | None:
        """Upload time of the newest release, if any release has files."""
        times = [r.upload_time for r in self.releases if r.upload_time is not None]
        return max(times) if times else None

    def release(self, version: str) -> Release | None:
        """Return the release of `version` (PEP 440 equality), if the index lists it."""
        from packaging.version import InvalidVersion, Version  # noqa: PLC0415

        try:
            wanted = Version(version)
        except InvalidVersion:
            return next((r for r in self.releases if r.version == version), None)
        for item in self.releases:
            try:
                if Version(item.version) == wanted:
                    return item
            except InvalidVersion:
                continue
        return None


class LookupState(enum.StrEnum):
    """Outcome of asking the index about a name."""

    FOUND = "found"
    MISSING = "missing"  # the index answered 404: no such project
    UNKNOWN = "unknown"  # the index could not be asked (offline, error): not checked


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectLookup:
    """The answer for one name: found (with info), missing, or unknown (with reason)."""

    name: str
    state: LookupState
    info: ProjectInfo | None = None
    reason: str | None = None


__all__ = ["LookupState", "ProjectInfo", "ProjectLookup", "ProjectStatus", "Release"]
