"""The pip backend: ``pip install --dry-run --report - --only-binary :all:`` (pip >= 22.2).

pip runs isolated (``--isolated``: no configuration files, no ``PIP_*`` variables) with the
index and target on its command line and wheels only, so nothing is built. Its installation
report lists every distribution with its core metadata; the edges come from each one's
``Requires-Dist`` evaluated for the target environment the report describes.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from packaging.markers import InvalidMarker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement

from auditor.model import normalize_name
from auditor.resolve.model import ResolvedPackage, ResolveError, ResolveRequest, Unresolved
from auditor.resolve.run import clean_env, run_resolver

# uv's platform names -> pip's platform tags (pip needs tags; anything else is passed as-is).
_PIP_PLATFORMS: Mapping[str, tuple[str, ...]] = {
    "linux": ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64",
              "linux_x86_64"),
    "x86_64-manylinux_2_28": ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64"),
    "aarch64-manylinux_2_28": ("manylinux_2_28_aarch64", "manylinux_2_17_aarch64"),
    "macos": ("macosx_11_0_arm64", "macosx_11_0_x86_64", "macosx_10_12_x86_64"),
    "windows": ("win_amd64",),
}  # fmt: skip
_NO_MATCH = re.compile(r"Could not find a version that satisfies the requirement ([A-Za-z0-9._-]+)")


def pip_version() -> str:
    """Return ``pip X.Y`` of the running interpreter's pip."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"pip {version('pip')}"
    except PackageNotFoundError as exc:
        raise ResolveError("pip is not installed for this Python") from exc


def _argv(request: ResolveRequest, work: Path) -> list[str]:
    argv = [
        sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--report", "-",
        "--isolated", "--ignore-installed", "--only-binary", ":all:", "--no-input",
        "--disable-pip-version-check", "--index-url", request.index_url,
        "--python-version", request.target.python, "-r", str(work / "requirements.in"),
    ]  # fmt: skip
    for tag in _PIP_PLATFORMS.get(request.target.platform, (request.target.platform,)):
        if tag:
            argv += ["--platform", tag]
    if request.constraints:
        argv += ["-c", str(work / "constraints.txt")]
    return argv


def _env_for(report: Mapping[str, Any], extra: str) -> dict[str, str]:
    env = report.get("environment")
    values = {k: str(v) for k, v in env.items()} if isinstance(env, dict) else {}
    values["extra"] = extra
    return values


def _applies(req: Requirement, report: Mapping[str, Any], extras: set[str]) -> bool:
    if req.marker is None:
        return True
    for extra in ("", *sorted(extras)):
        try:
            if req.marker.evaluate(_env_for(report, extra)):
                return True
        except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName):
            return True  # cannot tell: keep the edge rather than hide a dependency
    return False


def parse_report(report: Mapping[str, Any]) -> list[ResolvedPackage]:
    """Turn pip's installation report into packages with their parents."""
    items = [i for i in report.get("install", []) if isinstance(i, dict)]
    metas = {normalize_name(str(i["metadata"]["name"])): i for i in items if "metadata" in i}
    extras: dict[str, set[str]] = {name: set() for name in metas}
    requires: dict[str, list[Requirement]] = {}
    for name, item in metas.items():
        extras[name].update(str(e) for e in item.get("requested_extras") or ())
        parsed: list[Requirement] = []
        for text in item["metadata"].get("requires_dist") or ():
            try:
                parsed.append(Requirement(str(text)))
            except InvalidRequirement:
                continue
        requires[name] = parsed
    for reqs in requires.values():  # extras asked for by other packages' requirements
        for req in reqs:
            key = normalize_name(req.name)
            if key in extras:
                extras[key].update(req.extras)
    parents: dict[str, set[str]] = {name: set() for name in metas}
    for name, reqs in requires.items():
        for req in reqs:
            child = normalize_name(req.name)
            if child in metas and child != name and _applies(req, report, extras[name]):
                parents[child].add(name)
    return [
        ResolvedPackage(
            name=name,
            display_name=str(item["metadata"]["name"]),
            version=str(item["metadata"]["version"]),
            requested=bool(item.get("requested")),
            parents=tuple(sorted(parents[name])),
        )
        for name, item in sorted(metas.items())
    ]


def resolve_with_pip(
    request: ResolveRequest, *, timeout: float
) -> tuple[list[ResolvedPackage], list[Unresolved], str | None]:
    """Resolve `request` with pip; return (packages, left out, error text or None)."""
    with tempfile.TemporaryDirectory(prefix="auditor-resolve-") as folder:
        work = Path(folder)
        (work / "requirements.in").write_text("\n".join(request.requirements) + "\n", "utf-8")
        if request.constraints:
            (work / "constraints.txt").write_text("\n".join(request.constraints) + "\n", "utf-8")
        done = run_resolver(_argv(request, work), timeout=timeout, env=clean_env(), cwd=folder)
    if done.returncode != 0:
        missing = [
            Unresolved(
                name=normalize_name(m[1]),
                reason="not resolved: no wheel on the index for the target (an sdist would "
                "execute its build), or not on the index",
            )
            for m in _NO_MATCH.finditer(done.stderr)
        ]
        text = " ".join(line.strip() for line in done.stderr.splitlines() if line.strip())
        return [], missing, text[:600] or f"pip exited {done.returncode}"
    try:
        report = json.loads(done.stdout)
    except (ValueError, RecursionError) as exc:
        raise ResolveError("pip's installation report is not JSON") from exc
    if not isinstance(report, dict):
        raise ResolveError("pip's installation report is not a JSON object")
    return parse_report(report), [], None


__all__ = ["parse_report", "pip_version", "resolve_with_pip"]
