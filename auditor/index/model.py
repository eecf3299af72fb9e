"""What the package index says about a project: releases, status, metadata."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any


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
        from packaging.version import InvalidVersion, Version

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

    def versions(self, *, include_yanked: bool = True) -> list[str]:
        """Return the release versions, oldest first by PEP 440 order (invalid ones first)."""
        chosen = [r for r in self.releases if include_yanked or not r.yanked]
        return [r.version for r in sorted(chosen, key=lambda r: version_sort_key(r.version))]

    def newest_version(self, *, include_prereleases: bool = False) -> str | None:
        """Return the newest non-yanked release (final releases only unless asked)."""
        from packaging.version import InvalidVersion, Version

        best: tuple[Version, str] | None = None
        for item in self.releases:
            if item.yanked:
                continue
            try:
                parsed = Version(item.version)
            except InvalidVersion:
                continue
            if parsed.is_prerelease and not include_prereleases:
                continue
            if best is None or parsed > best[0]:
                best = (parsed, item.version)
        return best[1] if best else None

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready form (the cache stores this)."""
        return {
            "name": self.name,
            "display_name": self.display_name,
            "summary": self.summary,
            "latest_version": self.latest_version,
            "license": self.license,
            "license_expression": self.license_expression,
            "classifiers": list(self.classifiers),
            "project_urls": [list(pair) for pair in self.project_urls],
            "requires_dist": list(self.requires_dist),
            "author": self.author,
            "maintainer": self.maintainer,
            "releases": [
                {
                    "version": r.version,
                    "upload_time": r.upload_time.isoformat() if r.upload_time else None,
                    "yanked": r.yanked,
                    "yanked_reason": r.yanked_reason,
                }
                for r in self.releases
            ],
            "status": str(self.status),
            "status_reason": self.status_reason,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProjectInfo:
        """Rebuild from `to_json` output (raises KeyError/ValueError/TypeError when malformed)."""
        return cls(
            name=str(data["name"]),
            display_name=str(data["display_name"]),
            summary=str(data.get("summary") or ""),
            latest_version=data.get("latest_version"),
            license=data.get("license"),
            license_expression=data.get("license_expression"),
            classifiers=tuple(str(c) for c in data.get("classifiers", ())),
            project_urls=tuple((str(k), str(v)) for k, v in data.get("project_urls", ())),
            requires_dist=tuple(str(r) for r in data.get("requires_dist", ())),
            author=data.get("author"),
            maintainer=data.get("maintainer"),
            releases=tuple(
                Release(
                    version=str(r["version"]),
                    upload_time=dt.datetime.fromisoformat(r["upload_time"])
                    if r.get("upload_time")
                    else None,
                    yanked=bool(r.get("yanked")),
                    yanked_reason=r.get("yanked_reason"),
                )
                for r in data.get("releases", ())
            ),
            status=ProjectStatus(data.get("status", "active")),
            status_reason=data.get("status_reason"),
        )


def version_sort_key(version: str) -> tuple[int, Any]:
    """Sort key for version strings: invalid versions first (by text), then PEP 440 order."""
    from packaging.version import InvalidVersion, Version

    try:
        return (1, Version(version))
    except InvalidVersion:
        return (0, version)


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


__all__ = [
    "LookupState",
    "ProjectInfo",
    "ProjectLookup",
    "ProjectStatus",
    "Release",
    "version_sort_key",
]
