"""What state a repository is in: its git commit, or a hash of its content when it has none."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

# Folders whose content never changes an audit's answer and may be huge.
_SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "__pycache__",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".tox",
        ".nox",
        "node_modules",
    }
)


def content_hash(root: Path) -> str:
    """Return a hash of every file's relative path and bytes under `root` (links not followed).

    A symbolic link contributes its target text, so repointing one changes the hash.
    """
    digest = hashlib.sha256()
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        base = Path(folder)
        for name in sorted(files):
            path = base / name
            rel = path.relative_to(root).as_posix()
            digest.update(rel.encode("utf-8", "surrogateescape") + b"\0")
            try:
                if path.is_symlink():
                    digest.update(b"L" + str(path.readlink()).encode("utf-8", "surrogateescape"))
                    continue
                with path.open("rb") as handle:
                    for block in iter(lambda: handle.read(1 << 20), b""):
                        digest.update(block)
            except OSError as exc:
                digest.update(f"unreadable:{exc.errno}".encode())
            digest.update(b"\0")
    return "sha256-" + digest.hexdigest()[:40]


__all__ = ["content_hash"]
