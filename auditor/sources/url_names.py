"""The project name behind a URL, VCS link or local path in a requirements file.

Read statically: ``#egg=``, a wheel or sdist file name, or a local folder's pyproject.toml /
setup.cfg. Nothing is downloaded or built.
"""

from __future__ import annotations

import configparser
import posixpath
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)

from auditor.errors import ParseError
from auditor.sources.reading import load_toml, read_text

VCS_PREFIXES = ("git+", "hg+", "svn+", "bzr+")
URL_SCHEMES = ("http://", "https://", "file:", "ftp://", *VCS_PREFIXES)
_EGG = re.compile(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)")


def url_project_name(root: Path, including: str, url: str) -> str | None:
    """Return the project name `url` installs, when it can be known without building."""
    egg = _EGG.search(url)
    if egg is not None:
        return egg.group(1)
    filename = unquote(posixpath.basename(urlsplit(url).path.rstrip("/")))
    name: str | None = None
    try:
        if filename.endswith(".whl"):
            name = str(parse_wheel_filename(filename)[0])
        elif filename.endswith((".tar.gz", ".zip")):
            name = str(parse_sdist_filename(filename)[0])
    except (InvalidWheelFilename, InvalidSdistFilename):
        name = None
    if name is None and not url.lower().startswith(URL_SCHEMES):
        name = _local_project_name(root, including, url)
    return name


def vcs_suggestion(url: str) -> tuple[str, bool]:
    """Return ``name @ url@<commit>`` for a VCS URL without #egg=, and whether it has a ref."""
    base, hash_mark, fragment = url.partition("#")
    scheme_end = base.find("://") + 3
    path_start = base.find("/", scheme_end) if scheme_end > 2 else 0
    ref_at = base.rfind("@")
    has_ref = ref_at > max(path_start, 0)
    bare = base[:ref_at] if has_ref else base
    repo = bare.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git") or "name"
    return f"{repo} @ {bare}@<full commit id>{hash_mark}{fragment}", has_ref


def _local_project_name(root: Path, including: str, target: str) -> str | None:
    """Read the project name of a local directory statically (pyproject.toml, setup.cfg)."""
    rel = posixpath.normpath(posixpath.join(posixpath.dirname(including), target))
    if rel.startswith("../") or posixpath.isabs(rel):
        return None
    pyproject = f"{rel}/pyproject.toml" if rel != "." else "pyproject.toml"
    try:
        data = load_toml(read_text(root, pyproject), pyproject)
    except ParseError:
        data = {}
    project = data.get("project")
    name = project.get("name") if isinstance(project, dict) else None
    if not isinstance(name, str):
        tool = data.get("tool")
        poetry = tool.get("poetry") if isinstance(tool, dict) else None
        name = poetry.get("name") if isinstance(poetry, dict) else None
    if not isinstance(name, str) or not name:
        name = _setup_cfg_name(root, f"{rel}/setup.cfg" if rel != "." else "setup.cfg")
    return name if isinstance(name, str) and name else None


def _setup_cfg_name(root: Path, relpath: str) -> str | None:
    """Return ``[metadata] name`` of a setup.cfg, or None."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(read_text(root, relpath))
    except (ParseError, configparser.Error):
        return None
    name = parser.get("metadata", "name", fallback="").strip()
    return name or None


__all__ = ["URL_SCHEMES", "VCS_PREFIXES", "url_project_name", "vcs_suggestion"]
