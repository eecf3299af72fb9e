"""Which modules and symbols the project's code uses, where, and which distributions provide them.

`scan_usage(scan, context)` provides the ``imports`` fact of the enrichment stage: it scans the
discovery's ``python_files`` and ``notebooks`` (cached by content),
sorts each imported top-level module into standard library, first-party or third-party, and maps
the third-party imports to distributions. Mapping runs in two passes: the project's own files
first (cheap); only when an import or a declared name is left unexplained are the installed
metadata and the wheel metadata of the declared and locked packages consulted
(`auditor.imports.provides`).

First-party modules are: the repository's top-level packages and modules (flat layout, and
folders holding ``.py`` files without ``__init__.py``, i.e. namespace packages), the same one
level down in ``src/``, ``lib/`` and ``python/``, the project names declared in the manifests
(``my-app`` -> ``my_app``), ``known_first_party`` from the imports policy, and, per importing
file, the modules and packages beside it (a script importing its sibling ``helpers.py``, as
Python and pytest's rootdir insertion resolve it). Relative imports are always first-party.

A file counts as development code (tests, docs, examples, repo tooling) when its path matches
one of the imports policy's ``dev_paths`` globs, lies in a test tree found from pytest's
configuration and the conftest.py files (`auditor.imports.test_trees`), or
is vendored code (``vendored_paths``), whose imports are the vendored project's own.
"""

from __future__ import annotations

import enum
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from auditor.graph import query
from auditor.imports.dev_paths import dev_path_matcher, is_dev_path
from auditor.imports.mapping import (
    DistributionMapper,
    ModuleMapping,
    cached_environment_distributions,
    importable,
)
from auditor.imports.scanner import ImportSite, ScanError, default_workers, scan_files
from auditor.model import InputStatus, ParsedInput, normalize_name

if TYPE_CHECKING:
    from auditor.context import RunContext
    from auditor.graph.build import DependencyGraph
    from auditor.imports.wheelmeta import WheelModules
    from auditor.scanning import Scan

_LAYOUT_DIRS = ("src", "lib", "python")
# `_typeshed` exists only in the type checkers' bundled stubs (imported under TYPE_CHECKING).
STDLIB = frozenset(sys.stdlib_module_names) | {"__main__", "__future__", "_typeshed"}


class ModuleKind(enum.StrEnum):
    """Where an imported top-level module comes from."""

    STDLIB = "stdlib"
    FIRST_PARTY = "first-party"
    THIRD_PARTY = "third-party"


@dataclass(frozen=True, slots=True, kw_only=True)
class ModuleUsage:
    """Every import of one top-level module (third-party sites exclude sibling-local ones)."""

    name: str
    kind: ModuleKind
    sites: tuple[ImportSite, ...]

    @property
    def symbols(self) -> tuple[str, ...]:
        """Every fully qualified name used from this module, sorted."""
        return tuple(sorted({s for site in self.sites for s in site.symbols}))


