"""Optional integration modules: code that runs only when the user opts into another tool.

A library's ``contrib/`` or ``integrations/`` folder, a pytest plugin module ``tox/pytest.py``
or a Jinja2 adapter ``jinja2tags.py`` imports a package that the library's users bring only when
they use that integration. Such an import of a development-declared package is not production
code importing a test tool; it wants an extra, and is reported quietly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

# Suffixes of a module named after the tool it integrates with (``jinja2tags``, ``redis_backend``).
_NAMED_AFTER_SUFFIXES = ("", "tags", "_tags", "_plugin", "plugin", "_ext", "_support",
                         "_integration", "_backend", "_compat", "_utils")  # fmt: skip


@dataclass(frozen=True, slots=True)
class IntegrationModules:
    """Decides which files are optional integration modules, from the imports policy."""

    dirs: frozenset[str]
    # path -> the top-level names the file imports
    imported: Mapping[str, frozenset[str]]

    def holds(self, path: str, top: str) -> bool:
        """Whether the import of `top` in the file at `path` belongs to an optional integration.

        True in a folder named like ``contrib`` or ``integrations``, and in a module named after
        `top` or after any other package it imports (``tox/pytest.py`` importing
        ``devpi_process`` beside ``pytest``).
        """
        file = PurePosixPath(path)
        if any(part.lower() in self.dirs for part in file.parts[:-1]):
            return True
        stem = file.stem.lower().lstrip("_")
        names = {top.lower(), *(n.lower() for n in self.imported.get(path, ()))}
        return any(stem == f"{name}{suffix}" for name in names for suffix in _NAMED_AFTER_SUFFIXES)


def integration_modules(
    policy: Mapping[str, Any], sites: Iterable[tuple[str, str]]
) -> IntegrationModules:
    """Build the decider from ``integration_dirs`` and the (path, top) of the code's imports."""
    imported: dict[str, set[str]] = {}
    for path, top in sites:
        if top:
            imported.setdefault(path, set()).add(top)
    dirs = frozenset(str(d).lower() for d in policy.get("integration_dirs", ()))
    return IntegrationModules(
        dirs=dirs, imported={path: frozenset(tops) for path, tops in imported.items()}
    )


__all__ = ["IntegrationModules", "integration_modules"]
