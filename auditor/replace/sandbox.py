"""Run untrusted Python (drafts, the original package) in a separate, fenced-in interpreter.

The child is ``python -I -S`` (no site-packages, no user site, no ``PYTHON*`` variables) started
in a fresh temporary folder that is also its HOME and TMPDIR, with an environment of four fixed
variables (no API key, no proxy, nothing of the caller's), a new session (the whole group is
killed at the time limit) and resource limits (CPU seconds, address space, file size, open
files, no core dumps). On Linux it is moved into new network (and, when not root, user)
namespaces where the kernel allows it: no interface but a downed loopback, so no connection can
leave. Inside, the harness installs an audit hook before the untrusted code loads that refuses
sockets, subprocesses, ctypes and file writes or reads outside the sandbox folder and the
interpreter's own library, and records every refusal. What was actually reached is reported in
`Isolation` (the child states its network namespace itself): `require` fails closed.
"""

from __future__ import annotations

import contextlib
import ctypes
import enum
import os
import resource
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from auditor.errors import AuditorError

_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
_MAX_OUTPUT = 8 << 20


class IsolationLevel(enum.StrEnum):
    """How far the sandbox fenced the child in, weakest first."""

    PROCESS = "process"  # limits, clean env, isolated interpreter; audit hook for the rest
    NAMESPACE = "namespace"  # also a network namespace: no route out at the kernel level


class IsolationError(AuditorError):
    """The isolation asked for (``--require-isolation``) was not reached."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """Resource limits of one sandboxed run."""

    timeout: float = 30.0
    cpu_seconds: int = 20
    memory_mb: int = 1024
    file_size_mb: int = 16
    open_files: int = 256


@dataclass(frozen=True, slots=True, kw_only=True)
class Isolation:
    """What the run actually reached (reported with every verification)."""

    level: IsolationLevel
    network_namespace: bool
    audit_hook: bool
    interpreter_flags: str
    environment: tuple[str, ...]
    limits: Limits
    detail: str = ""

    def to_json(self) -> dict[str, object]:
        """Return the JSON form used in the verification report."""
        return {
            "level": str(self.level),
            "network_namespace": self.network_namespace,
            "audit_hook": self.audit_hook,
            "interpreter_flags": self.interpreter_flags,
            "environment": list(self.environment),
            "limits": {
                "timeout_s": self.limits.timeout,
                "cpu_s": self.limits.cpu_seconds,
                "memory_mb": self.limits.memory_mb,
                "file_size_mb": self.limits.file_size_mb,
                "open_files": self.limits.open_files,
            },
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class SandboxRun:
    """The outcome of one sandboxed run."""

    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool


def _preexec(limits: Limits, want_netns: bool) -> None:  # runs in the child, before exec
    os.setsid()
    mib = 1 << 20
    for which, value in (
        (resource.RLIMIT_CPU, limits.cpu_seconds),
        (resource.RLIMIT_AS, limits.memory_mb * mib),
        (resource.RLIMIT_FSIZE, limits.file_size_mb * mib),
        (resource.RLIMIT_NOFILE, limits.open_files),
        (resource.RLIMIT_CORE, 0),
    ):
        # A hard limit lower than ours may already hold: keep it.
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(which, (value, value))
    if want_netns and sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        flags = _CLONE_NEWNET if os.geteuid() == 0 else _CLONE_NEWNET | _CLONE_NEWUSER
        libc.unshare(flags)  # failure leaves the audit hook as the network fence


def _own_netns() -> str:
    try:
        return str(Path("/proc/self/ns/net").readlink())
    except OSError:
        return ""


SANDBOX_ENV_KEYS = ("HOME", "TMPDIR", "LANG", "PYTHONHASHSEED")


def run_python(
    folder: Path,
    script: str,
    args: tuple[str, ...] = (),
    *,
    limits: Limits,
    network_namespace: bool = True,
) -> SandboxRun:
    """Run `script` (a file in `folder`) in the sandbox; `folder` is its cwd, HOME and TMPDIR.

    The child's stdout and stderr go to files outside `folder`, capped by the file-size limit
    and read back up to 8 MiB.
    """
    env = {
        "HOME": str(folder),
        "TMPDIR": str(folder),
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
    }
    with tempfile.TemporaryDirectory(prefix="auditor-sandbox-out-") as outdir:
        out_path, err_path = Path(outdir) / "stdout", Path(outdir) / "stderr"
        with out_path.open("wb") as out, err_path.open("wb") as err:
            proc = subprocess.Popen(
                [sys.executable, "-I", "-S", "-B", str(folder / script), *args],
                cwd=folder,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                # Limits and namespaces must be set in the child, between fork and exec.
                preexec_fn=lambda: _preexec(limits, network_namespace),
                close_fds=True,
            )
            timed_out = False
            try:
                proc.wait(timeout=limits.timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        stdout = out_path.read_bytes()[:_MAX_OUTPUT].decode("utf-8", errors="replace")
        stderr = err_path.read_bytes()[:_MAX_OUTPUT].decode("utf-8", errors="replace")
    return SandboxRun(
        returncode=proc.returncode,
        stdout=stdout,
        stderr=stderr,
        timed_out=timed_out,
    )


def isolation_of(reported_netns: str, limits: Limits, *, hook: bool = True) -> Isolation:
    """Describe the isolation reached, from the network namespace the child reported."""
    separate = bool(reported_netns) and reported_netns != _own_netns()
    return Isolation(
        level=IsolationLevel.NAMESPACE if separate else IsolationLevel.PROCESS,
        network_namespace=separate,
        audit_hook=hook,
        interpreter_flags="-I -S -B",
        environment=SANDBOX_ENV_KEYS,
        limits=limits,
        detail="network namespace: no route out"
        if separate
        else "no network namespace (not permitted here): sockets refused by the audit hook",
    )


def require_isolation(isolation: Isolation, wanted: IsolationLevel | None) -> None:
    """Fail closed when the isolation reached is weaker than `wanted`.

    Raises:
        IsolationError: it is.
    """
    order = list(IsolationLevel)
    if wanted is not None and order.index(isolation.level) < order.index(wanted):
        raise IsolationError(
            f"sandbox isolation reached {isolation.level}, but {wanted} is required "
            f"({isolation.detail})"
        )


__all__ = [
    "SANDBOX_ENV_KEYS",
    "Isolation",
    "IsolationError",
    "IsolationLevel",
    "Limits",
    "SandboxRun",
    "isolation_of",
    "require_isolation",
    "run_python",
]
