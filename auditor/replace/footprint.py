"""How much of each imported distribution the project uses: the ``footprint`` fact.

For every third-party distribution the code imports, the footprint counts the used symbols and
call sites and, when the distribution is installed here, slices the used part (offline, never
importing it) to measure its lines and complexity against the whole package. Enrichment computes
it once (`measure_footprints`); the AUD6xx checks and `auditor replace` read it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.replace.callsites import find_call_sites
from auditor.replace.slicer import SliceError, slice_package
from auditor.replace.source import SourceNotFound, find_installed

if TYPE_CHECKING:
    from auditor.imports.usage import ImportUsage


@dataclass(frozen=True, slots=True, kw_only=True)
class Footprint:
    """One distribution's use by the project, and the size of the used part.

    `used_lines`/`complexity`/`functions` are None when the distribution is not installed
    or the used part could not be sliced (`problem` says why).
    """

    package: str
    version: str | None
    symbols: tuple[str, ...]
    call_sites: int
    files: tuple[str, ...]
    used_lines: int | None = None
    package_lines: int | None = None
    complexity: int | None = None
    functions: int = 0
    classes: int = 0
    pure: bool | None = None
    requires: tuple[str, ...] = ()
    license: str | None = None
    problem: str | None = None

    def describe_use(self, display: str) -> str:
        """``uses 2 functions of X (18 lines)`` in plain words."""
        kinds = []
        if self.functions:
            kinds.append(f"{self.functions} function{'s' if self.functions != 1 else ''}")
        if self.classes:
            kinds.append(f"{self.classes} class{'es' if self.classes != 1 else ''}")
        rest = len(self.symbols) - self.functions - self.classes
        if rest > 0:
            kinds.append(f"{rest} other name{'s' if rest != 1 else ''}")
        what = " and ".join(kinds) or f"{len(self.symbols)} names"
        size = f" ({self.used_lines} of {self.package_lines} lines)" if self.used_lines else ""
        calls = f", called at {self.call_sites} site{'s' if self.call_sites != 1 else ''}"
        return f"uses {what} of {display}{size}{calls if self.call_sites else ''}"


def _own_symbols(symbols: Sequence[str], modules: Sequence[str]) -> list[str]:
    """Drop bare module names (``import x`` with no attribute used)."""
    names = set(modules)
    return [s for s in symbols if s not in names]


def measure_footprint(
    root: Path, usage: ImportUsage, package: str, *, paths: Sequence[str] | None = None
) -> Footprint:
    """Measure one distribution's footprint (see the module docstring)."""
    sites = [s for s in usage.sites_for_distribution(package) if not s.dev]
    modules = sorted({s.site.module for s in sites})
    symbols = _own_symbols(sorted({sym for s in sites for sym in s.site.symbols}), modules)
    files = tuple(sorted({s.site.path for s in sites}))
    calls = find_call_sites(root, files, modules, symbols)
    found = Footprint(
        package=package, version=None, symbols=tuple(symbols), call_sites=len(calls), files=files
    )
    try:
        source = find_installed(package, paths)
    except SourceNotFound as exc:
        return replace(found, problem=str(exc))
    found = replace(
        found,
        version=source.version,
        pure=source.pure,
        requires=source.requires,
        license=source.license,
    )
    try:
        sliced = slice_package(source, symbols)
    except SliceError as exc:
        return replace(found, problem=str(exc))
    return replace(
        found,
        used_lines=sliced.used_lines,
        package_lines=sliced.package_lines,
        complexity=sliced.complexity,
        functions=sum(1 for s in sliced.symbols if s.kind == "function"),
        classes=sum(1 for s in sliced.symbols if s.kind == "class"),
    )


def measure_footprints(root: Path, usage: ImportUsage) -> Mapping[str, Footprint]:
    """Measure every third-party distribution the production code imports."""
    names = sorted(
        {d for item in usage.resolved if not item.dev for d in item.mapping.distributions}
    )
    return {name: measure_footprint(root, usage, name) for name in names}


__all__ = ["Footprint", "measure_footprint", "measure_footprints"]
