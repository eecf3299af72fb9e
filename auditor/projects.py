"""Projects inside a repository: which folder (audit unit) a file belongs to.

A *scope* is the folder a manifest belongs to; a ``requirements/`` style folder counts as its
parent. Reporters group findings by the project of their first location; the pin checks pair
manifests with their own project's lockfile (see `auditor.checks.pin_layout`).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from auditor.result import AuditResult

# Folder names whose requirements files belong to the parent folder's project.
_REQUIREMENTS_DIRS = frozenset({"requirements", "requirements.d", "reqs", "requires"})


def scope_of(path: str) -> str:
    """Return the scope (project folder, POSIX, ``""`` for the root) of a repo-relative path."""
    folder = posixpath.dirname(path)
    if posixpath.basename(folder).lower() in _REQUIREMENTS_DIRS:
        folder = posixpath.dirname(folder)
    return folder


def scope_covers(outer: str, inner: str) -> bool:
    """Whether scope `outer` is `inner` or one of its ancestors."""
    return outer == "" or inner == outer or inner.startswith(outer + "/")


def project_of(path: str, projects: Iterable[str]) -> str:
    """Return the nearest project folder in `projects` holding `path` (``""``: the root)."""
    scope = scope_of(path)
    best = ""
    for folder in projects:
        if folder and scope_covers(folder, scope) and len(folder) > len(best):
            best = folder
    return best


def project_folders(paths: Iterable[str]) -> frozenset[str]:
    """Return the project folders (scopes) of the manifests and lockfiles at `paths`."""
    return frozenset(scope_of(p) for p in paths)


def finding_projects(result: AuditResult) -> dict[str, str]:
    """Map each finding's fingerprint to its project folder (``""``: the repository root).

    The projects are the folders of the scan's inputs; a finding belongs to the project of its
    first location.
    """
    folders = project_folders(i.path for i in result.inputs if str(i.kind) != "environment")
    return {
        f.fingerprint: project_of(f.locations[0].path, folders) if f.locations else ""
        for f in result.findings
    }


def projects_json(result: AuditResult) -> list[dict[str, object]]:
    """Return the report's ``projects`` array: each project's inputs and finding fingerprints."""
    folders = project_folders(i.path for i in result.inputs if str(i.kind) != "environment")
    of_finding = finding_projects(result)
    rows: dict[str, dict[str, list[str]]] = {
        folder: {"inputs": [], "findings": []} for folder in folders | set(of_finding.values())
    }
    for item in result.inputs:
        rows[project_of(item.path, folders)]["inputs"].append(item.path)
    for fingerprint, folder in of_finding.items():
        rows[folder]["findings"].append(fingerprint)
    return [
        {"path": folder or ".", "inputs": row["inputs"], "findings": row["findings"]}
        for folder, row in sorted(rows.items())
        if row["inputs"] or row["findings"]
    ]


__all__ = [
    "finding_projects",
    "project_folders",
    "project_of",
    "projects_json",
    "scope_covers",
    "scope_of",
]
