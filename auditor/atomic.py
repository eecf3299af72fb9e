"""Write files atomically: to a temporary file in the same folder, then rename over the target.

A process killed mid-write leaves its temporary file (``.NAME.XXXX.tmp``) and the target as it
was; the next write of the same target removes such leftovers once they are `STALE_SECONDS`
old (younger ones may belong to a concurrent writer).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from pathlib import Path

STALE_SECONDS = 3600.0


def remove_stale_siblings(path: Path, *, older_than: float = STALE_SECONDS) -> int:
    """Delete leftover temporary files of `path` older than `older_than` seconds; return count."""
    limit = time.time() - older_than
    removed = 0
    for leftover in path.parent.glob(f".{path.name}.*.tmp"):
        with contextlib.suppress(OSError):
            if leftover.is_file() and leftover.stat().st_mtime < limit:
                leftover.unlink()
                removed += 1
    return removed


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` so readers see the old file or the new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_siblings(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            tmp.chmod(path.stat().st_mode & 0o777)
        else:
            tmp.chmod(0o644)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write UTF-8 text atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


__all__ = ["atomic_write_bytes", "atomic_write_text", "remove_stale_siblings"]
