"""The uv backend: ``uv pip compile --no-build``, its ``# via`` annotations as the edges.

uv is told everything on its command line: the index (``--default-index``), the target
(``--python-version``, ``--python-platform``), wheels only (``--no-build``: no sdist is ever
built, so no package code runs), no configuration files (``--no-config``), no Python downloads.
A package that only has an sdist, or that the index does not know, makes uv fail; its name is
read from uv's explanation, it is excluded (``--excludes``) and the resolution runs again, so the
rest is still resolved and the left-out package is reported as not resolved.
"""

from __future__ import annotations

import functools
import importlib
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from auditor.model import normalize_name
from auditor.resolve.model import (
    NOT_FOUND,
    WOULD_BUILD,
    ResolvedPackage,
    ResolveError,
    ResolveRequest,
    Unresolved,
)
from auditor.resolve.run import ResolverTimeoutError, clean_env, run_resolver

_LINE = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(?P<version>\S+)"
    r"(?:\s+;[^#]*)?\s*(?:#\s*via\s+(?P<via>.*))?$"
)
_WOULD_BUILD = (
    re.compile(r"Wheels are required for `([^`]+)`"),
    re.compile(r"Because (?:only )?([A-Za-z0-9][A-Za-z0-9._-]*)\S* has no usable wheels"),
)
_NO_WHEEL_FOR_TARGET = re.compile(r"Wheels are available for `([^`]+)`")
_NOT_FOUND = (
    re.compile(r"Because ([A-Za-z0-9][A-Za-z0-9._-]*) was not found in the package registry"),
    re.compile(r"`?([A-Za-z0-9][A-Za-z0-9._-]*)`? was not found in the package registry"),
)
_NO_VERSION = re.compile(r"there (?:are|is) no versions? of ([A-Za-z0-9][A-Za-z0-9._-]*)")


def find_uv(configured: str = "") -> str | None:
    """Return the uv binary: `configured`, the `uv` package's own binary, or `uv` on PATH."""
    if configured:
        return configured if Path(configured).is_file() else shutil.which(configured)
    try:
        module = importlib.import_module("uv")
        found = str(module.find_uv_bin())
    except (ImportError, FileNotFoundError, AttributeError):
        found = ""
    if found and Path(found).is_file():
        return found
    return shutil.which("uv")


@functools.lru_cache(maxsize=8)
def uv_version(binary: str) -> str:
    """Return ``uv 0.13.9`` for a uv binary (asked once per process)."""
    done = run_resolver([binary, "--version"], timeout=30, env=clean_env())
    words = done.stdout.split()
    return " ".join(words[:2]) if done.returncode == 0 and len(words) >= 2 else "uv"


def _argv(
    binary: str, request: ResolveRequest, work: Path, *, cache_dir: Path | None, offline: bool
) -> list[str]:
    argv = [
        binary, "pip", "compile", str(work / "requirements.in"),
        "--no-config", "--no-header", "--annotation-style", "line", "--no-progress",
        "--no-build", "--no-python-downloads", "--python", sys.executable,
        "--default-index", request.index_url,
        "--python-version", request.target.python,
    ]  # fmt: skip
    if request.target.platform:
        argv += ["--python-platform", request.target.platform]
    if request.constraints:
        argv += ["--constraints", str(work / "constraints.txt")]
    if (work / "excludes.txt").exists():
        argv += ["--excludes", str(work / "excludes.txt")]
    if cache_dir is not None:
        argv += ["--cache-dir", str(cache_dir)]
    if offline:
        argv.append("--offline")
    return argv


def parse_compile_output(text: str, requested: set[str]) -> list[ResolvedPackage]:
    """Read ``name==version  # via a, b`` lines into packages with their parents."""
    found: list[ResolvedPackage] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", "-")):
            continue
        match = _LINE.match(line)
        if match is None:
            continue
        name = normalize_name(match["name"])
        parents: list[str] = []
        direct = name in requested
        for item in (match["via"] or "").split(","):
            item = item.strip()
            if not item:
                continue
            if item.startswith(("-r ", "-c ")):
                direct = direct or item.startswith("-r ")
                continue
            parents.append(normalize_name(item))
        found.append(
            ResolvedPackage(
                name=name,
                display_name=match["name"],
                version=match["version"],
                requested=direct,
                parents=tuple(sorted(set(parents))),
            )
        )
    return found


def left_out(stderr: str) -> list[Unresolved]:
    """Read which packages uv could not use from its explanation (empty: a real conflict)."""
    found: dict[str, str] = {}
    for pattern in _WOULD_BUILD:
        for match in pattern.finditer(stderr):
            found.setdefault(normalize_name(match[1]), WOULD_BUILD)
    for match in _NO_WHEEL_FOR_TARGET.finditer(stderr):
        found.setdefault(normalize_name(match[1]), "not resolved: no wheel for the target platform")
    for pattern in _NOT_FOUND:
        for match in pattern.finditer(stderr):
            found.setdefault(normalize_name(match[1]), NOT_FOUND)
    for match in _NO_VERSION.finditer(stderr):
        found.setdefault(normalize_name(match[1]), "not resolved: no version on the index matches")
    return [Unresolved(name=name, reason=reason) for name, reason in sorted(found.items())]


def _last_words(stderr: str, limit: int = 600) -> str:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    text = " ".join(lines)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def resolve_with_uv(
    binary: str,
    request: ResolveRequest,
    *,
    timeout: float,
    cache_dir: Path | None,
    offline: bool,
    max_excluded: int,
) -> tuple[list[ResolvedPackage], list[Unresolved], str | None]:
    """Resolve `request` with uv; return (packages, left out, error text or None).

    Raises `ResolveError` when uv cannot run or outlives `timeout` (the whole run, retries
    included).
    """
    requested = {_requirement_name(r) for r in request.requirements}
    deadline = time.monotonic() + timeout
    excluded: list[Unresolved] = []
    with tempfile.TemporaryDirectory(prefix="auditor-resolve-") as folder:
        work = Path(folder)
        (work / "requirements.in").write_text("\n".join(request.requirements) + "\n", "utf-8")
        if request.constraints:
            (work / "constraints.txt").write_text("\n".join(request.constraints) + "\n", "utf-8")
        env = clean_env({"NO_COLOR": "1"})
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ResolveError(f"the resolver did not finish within {timeout:g} s")
            argv = _argv(binary, request, work, cache_dir=cache_dir, offline=offline)
            try:
                done = run_resolver(argv, timeout=left, env=env, cwd=folder)
            except ResolverTimeoutError:
                raise ResolverTimeoutError(
                    f"the resolver did not finish within {timeout:g} s"
                ) from None
            if done.returncode == 0:
                return parse_compile_output(done.stdout, requested), excluded, None
            known = {u.name for u in excluded}
            new = [u for u in left_out(done.stderr) if u.name not in known]
            if not new or len(excluded) + len(new) > max_excluded:
                return [], excluded, _last_words(done.stderr) or f"uv exited {done.returncode}"
            excluded.extend(new)
            names = "\n".join(u.name for u in excluded) + "\n"
            (work / "excludes.txt").write_text(names, "utf-8")


def _requirement_name(text: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", text)
    return normalize_name(match[1]) if match else ""


__all__ = ["find_uv", "left_out", "parse_compile_output", "resolve_with_uv", "uv_version"]
