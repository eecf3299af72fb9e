"""A read-only snapshot of the advisory store, shipped once to workers that share no folder.

The client reads the store file once; each worker writes it under its temporary folder the
first time (keyed by the file's digest) and every task on that worker opens that copy as its
cache folder. Nothing rebuilds the store per task.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from auditor.advisories.store import STORE_FILE
from auditor.atomic import atomic_write_bytes


def snapshot_digest(data: bytes) -> str:
    """Return the name a snapshot of `data` goes by."""
    return hashlib.sha256(data).hexdigest()[:24]


def snapshot_dir(digest: str) -> Path:
    """Return this machine's folder for the snapshot `digest` (the tasks' cache folder)."""
    base = Path(os.environ.get("AUDITOR_FLEET_SNAPSHOT_DIR") or tempfile.gettempdir())
    return base / "auditor-fleet-store" / digest


def install_snapshot(data: bytes, digest: str) -> str:
    """Write the store snapshot on this machine unless it is there already; return its folder."""
    folder = snapshot_dir(digest)
    target = folder / STORE_FILE
    if not target.is_file() or target.stat().st_size != len(data):
        atomic_write_bytes(target, data)
        target.chmod(0o444)
    return str(folder)


__all__ = ["install_snapshot", "snapshot_digest", "snapshot_dir"]