class ResolvedSite(NamedTuple):
    """A third-party import site with the distributions that may provide it.

    `beside` is set when a module of the imported name sits in the importing file's own
    package folder: Python 3 does not import it by that name unless the folder is on
    ``sys.path``, but the import most likely means it. A named tuple (build it with keywords):
    a large tree has tens of thousands of them.
    """

    site: ImportSite
    mapping: ModuleMapping
    dev: bool
    beside: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportUsage:
    """The ``imports`` fact: what the code imports, from where, provided by what.

    Attributes:
        modules: top-level module name -> its usage (all kinds).
        resolved: every third-party import site with its mapping and whether it is dev code.
        first_party: the first-party top-level names found for the repository.
        errors: files that could not be scanned.
        files: files scanned; parsed / cached: how many were parsed or came from the cache.
        loaded: modules loaded by name (settings strings, entry points): they count as use of
            their distributions, never as missing (`auditor.imports.loaded`).
        unmapped: declared or locked distributions whose module list could not be learned
            (wheel metadata unreachable: offline, network), with the reason; an undeclared
            import may come from one of them.
        wheels: what the wheel metadata source read (None when it was not needed).
        build_requires: the build requirements (``[build-system] requires``; setuptools and
            wheel for a setup.py project without one): what build scripts may import.
    """

    modules: Mapping[str, ModuleUsage]
    resolved: tuple[ResolvedSite, ...]
    first_party: frozenset[str]
    errors: tuple[ScanError, ...] = ()
    files: int = 0
    parsed: int = 0
    cached: int = 0
    loaded: tuple[ResolvedSite, ...] = ()
    unmapped: Mapping[str, str] = field(default_factory=dict)
    wheels: WheelModules | None = None
    build_requires: frozenset[str] = frozenset()
    known_modules: Mapping[str, tuple[tuple[str, ...], str]] = field(default_factory=dict)
    _by_distribution: dict[str, list[ResolvedSite]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        for item in self.resolved:
            for dist in item.mapping.distributions:
                self._by_distribution.setdefault(dist, []).append(item)

    def third_party(self) -> list[ModuleUsage]:
        """Return the third-party modules, sorted by name."""
        return [m for _n, m in sorted(self.modules.items()) if m.kind is ModuleKind.THIRD_PARTY]

    def imported_distributions(self) -> frozenset[str]:
        """Return every distribution some import may come from (PEP 503 names)."""
        return frozenset(self._by_distribution)

    def used_distributions(self) -> frozenset[str]:
        """Return every distribution imported or loaded by name (settings, entry points)."""
        loaded = {d for item in self.loaded for d in item.mapping.distributions}
        return self.imported_distributions() | loaded

    def mapping_for_distribution(self, name: str) -> ModuleMapping | None:
        """Return the first mapping that names `name` (imports first, then loaded modules)."""
        key = normalize_name(name)
        for item in (*self.resolved, *self.loaded):
            if key in item.mapping.distributions:
                return item.mapping
        return None

    def sites_for_distribution(self, name: str) -> list[ResolvedSite]:
        """Return the import sites that `name` (any spelling) may provide."""
        return list(self._by_distribution.get(normalize_name(name), ()))

    def symbols_for_distribution(self, name: str) -> tuple[str, ...]:
        """Return the fully qualified names the code uses from distribution `name`."""
        return tuple(
            sorted({s for item in self.sites_for_distribution(name) for s in item.site.symbols})
        )

    def modules_for_distribution(self, name: str) -> tuple[str, ...]:
        """Return the imported module paths that `name` may provide."""
        return tuple(sorted({item.site.module for item in self.sites_for_distribution(name)}))

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready summary (third-party modules, mappings, scan counts)."""
        by_module: dict[str, dict[str, Any]] = {}
        for item in self.resolved:
            entry = by_module.setdefault(
                item.site.top,
                {"module": item.site.top, "mappings": {}, "sites": 0},
            )
            entry["sites"] += 1
            entry["mappings"][item.mapping.module] = item.mapping.to_json()
        return {
            "files": self.files,
            "parsed": self.parsed,
            "cached": self.cached,
            "first_party": sorted(self.first_party),
            "third_party": [
                {**v, "mappings": sorted(v["mappings"].values(), key=lambda m: m["module"])}
                for _k, v in sorted(by_module.items())
            ],
            "errors": [e.to_json() for e in self.errors],
            "loaded": sorted({i.site.module for i in self.loaded}),
            "unmapped": dict(sorted(self.unmapped.items())),
            "wheel_metadata": {
                "read": dict(sorted(self.wheels.wheels.items())),
                "no_wheel": list(self.wheels.no_wheel),
                "cached": self.wheels.cached,
            }
            if self.wheels is not None
            else None,
        }


def _module_name(name: str) -> str:
    return normalize_name(name).replace("-", "_")


def first_party_names(
    python_files: Iterable[str],
    inputs: Iterable[ParsedInput] = (),
    known: Iterable[str] = (),
) -> frozenset[str]:
    """Return the repository's own top-level module names (see the module docstring)."""
    names: set[str] = set(known)
    for relpath in python_files:
        parts = relpath.split("/")
        if parts[0] in _LAYOUT_DIRS and len(parts) > 1:
            inner = parts[1]
            names.add(inner.removesuffix(".py") if len(parts) == 2 else inner)
        names.add(parts[0].removesuffix(".py") if len(parts) == 1 else parts[0])
    for item in inputs:
        if item.project_name:
            names.add(_module_name(item.project_name))
    names.discard("")
    return frozenset(names)


def sibling_names(
    python_files: Iterable[str], *, packages_too: bool = False
) -> dict[str, frozenset[str]]:
    """Return, per folder that is not a package, the modules and packages beside its files.

    A script or a test in a plain folder imports its neighbours by absolute name (the folder is
    on ``sys.path``); inside a package (a folder with ``__init__.py``) an absolute import does
    not see them, so package folders get no sibling names (unless `packages_too`).
    """
    packages: set[str] = set()
    found: dict[str, set[str]] = defaultdict(set)
    for relpath in python_files:
        folder, _, name = relpath.rpartition("/")
        if name == "__init__.py":
            packages.add(folder)
        found[folder].add(name.removesuffix(".py").removesuffix(".ipynb"))
    for folder in list(found):  # each folder is listed in every folder above it
        parts = folder.split("/") if folder else []
        for depth in range(len(parts)):
            found["/".join(parts[:depth])].add(parts[depth])
    return {k: frozenset(v) for k, v in found.items() if packages_too or k not in packages}


def repository_module_names(python_files: Iterable[str]) -> frozenset[str]:
    """Return every module (``x.py``) and regular package (``x/__init__.py``) in the tree.

    Plain folders are left out: ``examples/celery/`` holding an example app is not a module
    named ``celery``.
    """
    names: set[str] = set()
    for relpath in python_files:
        folder, _, name = relpath.rpartition("/")
        if name == "__init__.py":
            if folder:
                names.add(folder.rpartition("/")[2])
        elif name.endswith(".py"):
            names.add(name.removesuffix(".py"))
    return frozenset(names)


def classify_sites(
    sites: Iterable[ImportSite],
    *,
    first_party: frozenset[str],
    siblings: Mapping[str, frozenset[str]],
    dev_local: frozenset[str] = frozenset(),
    is_dev: Callable[[str], bool] = lambda _path: False,
    stdlib: frozenset[str] = STDLIB,
) -> dict[str, ModuleUsage]:
    """Group sites by top-level module and sort each into stdlib, first- or third-party.

    Development code (tests, docs, examples) also sees `dev_local`, the module names found
    anywhere in the repository: test suites put their helper apps on ``sys.path`` (Flask's
    ``tests/test_apps``), so an import of such a name there is the repository's own module.
    Production code gets no such leniency: a stray ``requests.py`` in the tree must not hide a
    missing ``requests`` dependency. `stdlib` is the set of standard-library names (by default
    the running interpreter's).
    """
    grouped: dict[str, list[ImportSite]] = defaultdict(list)
    local: dict[str, list[ImportSite]] = defaultdict(list)
    beside: dict[str, frozenset[str]] = {}  # per importing file: its siblings
    nothing = frozenset[str]()
    for site in sites:
        if site.relative or not site.top:
            local["."].append(site)
            continue
        near = beside.get(site.path)
        if near is None:
            near = beside[site.path] = siblings.get(site.path.rpartition("/")[0], nothing)
        if site.top not in stdlib and (
            site.top in near or (site.top in dev_local and is_dev(site.path))
        ):
            local[site.top].append(site)
        else:
            grouped[site.top].append(site)
    modules: dict[str, ModuleUsage] = {}
    for name, items in grouped.items():
        if name in stdlib:
            kind = ModuleKind.STDLIB
        elif name in first_party:
            kind = ModuleKind.FIRST_PARTY
        else:
            kind = ModuleKind.THIRD_PARTY
        modules[name] = ModuleUsage(name=name, kind=kind, sites=tuple(items))
    for name, items in local.items():
        if name not in modules:
            modules[name] = ModuleUsage(name=name, kind=ModuleKind.FIRST_PARTY, sites=tuple(items))
    return modules


def known_names(inputs: Iterable[ParsedInput], graph: DependencyGraph) -> set[str]:
    """Return every package name the project declares or locks (PEP 503)."""
    items = list(inputs)
    names: set[str] = {
        req.name for item in items for req in item.requirements if not req.constraint
    }
    names.update(pkg.name for item in items for pkg in item.packages if not pkg.is_root)
    names.update(node.name for node in query.packages(graph))
    return names


def scan_usage(scan: Scan, context: RunContext) -> ImportUsage:
    """Provide the ``imports`` fact: scan the code, classify and map every import."""
    from auditor.imports.groups import deptry_import_map
    from auditor.imports.loaded import loaded_modules
    from auditor.imports.provides import (
        build_requirements,
        declared_names,
        generated_module_names,
        known_provides,
    )
    from auditor.imports.test_trees import test_tree_matcher

    config = context.config
    policy = config.policy_section("imports")
    discovery = scan.discovery
    context.progress.start("imports", len(discovery.python_files) + len(discovery.notebooks))
    result = scan_files(
        scan.root,
        discovery.python_files,
        notebooks=discovery.notebooks,
        cache=context.cache,
        workers=min(config.max_workers, default_workers()),
        stats=discovery.stats,
    )
    context.progress.finish("imports")
    code_files = [*discovery.python_files, *discovery.notebooks]
    pyprojects = [
        i.path
        for i in scan.inputs
        if i.path == "pyproject.toml" or i.path.endswith("/pyproject.toml")
    ]
    first_party = first_party_names(
        code_files,
        [i for i in scan.inputs if i.status is not InputStatus.SKIPPED],
        [
            *(str(n) for n in policy.get("known_first_party", ())),
            *generated_module_names(scan.root, pyprojects),
        ],
    )
    is_dev = dev_path_matcher([*policy.get("dev_paths", ()), *policy.get("vendored_paths", ())])
    is_dev = test_tree_matcher(scan, policy, is_dev)
    stdlib = STDLIB | frozenset(str(n) for n in policy.get("stdlib_other_versions", ()))
    around = sibling_names(code_files, packages_too=True)
    packages = {p.rpartition("/")[0] for p in code_files if p.rpartition("/")[2] == "__init__.py"}
    siblings = {folder: names for folder, names in around.items() if folder not in packages}
    modules = classify_sites(
        result.sites,
        first_party=first_party,
        siblings=siblings,
        dev_local=repository_module_names(code_files),
        is_dev=is_dev,
        stdlib=stdlib,
    )
    manifests = [
        i.path for i in scan.inputs if i.path.rpartition("/")[2] in ("pyproject.toml", "setup.cfg")
    ]
    loaded_sites = [
        site
        for site in loaded_modules(scan.root, discovery.python_files, manifests)
        if site.top not in stdlib and site.top not in first_party
    ]
    known = known_names(scan.inputs, scan.graph) - {
        normalize_name(i.project_name) for i in scan.inputs if i.project_name
    }

    def environment() -> Mapping[str, tuple[str, ...]]:
        return cached_environment_distributions(context.cache)

    extra_map = {**deptry_import_map(policy, scan.root), **(policy.get("import_map") or {})}
    third_party = [
        site
        for usage in modules.values()
        if usage.kind is ModuleKind.THIRD_PARTY
        for site in usage.sites
    ]
    # First pass: the project's own files only (cheap); it says which questions are open.
    plain = DistributionMapper(
        known=known,
        extra_map=extra_map,
        environment=environment if config.environment else None,
        environment_is_project=config.environment,
    )
    first = [plain.resolve(s.module, s.symbols) for s in [*third_party, *loaded_sites]]
    unresolved = any(not set(m.distributions) & known for m in first[: len(third_party)])
    unmatched = declared_names(scan) & known - {d for m in first for d in m.distributions}
    provides, wheels = known_provides(
        scan, context, known, unresolved=unresolved, unmatched=unmatched
    )
    mapper = DistributionMapper(
        known=known,
        extra_map=extra_map,
        environment=environment,
        environment_is_project=config.environment,
        provides=provides,
        installed=importable,
    )
    # Per code file: whether it is development code, and the names beside it.
    nothing = frozenset[str]()
    per_file = {
        path: (is_dev(path), around.get(path.rpartition("/")[0], nothing)) for path in code_files
    }

    def resolved(sites: Iterable[ImportSite]) -> tuple[ResolvedSite, ...]:
        out = []
        for site in sites:
            found = per_file.get(site.path)
            dev, beside = found or (False, around.get(site.path.rpartition("/")[0], nothing))
            out.append(
                ResolvedSite(
                    site=site,
                    mapping=mapper.resolve(site.module, site.symbols),
                    dev=dev,
                    beside=site.top in beside,
                )
            )
        return tuple(out)

    return ImportUsage(
        modules=modules,
        resolved=resolved(third_party),
        first_party=first_party,
        errors=tuple(result.errors),
        files=result.files,
        parsed=result.parsed,
        cached=result.cached,
        loaded=resolved(loaded_sites),
        unmapped=dict(wheels.failed) if wheels is not None else {},
        wheels=wheels,
        build_requires=frozenset(build_requirements(scan.root, code_files, pyprojects)),
        known_modules={d: (tuple(sorted(m)), src) for d, (m, src) in provides.items()},
    )


__all__ = [
    "STDLIB",
    "ImportUsage",
    "ModuleKind",
    "ModuleUsage",
    "ResolvedSite",
    "classify_sites",
    "dev_path_matcher",
    "first_party_names",
    "is_dev_path",
    "known_names",
    "repository_module_names",
    "scan_usage",
    "sibling_names",
]
