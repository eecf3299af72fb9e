"""Import scanning and module -> distribution mapping: what the code uses, and from whom.

The enrichment stage computes the result once per run (``scan_usage(scan, context)``) and
checks read it as ``ctx.facts.imports``::

    usage: ImportUsage = ctx.facts.imports
    for module in usage.third_party():             # ModuleUsage: name, kind, sites, symbols
        ...
    usage.sites_for_distribution("requests")       # [ResolvedSite(site, mapping, dev)]
    usage.symbols_for_distribution("requests")     # ("requests.get", "requests.Session", ...)
    usage.modules_for_distribution("pyyaml")       # ("yaml",)
    usage.imported_distributions()                 # every distribution some import may need
    usage.first_party                              # the repo's own top-level names
    usage.errors                                   # files that did not parse (ScanError)

An `ImportSite` is one import statement or literal dynamic import: full dotted ``module``,
``top``-level name, ``path`` and ``line`` (repo-relative), the fully qualified ``symbols`` used
from it, and the flags ``type_only`` (under TYPE_CHECKING), ``optional`` (try/except
ImportError), ``dynamic`` (importlib.import_module / __import__ with a literal), ``relative``,
``star``, ``lazy`` (inside a function or method body) and ``in_except`` (inside an ``except``
handler). A `ModuleMapping` says which distributions may provide a module and how that was
found (``source``, in the order the sources are tried: environment, wheel-metadata, import-map,
name-match, heuristic; see `auditor.imports.mapping`). ``usage.loaded`` holds the modules
frameworks load by name (settings strings, entry points: `auditor.imports.loaded`), which count
as use but never as missing; ``usage.used_distributions()`` includes them.
"""

from auditor.imports.mapping import DistributionMapper, ModuleMapping, load_import_map
from auditor.imports.scanner import ImportSite, ScanError, ScanResult, scan_files
from auditor.imports.usage import (
    STDLIB,
    ImportUsage,
    ModuleKind,
    ModuleUsage,
    ResolvedSite,
    scan_usage,
)

__all__ = [
    "STDLIB",
    "DistributionMapper",
    "ImportSite",
    "ImportUsage",
    "ModuleKind",
    "ModuleMapping",
    "ModuleUsage",
    "ResolvedSite",
    "ScanError",
    "ScanResult",
    "load_import_map",
    "scan_files",
    "scan_usage",
]
