"""Which manifests describe a published package, and what the other files beside it are for.

A library's users install it from the index with the requirements its metadata declares. A
requirements file in the library's folder that the metadata does not read is either a copy of
those declarations (papermill's ``requirements.txt`` beside its pyproject) or tooling for the
library's developers (celery's ``requirements/pkgutils.txt``, docs and CI environments): neither
is what a user installs, so neither is judged like an application's deployment manifest.
"""

from __future__ import annotations

import configparser
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from auditor.model import InputKind, InputStatus, ParsedInput
from auditor.projects import scope_of


def pyproject_declares_package(data: Mapping[str, Any]) -> bool:
    """Whether a pyproject's ``[project]`` is built and installed as a package.

    ``[build-system]`` says so; so does uv's ``package = true``, and Trove classifiers (metadata
    written for an index): without ``[build-system]`` pip still builds such a project with
    setuptools.
    """
    project = data.get("project")
    if not isinstance(project, dict):
        return False
    tool = data.get("tool")
    uv = tool.get("uv") if isinstance(tool, dict) else None
    return (
        isinstance(data.get("build-system"), dict)
        or (isinstance(uv, dict) and uv.get("package") is True)
        or _has_classifiers(project)
    )


def read_setup_cfg(path: Path) -> configparser.ConfigParser | None:
    """Read a setup.cfg as data (no interpolation); None when it cannot be read or parsed."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, OSError, UnicodeDecodeError):
        return None
    return parser


def _has_classifiers(project: Mapping[str, Any]) -> bool:
    classifiers = project.get("classifiers")
    return isinstance(classifiers, list) and any(isinstance(c, str) for c in classifiers)


def publishes(root: Path, item: ParsedInput, toml: Mapping[str, Any] | None) -> bool:
    """Whether library metadata carries Trove classifiers: it is written for a package index.

    Such a project ships as a distribution even when its folder also holds a Dockerfile or a
    ``manage.py`` for its own tests, so those files do not make it an application.
    """
    if item.kind is InputKind.PYPROJECT:
        project = toml.get("project") if toml is not None else None
        return isinstance(project, dict) and _has_classifiers(project)
    if item.kind is InputKind.SETUP_CFG:
        parser = read_setup_cfg(root / item.path)
        return parser is not None and bool(
            parser.get("metadata", "classifiers", fallback="").strip()
        )
    if item.kind is InputKind.SETUP_PY:
        try:
            text = (root / item.path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return False
        return "classifiers" in text
    return False


def library_side_files(
    inputs: Iterable[ParsedInput],
    *,
    library_inputs: frozenset[str],
    application_scopes: frozenset[str],
    metadata_feeds: Mapping[str, str],
    compiled: Iterable[str],
) -> tuple[dict[str, str], frozenset[str]]:
    """Split the requirements files in library folders into mirrors and tooling.

    Returns (mirror path -> the library manifest it copies, tooling paths). A mirror names only
    distributions the library's metadata declares (main or extras, in the manifest or in the
    files it reads); any other requirements file in a library folder, not read by the metadata
    and lock data (pip-compile output: a library's CI environments) included, is development
    tooling. Folders that are also applications (``application_markers``), and libraries whose
    metadata declares nothing statically (a setup.py computing its list may read the file), are
    left alone.
    """
    items = [i for i in inputs if i.status is InputStatus.OK]
    declared: dict[str, set[str]] = {}
    manifest_of: dict[str, str] = {}
    for item in sorted(items, key=lambda i: i.path):
        manifest = item.path if item.path in library_inputs else metadata_feeds.get(item.path)
        if manifest is not None:
            scope = scope_of(manifest)
            declared.setdefault(scope, set()).update(r.name for r in item.requirements)
            manifest_of.setdefault(scope, manifest)
    lock_data = set(compiled)
    skip = set(metadata_feeds) | library_inputs
    mirrors: dict[str, str] = {}
    tooling: set[str] = set()
    for item in items:
        if item.kind is not InputKind.REQUIREMENTS or item.path in skip:
            continue
        scope = scope_of(item.path)
        if not declared.get(scope) or scope in application_scopes:
            continue  # no static declarations to compare with: the file may be what they read
        if item.path in lock_data:
            tooling.add(item.path)  # a library's pip-compile output pins its CI environments
            continue
        names = {r.name for r in item.requirements if r.location.path == item.path}
        if names and names <= declared[scope]:
            mirrors[item.path] = manifest_of[scope]
        else:
            tooling.add(item.path)
    return mirrors, frozenset(tooling)


__all__ = ["library_side_files", "publishes", "pyproject_declares_package", "read_setup_cfg"]
