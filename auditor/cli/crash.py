"""Internal errors: keep the traceback in a file, tell the user in one line where it is.

A bug must not spill a raw traceback (with whatever hostile text it quotes) onto the terminal,
nor exit 1 as if it were a finding. `report_crash` writes the traceback atomically to
``<cache dir>/crashes/`` (or the temporary folder when that cannot be written) and returns the
one line the CLI prints before exiting with code 4.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import platform
import re
import sys
import tempfile
import traceback
from collections.abc import Sequence
from pathlib import Path

from auditor import __version__
from auditor.cli.terminal import one_line

KEEP = 20
_CREDENTIALS = re.compile(r"(?<=://)[^/@\s]+@")


def _redact(argument: str) -> str:
    """Drop user:password from URLs (pip index URLs often carry tokens)."""
    return _CREDENTIALS.sub("***@", argument)


def _folders(cache_dir: Path | None) -> list[Path]:
    folders: list[Path] = []
    if cache_dir is not None:
        folders.append(cache_dir / "crashes")
    elif os.environ.get("AUDITOR_CACHE_DIR"):
        folders.append(Path(os.environ["AUDITOR_CACHE_DIR"]) / "crashes")
    else:
        try:
            from auditor.cache import default_cache_dir

            folders.append(default_cache_dir() / "crashes")
        except Exception:  # noqa: BLE001, S110 - the temporary folder below still works
            pass
    folders.append(Path(tempfile.gettempdir()))
    return folders


def crash_text(exc: BaseException, argv: Sequence[str]) -> str:
    """Return the crash report: version, platform, redacted arguments, the full traceback."""
    lines = [
        f"auditor {__version__} internal error",
        f"time: {dt.datetime.now(tz=dt.UTC).isoformat(timespec='seconds')}",
        f"python: {sys.version.split()[0]} ({platform.platform()})",
        "arguments: " + " ".join(_redact(a) for a in argv),
        "",
        *traceback.format_exception(exc),
    ]
    return "\n".join(line.rstrip("\n") for line in lines) + "\n"


def _prune(folder: Path) -> None:
    reports = sorted(folder.glob("auditor-crash-*.txt"))
    for old in reports[:-KEEP]:
        old.unlink(missing_ok=True)


def write_crash_report(
    exc: BaseException, argv: Sequence[str], cache_dir: Path | None
) -> Path | None:
    """Write the crash report atomically; return its path (None when no folder was writable)."""
    from auditor.atomic import atomic_write_text

    stamp = dt.datetime.now(tz=dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    name = f"auditor-crash-{stamp}-{os.getpid()}.txt"
    text = crash_text(exc, argv)
    for folder in _folders(cache_dir):
        target = folder / name
        try:
            atomic_write_text(target, text)
        except OSError:
            continue
        if folder.name == "crashes":
            with contextlib.suppress(OSError):
                _prune(folder)
        return target
    return None


def report_crash(exc: BaseException, argv: Sequence[str], cache_dir: Path | None) -> str:
    """Write the traceback to a file and return the one-line message for stderr."""
    try:
        where = write_crash_report(exc, argv, cache_dir)
    except Exception:  # noqa: BLE001 - reporting a crash must not crash
        where = None
    what = one_line(f"{type(exc).__name__}: {exc}", limit=300)
    tail = f"traceback in {where}" if where else "the traceback could not be written"
    return f"auditor: internal error (a bug, please report it): {what}; {one_line(tail)}"


__all__ = ["crash_text", "report_crash", "write_crash_report"]
