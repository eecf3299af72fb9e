"""Which environments a requirement or a lock entry applies to, by environment markers.

Drift (AUD104) compares a requirement only with the lock entries locked for an environment the
requirement applies to: uv forks its resolution (``resolution-markers``) and may lock several
versions of one package, one per Python range or platform; Poetry 2 records ``markers`` per
package. A requirement whose marker excludes every Python the project supports
(``requires-python``) or every environment the lock was resolved for applies nowhere.

Markers are judged on a fixed sample of environments (CPython and PyPy, Python 3.6-3.15 at two
micro versions, Linux, macOS and Windows on x86-64 and ARM): two markers overlap when some
sampled environment satisfies both. A marker the sample cannot judge (one naming ``extra``, or
one packaging rejects, or one false everywhere in the sample) counts as applying everywhere, so
an unknown never hides a version from the comparison.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable
from pathlib import Path

import tomli
from packaging.markers import InvalidMarker, Marker, UndefinedComparison, UndefinedEnvironmentName
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from auditor.model import Requirement

Envs = frozenset[int]

_PYTHONS = [(3, minor, micro) for minor in range(6, 16) for micro in (0, 30)]
_PLATFORMS = [
    ("linux", "Linux", "posix", "x86_64"),
    ("linux", "Linux", "posix", "aarch64"),
    ("darwin", "Darwin", "posix", "arm64"),
    ("darwin", "Darwin", "posix", "x86_64"),
    ("win32", "Windows", "nt", "AMD64"),
]
_IMPLEMENTATIONS = [("cpython", "CPython"), ("pypy", "PyPy")]


def _sample() -> list[dict[str, str]]:
    envs = []
    for (major, minor, micro), platform, impl in itertools.product(
        _PYTHONS, _PLATFORMS, _IMPLEMENTATIONS
    ):
        full = f"{major}.{minor}.{micro}"
        envs.append(
            {
                "python_version": f"{major}.{minor}",
                "python_full_version": full,
                "implementation_version": full,
                "sys_platform": platform[0],
                "platform_system": platform[1],
                "os_name": platform[2],
                "platform_machine": platform[3],
                "implementation_name": impl[0],
                "platform_python_implementation": impl[1],
                "platform_release": "",
                "platform_version": "",
                "extra": "",
            }
        )
    return envs


_ENVS = _sample()
ALL: Envs = frozenset(range(len(_ENVS)))


@functools.lru_cache(maxsize=4096)
def _judge(marker: str) -> Envs | None:
    """Return the sampled environments `marker` holds in; None when it cannot be judged."""
    if not marker.strip() or "extra" in marker:
        return None
    try:
        parsed = Marker(marker)
        return frozenset(i for i, env in enumerate(_ENVS) if parsed.evaluate(env))
    except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName, ValueError, TypeError):
        return None


def marker_envs(marker: str | None) -> Envs:
    """Return the sampled environments `marker` holds in (all of them when it cannot be judged)."""
    found = None if marker is None else _judge(marker)
    return found or ALL


def any_marker_envs(markers: Iterable[str]) -> Envs:
    """Return the environments where any of `markers` holds (all when there are none)."""
    listed = list(markers)
    if not listed:
        return ALL
    return frozenset().union(*(marker_envs(m) for m in listed))


@functools.lru_cache(maxsize=1024)
def python_envs(requires_python: str | None) -> Envs:
    """Return the sampled environments whose Python satisfies `requires_python`."""
    if not requires_python or not requires_python.strip():
        return ALL
    try:
        spec = SpecifierSet(requires_python)
    except InvalidSpecifier:
        return ALL
    found = frozenset(
        i for i, env in enumerate(_ENVS) if spec.contains(env["python_full_version"], True)
    )
    return found or ALL


def requirement_envs(marker_text: str | None, *, requires_python: str | None = None) -> Envs:
    """Return where a requirement applies: its marker within the project's supported Pythons.

    Empty when the marker excludes every supported Python (``python_version < "3.8"`` in a
    project requiring 3.10): such a requirement is never installed.
    """
    judged = None if marker_text is None else _judge(marker_text)
    own = ALL if judged is None else judged
    return own & python_envs(requires_python)


def never_installed(requirements: Iterable[Requirement]) -> bool:
    """Whether every one of `requirements` has a marker no sampled environment satisfies.

    ``futures; python_version < "3.0"`` installs nothing on Python 3; a requirement for
    ``sys_platform == "emscripten"`` nothing on Linux, macOS or Windows. Unjudgeable markers
    count as installed.
    """
    listed = list(requirements)
    return bool(listed) and all(
        r.marker_text is not None and _judge(r.marker_text) == frozenset() for r in listed
    )


def _read_toml_head(path: Path, stop: str | None) -> dict[str, object]:
    """Parse the TOML text of `path` up to the first line starting with `stop`."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    if stop is not None:
        cut = text.find("\n" + stop)
        text = text if cut < 0 else text[:cut]
    try:
        return tomli.loads(text)
    except tomli.TOMLDecodeError:
        return {}


def _read_toml_metadata(path: Path) -> dict[str, object]:
    """Parse the ``[metadata]`` table at the end of a poetry.lock (without the packages)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    cut = text.find("\n[metadata]")
    try:
        return tomli.loads(text[cut:]) if cut >= 0 else {}
    except tomli.TOMLDecodeError:
        return {}


def _poetry_python(text: str) -> str | None:
    from auditor.sources.poetry_constraint import UnsupportedConstraint, poetry_to_pep440

    try:
        return poetry_to_pep440(text)
    except UnsupportedConstraint:
        return None


def lock_environments(path: Path, kind: str) -> Envs:
    """Return the environments a lockfile was resolved for; all when it does not say.

    uv.lock: ``requires-python`` and ``supported-markers``; poetry.lock: ``[metadata]
    python-versions``; pdm.lock: ``[metadata] requires_python``.
    """
    envs = ALL
    if kind == "uv.lock":
        head = _read_toml_head(path, "[[package]]")
        requires = head.get("requires-python")
        envs = python_envs(requires if isinstance(requires, str) else None)
        supported = head.get("supported-markers")
        if isinstance(supported, list):
            envs &= any_marker_envs(str(m) for m in supported)
    elif kind in ("poetry.lock", "pdm.lock"):
        data = (
            _read_toml_metadata(path)
            if kind == "poetry.lock"
            else _read_toml_head(path, "[[package]]")
        )
        meta = data.get("metadata")
        if isinstance(meta, dict):
            if isinstance(meta.get("python-versions"), str):
                envs = python_envs(_poetry_python(meta["python-versions"]))
            elif isinstance(meta.get("requires_python"), str):
                envs = python_envs(meta["requires_python"])
    return envs or ALL


__all__ = [
    "ALL",
    "Envs",
    "any_marker_envs",
    "lock_environments",
    "marker_envs",
    "python_envs",
    "requirement_envs",
]
