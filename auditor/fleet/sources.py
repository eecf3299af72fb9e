"""Which repositories a fleet holds: a folder of checkouts, a list file, or a glob."""

from __future__ import annotations

import glob
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from auditor.errors import ConfigError

# What reads as a git URL in a list file (everything else is a path).
_URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|[\w.-]+@[\w.-]+:)", re.IGNORECASE)
_SLUG = re.compile(r"[^A-Za-z0-9._-]+")
_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True, slots=True, kw_only=True)
class RepoSource:
    """One repository of the fleet.

    Attributes:
        name: what reports call it (the folder name, or the URL's last part).
        location: an absolute folder path, or a git URL.
        is_url: whether `location` is cloned rather than read in place.
        origin: where it was listed (``fleet.txt:3``), for messages.
    """

    name: str
    location: str
    is_url: bool
    origin: str

    @property
    def key(self) -> str:
        """A stable, file-name-safe identity: the name's slug plus a hash of the location."""
        digest = hashlib.sha256(self.location.encode("utf-8")).hexdigest()[:12]
        slug = _SLUG.sub("-", self.name).strip("-.")[:60] or "repo"
        return f"{slug}-{digest}"


def _url_name(url: str) -> str:
    tail = url.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    return tail.removesuffix(".git") or url


def _folder(path: Path, origin: str) -> RepoSource:
    resolved = path.resolve()
    return RepoSource(name=resolved.name, location=str(resolved), is_url=False, origin=origin)


def _from_list(path: Path) -> list[RepoSource]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the repository list ({exc})") from exc
    found: list[RepoSource] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        origin = f"{path}:{number}"
        if _URL.match(line):
            if any(c.isspace() for c in line) or line.startswith("-"):
                raise ConfigError(f"{origin}: not a repository URL: {line!r}")
            found.append(
                RepoSource(name=_url_name(line), location=line, is_url=True, origin=origin)
            )
            continue
        folder = Path(line).expanduser()
        folder = folder if folder.is_absolute() else path.parent / folder
        if not folder.is_dir():
            raise ConfigError(f"{origin}: {line}: no such folder")
        found.append(_folder(folder, origin))
    return found


def _from_folder(path: Path) -> list[RepoSource]:
    return [
        _folder(child, str(path))
        for child in sorted(path.iterdir())
        if child.is_dir() and not child.name.startswith(".")
    ]


def _from_glob(pattern: str) -> list[RepoSource]:
    return [
        _folder(Path(match), pattern)
        for match in sorted(glob.glob(pattern, recursive=True))  # noqa: PTH207 - a user's glob
        if Path(match).is_dir()
    ]


def parse_sources(spec: str) -> tuple[RepoSource, ...]:
    """Return the repositories `spec` names, in a stable order, each once.

    `spec` is a folder (each visible sub-folder is a checkout), a file listing one folder path
    (relative to the file) or git URL per line (``#`` starts a comment), or a glob of folders.

    Raises:
        ConfigError: when `spec` names nothing, or a list line is neither a folder nor a URL.
    """
    path = Path(spec).expanduser()
    if path.is_dir():
        found = _from_folder(path)
    elif path.is_file():
        found = _from_list(path)
    elif _GLOB_CHARS & set(spec):
        found = _from_glob(spec)
    else:
        raise ConfigError(f"{spec}: no such folder, list file or glob")
    unique: dict[str, RepoSource] = {}
    for source in found:
        unique.setdefault(source.key, source)
    if not unique:
        raise ConfigError(f"{spec}: no repositories found")
    return tuple(unique.values())


__all__ = ["RepoSource", "parse_sources"]
