"""Import hygiene: AUD501 missing, AUD502 unused, AUD503 transitive, AUD504 misplaced.

The same meanings as deptry's DEP001-DEP004, computed from the shared ``imports`` fact and the
declared requirements of every input that parsed, even partly: a requirements file with a bad
line still contributes the lines that did parse.

* AUD501: a third-party module is imported but no manifest declares a distribution providing
  it (any group counts) and no lockfile has it either. Imports guarded by ``try/except
  ImportError`` are skipped (or reported at info, by policy); imports only in development code
  or under ``TYPE_CHECKING`` are reported at the policy's lower severity; imports made only
  lazily (inside functions or methods) or only in ``except`` handlers -- optional integrations
  -- are reported at low, listing those sites, with advice to declare the distribution as an
  extra (one module-level import outside a handler keeps the finding at medium); a build script's
  imports (setup.py) that the build requirements provide are not reported. The fix names a
  distribution only when a source knows it provides the module (installed metadata, wheel
  metadata, the curated map); otherwise it says none is known and warns that a project of
  the import's name on the index may be unrelated. When some declared or locked
  distribution's module list could not be read (offline, index unreachable), the finding is
  lowered to low and the run says what it could not check.
* AUD502: a distribution declared for run time (the main dependencies, and extras other than
  the development ones, as deptry's ``optional_dependencies_dev_groups`` and
  ``non_dev_dependency_groups`` say: `auditor.imports.groups`) is neither imported anywhere
  (tests included) nor loaded by name (settings strings, entry points). The policy's
  ``never_unused`` globs (servers, plugins, drivers, stubs) are skipped; development tools
  (``dev_tools``: formatters, linters, test runners) in runtime groups are reported, with
  advice to move them to a development group.
* AUD503: the imported module's distribution is not declared, but the lockfile (or
  environment) has it as another package's dependency.
* AUD504: a distribution declared only in development groups is imported by production code
  (not under ``TYPE_CHECKING``, not optional).
"""

from __future__ import annotations

import fnmatch
from collections import defaultdict
from collections.abc import Callable, Iterator

from auditor.checks.base import CheckContext, Note, Outcome, incomplete
from auditor.checks.compiled import compiled_paths, compiled_transitive
from auditor.checks.imports_declared import Declared, site_locations
from auditor.checks.imports_misplaced import MISPLACED, misplaced_findings
from auditor.checks.imports_missing import lazily, missing_fix, site_evidence, soft_site
from auditor.checks.integration_modules import integration_modules
from auditor.graph import query
from auditor.imports.groups import GroupPolicy, extra_name, group_policy
from auditor.imports.mapping import KNOWING_SOURCES
from auditor.imports.names import provides_by_name
from auditor.imports.usage import (
    STDLIB,
    ImportUsage,
    ResolvedSite,
    dev_path_matcher,
)
from auditor.model import (
    MAIN_GROUP,
    Finding,
    InputKind,
    Location,
    Severity,
    normalize_name,
)

MISSING = "AUD501"
UNUSED = "AUD502"
TRANSITIVE = "AUD503"
RULES = (MISSING, UNUSED, TRANSITIVE, MISPLACED)


def _only_in(entry: Declared, paths: frozenset[str]) -> bool:
    """Whether every place that declares `entry` is one of `paths`."""
    places = [loc for locs in entry.locations.values() for loc in locs]
    return bool(places) and all(loc.path in paths for loc in places)


def _declared(ctx: CheckContext, *, skip_compiled_transitive: bool = False) -> dict[str, Declared]:
    """Return every declared name; optionally without pins a compiled file has only for others."""
    declared: dict[str, Declared] = {}
    skipped: set[str] = set()
    transitive = compiled_transitive(ctx.root, ctx.inputs) if skip_compiled_transitive else set()
    for item in ctx.inputs:
        if skip_compiled_transitive and item.kind is InputKind.NOTEBOOK:
            continue  # what a notebook installs for itself is not the project's to prune
        for req in item.requirements:
            if req.constraint:
                continue
            if req.location in transitive:
                skipped.add(req.name)
                continue
            entry = declared.setdefault(req.name, Declared(req.name, req.raw_name))
            entry.add(req.group, req.location)
    # Lockfiles that record the project's own dependencies (root packages) declare too.
    for node in query.direct_packages(ctx.graph):
        if node.name not in declared and node.name not in skipped:
            entry = declared.setdefault(node.name, Declared(node.name, node.display_name))
            for group in node.groups or (MAIN_GROUP,):
                entry.add(group, node.locations[0] if node.locations else None)
    return declared


