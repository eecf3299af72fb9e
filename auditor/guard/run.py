"""Run the installer once the gate allows it (exec: same arguments, same exit code), and shims.

`exec_installer` replaces the current process with the installer, so its exit code, signals and
terminal are the installer's own. Shims are small shell scripts named like the installers
(``pip``, ``uv``, ``poetry`` ...) that run ``auditor guard`` first; placed early on PATH they make
the gate the default. A shim finds the real installer on PATH past its own folder.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

SHIM_NAMES = ("pip", "pip3", "uv", "uvx", "poetry", "pipx")
SHIM_MARKER = "# auditor guard shim"


class InstallerNotFound(LookupError):  # noqa: N818 - reads as the condition
    """The installer named on the command line is not on PATH."""


def real_executable(name: str, *, skip_dir: Path | None = None) -> str:
    """Return the path of `name` on PATH, skipping `skip_dir` (a shim folder)."""
    if os.sep in name or (os.altsep and os.altsep in name):
        return name
    skip = skip_dir.resolve() if skip_dir is not None else None
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        if not folder:
            continue
        if skip is not None and Path(folder).resolve() == skip:
            continue
        found = shutil.which(name, path=folder)
        if found is not None:
            return found
    raise InstallerNotFound(f"{name}: not found on PATH")


def exec_installer(argv: Sequence[str], *, skip_dir: Path | None = None) -> NoReturn:
    """Replace this process with the installer (raises InstallerNotFound or OSError)."""
    program = real_executable(argv[0], skip_dir=skip_dir)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(program, [argv[0], *argv[1:]])  # noqa: S606 - the user's own command, vetted


def shim_text(name: str, folder: Path, python: str) -> str:
    """Return the shell script of one shim."""
    return (
        "#!/bin/sh\n"
        f"{SHIM_MARKER}: vets what {name} would install before it runs (delete to stop)\n"
        f"exec {shlex.quote(python)} -m auditor guard --shim-dir {shlex.quote(str(folder))} "
        f'-- {shlex.quote(name)} "$@"\n'
    )


def install_shims(folder: Path, *, python: str | None = None) -> list[Path]:
    """Write the shims into `folder` (atomically, executable); return their paths.

    A file of the same name that is not an Auditor shim is left alone.
    """
    from auditor.atomic import atomic_write_text

    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name in SHIM_NAMES:
        path = folder / name
        if path.exists() and SHIM_MARKER not in path.read_text("utf-8", errors="replace"):
            continue
        atomic_write_text(path, shim_text(name, folder.resolve(), python or sys.executable))
        path.chmod(0o755)
        written.append(path)
    return written


def default_shim_dir() -> Path:
    """Return the per-user folder for shims (``platformdirs.user_data_dir('auditor')/shims``)."""
    import platformdirs

    return Path(platformdirs.user_data_dir("auditor", appauthor=False)) / "shims"


__all__ = [
    "SHIM_NAMES",
    "InstallerNotFound",
    "default_shim_dir",
    "exec_installer",
    "install_shims",
    "real_executable",
    "shim_text",
]
