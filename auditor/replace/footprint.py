"""How much of each imported distribution the project uses: the ``footprint`` fact.

For every third-party distribution the code imports, the footprint counts the used symbols and
call sites and, when the distribution is installed here, slices the used part (offline, never
importing it) to measure its lines and complexity against the whole package. Enrichment computes
it once (`measure_footprints`); the AUD6xx checks and `auditor replace` read it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from auditor.cache import Cache
    from auditor.imports.usage import ImportUsage
    from auditor.replace.callsites import ParsedFiles
    from auditor.replace.source import PackageSource

# Slice measures are cached by (package, version, origin, symbols, this version).
CACHE_NAMESPACE = "replace:footprint:v1"
SLICER_VERSION = "2"

# Past this many used names a package is no sliver; slicing it would only cost scan time.
MAX_SYMBOLS = 16


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
    third_party: tuple[str, ...] = ()

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


def _slice_metrics(
    source: PackageSource, symbols: Sequence[str], cache: Cache | None
) -> dict[str, Any]:
    """Slice and measure, or take the measures from the cache (keyed by what they depend on)."""
    raw = json.dumps([source.name, source.version, source.origin, list(symbols), SLICER_VERSION])
    key = hashlib.sha256(raw.encode()).hexdigest()
    if cache is not None:
        hit = cache.get(CACHE_NAMESPACE, key)
        if isinstance(hit, dict):
            return hit
    from auditor.replace.slicer import SliceError, slice_package

    try:
        sliced = slice_package(source, symbols)
    except SliceError as exc:
        metrics: dict[str, Any] = {"problem": str(exc)}
    else:
        metrics = {
            "used_lines": sliced.used_lines,
            "package_lines": sliced.package_lines,
            "complexity": sliced.complexity,
            "functions": sum(1 for s in sliced.symbols if s.kind == "function"),
            "classes": sum(1 for s in sliced.symbols if s.kind == "class"),
            "third_party": list(sliced.third_party),
        }
    if cache is not None:
        cache.set(CACHE_NAMESPACE, key, metrics)
    return metrics


def measure_footprint(
    root: Path,
    usage: ImportUsage,
    package: str,
    *,
    paths: Sequence[str] | None = None,
    trees: ParsedFiles | None = None,
    max_symbols: int = MAX_SYMBOLS,
    cache: Cache | None = None,
) -> Footprint:
    """Measure one distribution's footprint (see the module docstring).

    A package used for more than `max_symbols` names is no sliver: it is neither sliced nor
    are its call sites counted (both cost scan time for nothing).
    """
    from auditor.replace.callsites import find_call_sites
    from auditor.replace.source import SourceNotFound, find_installed

    sites = [s for s in usage.sites_for_distribution(package) if not s.dev]
    modules = sorted({s.site.module for s in sites})
    symbols = _own_symbols(sorted({sym for s in sites for sym in s.site.symbols}), modules)
    files = tuple(sorted({s.site.path for s in sites}))
    found = Footprint(package=package, version=None, symbols=tuple(symbols), call_sites=0,
                      files=files)  # fmt: skip
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
    if len(symbols) > max_symbols:
        return replace(found, problem=f"uses {len(symbols)} names: not a sliver (not sliced)")
    if not source.pure:
        return replace(found, problem="ships compiled code")
    metrics = _slice_metrics(source, symbols, cache)
    calls = (
        find_call_sites(root, files, modules, symbols, trees) if "problem" not in metrics else []
    )
    return replace(
        found,
        call_sites=len(calls),
        used_lines=metrics.get("used_lines"),
        package_lines=metrics.get("package_lines"),
        complexity=metrics.get("complexity"),
        functions=int(metrics.get("functions", 0)),
        classes=int(metrics.get("classes", 0)),
        third_party=tuple(str(m) for m in metrics.get("third_party", ())),
        problem=metrics.get("problem"),
    )


def measure_footprints(
    root: Path, usage: ImportUsage, cache: Cache | None = None
) -> Mapping[str, Footprint]:
    """Measure every third-party distribution the production code imports."""
    names = sorted(
        {d for item in usage.resolved if not item.dev for d in item.mapping.distributions}
    )
    trees: ParsedFiles = {}
    return {name: measure_footprint(root, usage, name, trees=trees, cache=cache) for name in names}


__all__ = ["Footprint", "measure_footprint", "measure_footprints"]