def _unreadable_declarations(ctx: CheckContext) -> list[Location]:
    """Places where declared dependencies could not be read statically (setup.py, dynamic)."""
    found = sorted(
        {
            issue.location
            for item in ctx.inputs
            for issue in item.issues
            if issue.code == "dynamic-value"
        }
    )
    return found


def _hedged(unreadable: list[Location], packages: list[str]) -> Outcome:
    """What the import analysis could not prove is a note, not an incomplete audit."""
    names = ", ".join(sorted(set(packages))[:8]) + (" ..." if len(set(packages)) > 8 else "")
    return Note(
        "imports: declared dependencies could not be read statically at "
        + ", ".join(str(loc) for loc in unreadable[:5])
        + ("" if len(unreadable) <= 5 else f" (+{len(unreadable) - 5} more)")
        + f"; the missing-dependency findings for {names} may name packages declared there "
        "(reported at low severity)"
    )


def _project_names(ctx: CheckContext) -> set[str]:
    return {normalize_name(i.project_name) for i in ctx.inputs if i.project_name}


def _severity_from_policy(value: object, default: Severity) -> Severity:
    try:
        return Severity.parse(str(value))
    except ValueError:
        return default


def _build_script_site(
    item: ResolvedSite, usage: ImportUsage, is_build: Callable[[str], bool]
) -> bool:
    """Whether a build script's import is provided by the build requirements."""
    if not is_build(item.site.path):
        return False
    needs = usage.build_requires
    return bool(set(item.mapping.distributions) & needs) or any(
        provides_by_name(name, item.site.top) for name in needs
    )


def _dev_tool_advice(name: str, tools: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in tools)


