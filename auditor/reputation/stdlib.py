"""Standard-library module names, and whether a declared distribution is named like one."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from packaging.markers import Marker, UndefinedComparison, UndefinedEnvironmentName

from auditor.model import normalize_name


@dataclass(frozen=True, slots=True, kw_only=True)
class StdlibMatch:
    """A declared name that is a standard-library module (or a Python 2 one)."""

    name: str
    module: str
    backport_until: str | None
    python2: bool


def stdlib_names(python2_modules: Iterable[str] = ()) -> dict[str, tuple[str, bool]]:
    """Return ``{normalized name: (module, is_python2_only)}`` for the running interpreter.

    Private modules (``_abc``) and ``__future__`` are left out: nobody declares them and
    distributions with such names would not be mistaken for them.
    """
    found = {
        normalize_name(module): (module, False)
        for module in sys.stdlib_module_names
        if not module.startswith("_")
    }
    for module in python2_modules:
        found.setdefault(normalize_name(module), (module, True))
    return found


def match_stdlib(
    name: str, names: Mapping[str, tuple[str, bool]], backports: Mapping[str, str]
) -> StdlibMatch | None:
    """Return the match when `name` is named like a standard-library module."""
    key = normalize_name(name)
    if key not in names:
        return None
    module, python2 = names[key]
    return StdlibMatch(name=key, module=module, backport_until=backports.get(key), python2=python2)


_PLATFORMS = (
    {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix"},
    {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt"},
    {"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix"},
)


def _older(version: str) -> str:
    major, _, minor = version.partition(".")
    if minor.isdigit() and int(minor) > 0:
        return f"{major}.{int(minor) - 1}"
    return "2.7" if major == "3" else f"{major}.0"


def limited_to_older_python(marker: Marker | None, version: str) -> bool:
    """Whether `marker` (a `Requirement.marker`) limits a requirement to Pythons before `version`.

    True when the marker is false on Python `version` on every common platform and true on
    the version before it on at least one: ``dataclasses; python_version < "3.7"`` is limited
    for 3.7; no marker, a platform-only marker or one that cannot be evaluated is not.
    """
    if marker is None:
        return False

    def holds(python: str, platform: dict[str, str]) -> bool:
        env = {"python_version": python, "python_full_version": f"{python}.0", "extra": ""}
        return marker.evaluate({**platform, **env})

    try:
        if any(holds(version, platform) for platform in _PLATFORMS):
            return False
        return any(holds(_older(version), platform) for platform in _PLATFORMS)
    except (UndefinedComparison, UndefinedEnvironmentName):
        return False


__all__ = ["StdlibMatch", "limited_to_older_python", "match_stdlib", "stdlib_names"]
