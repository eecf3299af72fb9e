"""The project's own license: policy setting, pyproject, setup.cfg, or its LICENSE file."""

from __future__ import annotations

import configparser
from dataclasses import replace
from pathlib import Path
from typing import Any

import tomli

from auditor.licenses.model import LicenseMetadata, Normalized
from auditor.licenses.spdx import decide, normalize_expression, normalize_text

LICENSE_FILES = ("LICENSE", "LICENSE.txt", "LICENSE.md", "LICENSE.rst", "COPYING", "COPYING.txt")
_MAX_BYTES = 1_000_000


def _read(path: Path) -> str | None:
    try:
        if not path.is_file() or path.stat().st_size > _MAX_BYTES:
            return None
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _from_pyproject(root: Path) -> tuple[Normalized, str] | None:
    text = _read(root / "pyproject.toml")
    if text is None:
        return None
    try:
        data = tomli.loads(text)
    except (tomli.TOMLDecodeError, RecursionError):
        return None  # the pyproject parser reports a broken file as an input error
    project = data.get("project")
    if not isinstance(project, dict):
        return None
    value: Any = project.get("license")
    classifiers = project.get("classifiers")
    meta = LicenseMetadata(
        expression=value if isinstance(value, str) else None,
        license=value.get("text") if isinstance(value, dict) else None,
        classifiers=tuple(c for c in classifiers if isinstance(c, str))
        if isinstance(classifiers, list)
        else (),
    )
    if isinstance(value, dict) and isinstance(value.get("file"), str):
        body = _read(root / value["file"])
        if body is not None and meta.license is None:
            meta = replace(meta, license=body)
    patterns = project.get("license-files")
    if isinstance(patterns, list):
        files = sorted(
            {
                p
                for pattern in patterns
                if isinstance(pattern, str) and ".." not in pattern
                for p in root.glob(pattern)
                if p.is_file()
            }
        )[:10]
        texts = tuple(t for p in files if (t := _read(p)) is not None)
        if texts and len(texts) == len(files):
            names = tuple(p.relative_to(root).as_posix() for p in files)
            meta = replace(meta, license_files=names, license_texts=texts)
    if meta.empty:
        return None
    return decide(meta), "pyproject.toml [project]"


def _from_setup_cfg(root: Path) -> tuple[Normalized, str] | None:
    text = _read(root / "setup.cfg")
    if text is None:
        return None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return None
    if not parser.has_section("metadata"):
        return None
    section = parser["metadata"]
    classifiers = [c.strip() for c in section.get("classifiers", "").splitlines() if c.strip()]
    expression = section.get("license_expression")
    meta = LicenseMetadata(
        expression=expression, license=section.get("license"), classifiers=tuple(classifiers)
    )
    return (decide(meta), "setup.cfg [metadata]") if not meta.empty else None


def _from_license_file(root: Path) -> tuple[Normalized, str] | None:
    for name in LICENSE_FILES:
        text = _read(root / name)
        if text is None:
            continue
        found = normalize_text(text)
        if found is not None:
            return replace(found, field="license file"), name
    return None


def project_license(root: Path, configured: str = "") -> tuple[Normalized | None, str]:
    """Return the project's license and where it was read (policy, pyproject, ...).

    A setting in the policy (``project_license``) wins; a source that names no license is
    passed over for the next one.
    """
    if configured.strip():
        expression = normalize_expression(configured)
        note = "" if expression else "project_license is not a valid SPDX expression"
        found = Normalized(expression=expression, raw=configured, field="policy", note=note)
        return found, "policy.licenses.project_license"
    for reader in (_from_pyproject, _from_setup_cfg, _from_license_file):
        answer = reader(root)
        if answer is not None and (answer[0].expression or answer[0].family):
            return answer
    return None, ""


__all__ = ["LICENSE_FILES", "project_license"]
