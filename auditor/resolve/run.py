"""Run a resolver subprocess: fixed argv, a scrubbed environment, a deadline, output captured.

The resolver is told everything on its command line (index, target, wheels only, no config
files); the environment loses every ``UV_*`` and ``PIP_*`` variable so none can add an index or
re-enable source builds behind Auditor's back. On timeout the whole process group is killed.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from auditor.resolve.model import ResolveError

# Variables that would change what a resolver asks or builds; the command line says it all.
_SCRUBBED_PREFIXES = ("UV_", "PIP_", "PYTHONPATH")


class ResolverTimeoutError(ResolveError):
    """The resolver outlived its deadline (and was killed)."""


@dataclass(frozen=True, slots=True)
class Completed:
    """A finished resolver run."""

    returncode: int
    stdout: str
    stderr: str


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return the current environment without resolver settings, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUBBED_PREFIXES)}
    env.update(extra or {})
    return env


def run_resolver(
    argv: Sequence[str], *, timeout: float, env: Mapping[str, str], cwd: str | None = None
) -> Completed:
    """Run `argv`; raise `ResolveError` when it cannot start or outlives `timeout` seconds."""
    try:
        process = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
            env=dict(env),
            cwd=cwd,
            start_new_session=True,
        )
    except OSError as exc:
        raise ResolveError(f"cannot run {argv[0]}: {exc.strerror or exc}") from exc
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        process.communicate()
        raise ResolverTimeoutError(f"the resolver did not finish within {timeout:g} s") from None
    return Completed(process.returncode, stdout, stderr)


def _kill_group(process: subprocess.Popen[str]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()


__all__ = ["Completed", "ResolverTimeoutError", "clean_env", "run_resolver"]