class ImportsCheck:
    """AUD501-AUD504 from the ``imports`` fact and the declared requirements."""

    name = "imports"

    def run(self, ctx: CheckContext) -> Iterator[Outcome]:
        """Yield the import-hygiene findings of every enabled AUD50x rule."""
        usage = ctx.facts.imports
        if usage is None or not any(ctx.enabled(r) for r in RULES):
            return
        groups = group_policy(ctx.config.policy_section("imports"), ctx.root)
        declared = _declared(ctx)
        # A pip-compile output lists the whole resolution; its pins there only for other
        # packages (``# via <package>``) are transitive: importing one is AUD503, and only the
        # direct pins can be unused.
        direct = _declared(ctx, skip_compiled_transitive=True)
        compiled_only = set(declared) - set(direct)
        yield from self._missing_and_transitive(ctx, usage, direct, compiled_only)
        if ctx.enabled(UNUSED):
            # Compiled and frozen files (pip-compile, uv pip compile, pip freeze, constraints)
            # are lock data: their pins are never "unused, remove it"; their sources are judged.
            compiled = compiled_paths(ctx.root, ctx.inputs)
            declared_here = {
                name: entry
                for name, entry in direct.items()
                if not entry.locations
                or any(
                    loc.path not in compiled for locs in entry.locations.values() for loc in locs
                )
            }
            yield from self._unused(ctx, usage, declared_here, groups)
        if ctx.enabled(MISPLACED):
            yield from misplaced_findings(ctx, usage, direct, groups)

    def _missing_and_transitive(
        self,
        ctx: CheckContext,
        usage: ImportUsage,
        declared: dict[str, Declared],
        compiled_only: set[str],
    ) -> Iterator[Outcome]:
        policy = ctx.config.policy_section("imports")
        optional_mode = str(policy.get("optional_imports", "skip"))
        dev_severity = _severity_from_policy(
            policy.get("dev_only_missing_severity", "low"), Severity.LOW
        )
        is_build = dev_path_matcher(policy.get("build_scripts", ()))
        transitive = {node.name for node in query.transitive_packages(ctx.graph)}
        transitive |= compiled_only
        unreadable = _unreadable_declarations(ctx)
        hedged: list[str] = []
        unmapped_hedged: list[str] = []
        modules = integration_modules(
            policy, ((r.site.path, r.site.top) for r in usage.resolved if not r.dev)
        )

        def in_integration(item: ResolvedSite) -> bool:
            return modules.holds(item.site.path, item.site.top)

        by_module: dict[str, list[ResolvedSite]] = defaultdict(list)
        for item in usage.resolved:
            if any(d in declared for d in item.mapping.distributions):
                continue
            if _build_script_site(item, usage, is_build):
                continue
            by_module[item.site.top].append(item)
        for module, items in sorted(by_module.items()):
            # Sites of one top-level module may resolve differently (``google.protobuf``,
            # ``google.cloud.x``): the ones a source knows name the candidates.
            knowing = [i for i in items if i.mapping.source in KNOWING_SOURCES] or items
            candidates = tuple(dict.fromkeys(d for i in knowing for d in i.mapping.distributions))
            source = knowing[0].mapping.source
            provided = sorted({i.mapping.matched for i in knowing})
            locked = [d for d in candidates if d in transitive]
            evidence = {
                "module": module,
                "candidates": list(candidates) if source in KNOWING_SOURCES else [],
                "mapping_source": source,
                "symbols": sorted({s for i in items for s in i.site.symbols}),
            }
            # A file that already guards one import of the module handles its absence: its
            # other imports of it sit behind a flag (``if has_simplejson:``,
            # after ``except ImportError: return``), so are optional.
            guarded = {i.site.path for i in items if i.site.optional}
            items = [
                i._replace(site=i.site._replace(optional=True))
                if i.site.path in guarded and not i.site.optional
                else i
                for i in items
            ]
            if locked and ctx.enabled(TRANSITIVE):
                dist = locked[0]
                # Optional (try/except ImportError), type-only and test/docs imports do not break
                # the installed project when the other package stops bringing it in.
                soft = all(i.dev or i.site.type_only or i.site.optional for i in items)
                # Imported only inside functions or except handlers: as for AUD501, it breaks
                # only when that code runs. (A module named after a package it imports, such
                # as a project's celery.py, is not lazy: it is often the project's core.)
                lazy = not soft and all(
                    soft_site(i) or i.site.lazy or i.site.in_except for i in items
                )
                yield ctx.finding(
                    TRANSITIVE,
                    message=f"'{module}' is imported but {dist} is only installed as a "
                    "dependency of another package; declare it directly"
                    + (" (only optional, type-only or development imports)" if soft else "")
                    + (lazily(items, lambda _item: False) if lazy else ""),
                    package=dist,
                    locations=site_locations(items),
                    evidence={**evidence, "soft_imports_only": soft, "lazy_imports_only": lazy},
                    fix=f"add {dist} to the project's dependencies",
                    key=module,
                    severity=Severity.LOW if soft or lazy else None,
                    path_from_root=query.shortest_path(ctx.graph, dist),
                )
                continue
            if locked or not ctx.enabled(MISSING):
                continue
            severity: Severity | None = None
            dev_only = lazy = False
            if all(i.site.optional for i in items):
                if optional_mode != "info":
                    continue
                severity = Severity.INFO
            elif all(i.dev or i.site.type_only or i.site.optional for i in items):
                severity = dev_severity
                dev_only = True
            elif all(i.dev or i.site.type_only or i.site.optional or i.beside for i in items):
                # A module of that name sits beside the importing file (in its package): it
                # is most likely that file, imported with its folder on sys.path.
                severity = Severity.LOW
            elif all(
                soft_site(i) or i.site.lazy or i.site.in_except or in_integration(i) for i in items
            ):
                # Imported only inside functions, except handlers or optional integration
                # modules (``def to_parquet(): import pyarrow``, ``contrib/s3.py``): it fails
                # only when that code runs.
                severity = Severity.LOW
                lazy = True
            known = source in KNOWING_SOURCES
            named = candidates[0] if known else None
            if known:
                message = (
                    f"'{module}' is imported but no manifest declares it "
                    f"(provided by {' or '.join(candidates)})"
                )
            else:
                message = (
                    f"'{module}' is imported but no manifest declares a distribution "
                    "providing it (none is known to)"
                )
                evidence["guessed_name"] = candidates[0]
            if lazy:
                message += lazily(items, in_integration)
            if unreadable:
                # Part of what the project declares could not be read statically: the import
                # may well be declared there, so say so and lower the severity.
                severity = Severity.LOW if severity in (None, Severity.MEDIUM) else severity
                message += "; some declarations could not be read statically, so it may be declared"
                hedged.append(named or module)
            if usage.unmapped:
                # A declared or locked distribution whose modules could not be learned may
                # provide this module under another name.
                severity = Severity.LOW if severity in (None, Severity.MEDIUM) else severity
                message += (
                    f"; the module lists of {len(usage.unmapped)} declared or locked "
                    "distributions could not be read, so one of them may provide it"
                )
                unmapped_hedged.append(module)
            yield ctx.finding(
                MISSING,
                message=message,
                package=named,
                locations=site_locations(items),
                evidence={
                    **evidence,
                    "dev_only": dev_only,
                    "lazy_only": lazy,
                    "sites": site_evidence(items),
                    "beside_importing_file": all(i.beside for i in items),
                    "unreadable_declarations": [str(loc) for loc in unreadable],
                    "unmapped_distributions": sorted(usage.unmapped),
                },
                fix=missing_fix(module, candidates, source, provided, lazy=lazy),
                key=module,
                severity=severity,
            )
        if hedged:
            yield _hedged(unreadable, hedged)
        if unmapped_hedged:
            reasons = sorted(set(usage.unmapped.values()))
            yield incomplete(
                "wheel-metadata",
                f"the module lists of these declared or locked distributions could not be read "
                f"({'; '.join(reasons[:3])}), so the missing-dependency findings for "
                + ", ".join(f"'{m}'" for m in unmapped_hedged[:8])
                + ("" if len(unmapped_hedged) <= 8 else f" (+{len(unmapped_hedged) - 8} more)")
                + " may be imports they provide",
                sorted(usage.unmapped),
            )

    def _unused(
        self,
        ctx: CheckContext,
        usage: ImportUsage,
        declared: dict[str, Declared],
        groups: GroupPolicy,
    ) -> Iterator[Finding]:
        policy = ctx.config.policy_section("imports")
        allow = tuple(normalize_name(str(p)) for p in policy.get("never_unused", ()))
        tools = tuple(normalize_name(str(p)) for p in policy.get("dev_tools", ()))
        used = usage.used_distributions()
        own = _project_names(ctx)
        is_dev = dev_path_matcher([*policy.get("dev_paths", ()), *policy.get("vendored_paths", ())])
        for name, entry in sorted(declared.items()):
            runtime = groups.runtime(entry.groups)
            if not runtime or name in used or name in own or name == "python":
                continue
            places = [loc for g in runtime for loc in entry.locations.get(g, [])]
            if places and all("/" in loc.path and is_dev(loc.path) for loc in places):
                # Declared only by manifests inside tests, docs or examples: test fixtures and
                # documentation builds, not the dependencies of the project's own code.
                continue
            if name.replace("-", "_") in STDLIB:
                continue  # a standard-library name as a dependency is AUD409's concern
            if any(fnmatch.fnmatchcase(name, pattern) for pattern in allow):
                continue
            yield self._unused_finding(ctx, usage, entry, runtime, places, tools)

    @staticmethod
    def _unused_finding(
        ctx: CheckContext,
        usage: ImportUsage,
        entry: Declared,
        runtime: list[str],
        places: list[Location],
        tools: tuple[str, ...],
    ) -> Finding:
        where = ", ".join(
            "the main dependencies"
            if g == MAIN_GROUP
            else f"extra '{extra_name(g) or g}'"
            if g.startswith("optional")
            else f"group '{g}'"
            for g in runtime
        )
        modules, source = usage.known_modules.get(entry.name, ((), ""))
        evidence: dict[str, object] = {"groups": sorted(entry.groups)}
        message = f"{entry.display} is declared in {where} but never imported"
        if modules:
            evidence.update({"provides": list(modules), "provides_source": source})
            message += f" (it provides {', '.join(modules[:5])})"
        if _dev_tool_advice(entry.name, tools):
            evidence["dev_tool"] = True
            fix = (
                f"{entry.display} is a development tool run as a command, not imported: move "
                "it to a development dependency group (or a dev extra)"
            )
        else:
            fix = (
                f"remove {entry.display} from the dependencies, or add it to never_unused in "
                "[tool.auditor.policy.imports] if it is used without an import"
            )
        return ctx.finding(
            UNUSED,
            message=message,
            package=entry.display,
            locations=places,
            evidence=evidence,
            fix=fix,
            key="unused",
        )


CHECK = ImportsCheck()

__all__ = [
    "CHECK",
    "MISPLACED",
    "MISSING",
    "RULES",
    "TRANSITIVE",
    "UNUSED",
    "ImportsCheck",
    "missing_fix",
]
