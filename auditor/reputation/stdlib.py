"""Standard-library module names, and whether a declared distribution is named like one."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from packaging.markers import InvalidMarker, Marker, UndefinedComparison, UndefinedEnvironmentName

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


def limited_to_older_python(marker: str | None, version: str) -> bool:
    """Whether `marker` excludes Python `version` (so a backport is only installed before it).

    ``dataclasses; python_version < "3.7"`` is limited to older Pythons for version 3.7; no
    marker, or one that cannot be evaluated, is not.
    """
    if not marker:
        return False
    try:
        parsed = Marker(marker)
        return not parsed.evaluate(
            {"python_version": version, "python_full_version": f"{version}.0", "extra": ""}
        )
    except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName):
        return False


__all__ = ["StdlibMatch", "limited_to_older_python", "match_stdlib", "stdlib_names"]
