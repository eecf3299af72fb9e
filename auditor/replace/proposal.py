"""One replacement proposal for one package: catalogue, or slice (+ agent), verified, as a patch.

`propose` is the whole flow of `auditor replace --package NAME`. It reads the scanned tree and
the installed distribution, runs untrusted code only inside the sandbox, and writes nothing:
the `Proposal` holds the patch for a person to apply.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.model import ParsedInput, normalize_name
from auditor.replace.callsites import CallSite, find_call_sites
from auditor.replace.catalogue import applicable, load_catalogue, project_python, show_python
from auditor.replace.inputs import build_cases
from auditor.replace.license import judge_license
from auditor.replace.patch import FileChange, Patch, manifest_changes, render_diff, rewrite_imports
from auditor.replace.pkgtests import find_package_tests, proposed_tests
from auditor.replace.sandbox import IsolationLevel, Limits
from auditor.replace.slicer import Slice, SliceError, slice_package
from auditor.replace.source import PackageSource, SourceNotFound, find_source
from auditor.replace.verifier import Verification, verify

if TYPE_CHECKING:
    from auditor.cache import Cache
    from auditor.imports.usage import ImportUsage
    from auditor.replace.agent import AgentResult
    from auditor.replace.llm import Backend

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplaceOptions:
    """How hard to try and how tightly to fence (from rules/policy/replace.toml and the CLI)."""

    examples: int = 60
    limits: Limits = field(default_factory=Limits)
    require: IsolationLevel | None = None
    rounds: int = 3
    token_budget: int = 60_000
    max_reply_tokens: int = 4_000
    copy_allowed: tuple[str, ...] = ()
    wheels: Path | None = None
    unpack_to: Path | None = None
    security: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Proposal:
    """The result of `auditor replace` for one package (see DESIGN.md's JSON contract)."""

    package: str
    version: str | None
    symbols: tuple[str, ...]
    module: str | None
    patch: str
    drafted_by: str
    verification: Verification
    call_sites: tuple[CallSite, ...] = ()
    known: dict[str, Any] | None = None
    license: dict[str, Any] | None = None
    slice_stats: dict[str, Any] | None = None
    agent: dict[str, Any] | None = None
    manual: tuple[str, ...] = ()
    refused: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    changes: tuple[FileChange, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Return DESIGN.md's ``auditor replace --format json`` object (keys only added)."""
        return {
            "schema_version": 1,
            "package": self.package,
            "version": self.version,
            "symbols": list(self.symbols),
            "module": self.module,
            "patch": self.patch,
            "drafted_by": self.drafted_by,
            "verification": self.verification.to_json(),
            "call_sites": [
                {"path": s.path, "line": s.line, "symbol": s.symbol} for s in self.call_sites
            ],
            "known_replacement": self.known,
            "license": self.license,
            "slice": self.slice_stats,
            "agent": self.agent,
            "manual_steps": list(self.manual),
            "refused": self.refused,
            "timings_s": self.timings,
        }


def _not_run(summary: str) -> Verification:
    return Verification(inputs_tried=0, mismatches=0, verified=False, details={"summary": summary})


def placement(root: Path, files: Sequence[str], top: str) -> tuple[str, str]:
    """Where the new module goes (path, dotted name): inside the importing code's one package."""
    name = f"{top}_lite"
    packages = set()
    for relpath in files:
        parts = relpath.split("/")
        offset = 1 if parts[0] in ("src", "lib") and len(parts) > 2 else 0
        if (
            len(parts) > offset + 1
            and (root / "/".join(parts[: offset + 1]) / "__init__.py").is_file()
        ):
            packages.add("/".join(parts[: offset + 1]))
        else:
            packages.add("")
    if len(packages) == 1 and (folder := packages.pop()):
        dotted = folder.split("/")[-1]
        return f"{folder}/{name}.py", f"{dotted}.{name}"
    return f"{name}.py", name


def _import_changes(
    root: Path, files: Sequence[str], modules: dict[str, str], names: dict[str, str]
) -> tuple[list[FileChange], list[str]]:
    changes: list[FileChange] = []
    manual: list[str] = []
    for relpath in sorted(set(files)):
        try:
            before = (root / relpath).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            manual.append(f"{relpath}: cannot read ({exc}); rewrite its imports by hand")
            continue
        import libcst

        try:
            after, todo = rewrite_imports(before, modules, names)
        except libcst.ParserSyntaxError:
            manual.append(f"{relpath}: libcst cannot parse it; rewrite its imports by hand")
            continue
        manual += [f"{relpath}: {t}" for t in todo]
        if after != before:
            changes.append(FileChange(path=relpath, before=before, after=after))
    return changes, manual


def propose(
    root: Path,
    usage: ImportUsage,
    inputs: Sequence[ParsedInput],
    package: str,
    options: ReplaceOptions,
    *,
    backend: Backend | None = None,
    cache: Cache | None = None,
) -> Proposal:
    """Build the proposal for `package` (see the module docstring)."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    name = normalize_name(package)
    sites = [s for s in usage.sites_for_distribution(name) if not s.dev]
    modules = sorted({s.site.module for s in sites})
    symbols = sorted({sym for s in sites for sym in s.site.symbols} - set(modules))
    files = sorted({s.site.path for s in sites})
    calls = tuple(find_call_sites(root, files, modules, symbols))
    timings["usage"] = round(time.perf_counter() - started, 3)
    base: dict[str, Any] = {"package": name, "symbols": tuple(symbols), "call_sites": calls}
    if not sites:
        return Proposal(
            version=None,
            module=None,
            patch="",
            drafted_by="none",
            verification=_not_run("not verified: the production code does not import it"),
            refused=f"{package}: no production code imports it (unused: see AUD502)",
            **base,
        )
    known = _known(root, name, symbols, files, inputs)
    if known is not None and "drafted_by" in known:
        return Proposal(**base, **known)
    if known is not None:
        base["known"] = known["known"]
    tops = sorted({m.split(".")[0] for m in modules})
    try:
        source = find_source(name, wheels=options.wheels, unpack_to=options.unpack_to)
    except SourceNotFound as exc:
        return Proposal(
            version=None,
            module=None,
            patch="",
            drafted_by="none",
            verification=_not_run(f"not verified: {exc}"),
            refused=str(exc),
            **base,
        )
    verdict = judge_license(source, options.copy_allowed)
    license_json = {
        "license": verdict.license,
        "allows_copy": verdict.allows_copy,
        "reason": verdict.reason,
    }
    if not verdict.allows_copy:
        return Proposal(
            version=source.version,
            module=None,
            patch="",
            drafted_by="none",
            verification=_not_run("not verified: refused by the license"),
            license=license_json,
            refused=verdict.reason,
            **base,
        )
    step = time.perf_counter()
    try:
        sliced = slice_package(source, symbols, notice=verdict.notice)
    except SliceError as exc:
        return Proposal(
            version=source.version,
            module=None,
            patch="",
            drafted_by="none",
            verification=_not_run(f"not verified: {exc}"),
            license=license_json,
            refused=str(exc),
            **base,
        )
    timings["slice"] = round(time.perf_counter() - step, 3)
    path, dotted = placement(root, files, tops[0])
    step = time.perf_counter()
    cases = build_cases(sliced.symbols, calls, examples=options.examples)
    tests = find_package_tests(source, sliced.symbols)
    timings["inputs"] = round(time.perf_counter() - step, 3)
    module_name = dotted.rpartition(".")[2]

    def check(draft: str, llm_tests: str | None = None) -> Verification:
        proposed = proposed_tests(llm_tests, sliced.symbols, {module_name}) if llm_tests else None
        return verify(
            source,
            draft,
            module_name,
            sliced.symbols,
            cases,
            original_code=sliced.text,
            limits=options.limits,
            require=options.require,
            statement_lines=sliced.statement_lines,
            security=options.security,
            tests=(tests, proposed),
        )

    step = time.perf_counter()
    draft, drafted_by, verification, agent_json = sliced.text, "slicer", None, None
    if backend is not None:
        result = _agent(backend, source, sliced, calls, module_name, check, options, cache)
        agent_json = _agent_json(result, backend.settings.describe())
        if result.draft is not None and result.verification is not None:
            draft, drafted_by, verification = result.draft, result.model, result.verification
    if verification is None:
        verification = check(sliced.text)
    timings["verify"] = round(time.perf_counter() - step, 3)
    if drafted_by != "slicer":
        draft = (
            f"# Drafted by {drafted_by} for Auditor; verified against {source.name} "
            f"{source.version}.\n"
            + "\n".join(f"# {line}".rstrip() for line in verdict.notice.splitlines())
            + "\n"
            + draft
        )
    step = time.perf_counter()
    changes, manual = _import_changes(root, files, dict.fromkeys(tops, dotted), {})
    manifests, more = manifest_changes(root, inputs, name)
    new = FileChange(path=path, before=None, after=draft)
    all_changes = [new, *changes, *manifests]
    patch = Patch(
        changes=tuple(all_changes),
        diff=render_diff(all_changes),
        manual=(*manual, *more, "re-lock your lockfile after applying"),
    )
    timings["patch"] = round(time.perf_counter() - step, 3)
    timings["total"] = round(time.perf_counter() - started, 3)
    return Proposal(
        **base,
        version=source.version,
        module=path,
        patch=patch.diff,
        drafted_by=drafted_by,
        verification=verification,
        license=license_json,
        slice_stats=_slice_json(sliced, source),
        agent=agent_json,
        manual=patch.manual,
        timings=timings,
        changes=patch.changes,
    )


def _known(
    root: Path,
    name: str,
    symbols: Sequence[str],
    files: Sequence[str],
    inputs: Sequence[ParsedInput],
) -> dict[str, Any] | None:
    """The catalogue's proposal when an entry fits with a mechanical import rewrite."""
    entry = load_catalogue().get(name)
    if entry is None:
        return None
    python, python_source = project_python(root)
    fit = applicable(entry, symbols, python)
    info = {
        "replacement": entry.replacement,
        "min_python": show_python(entry.min_python),
        "exact": fit.exact,
        "fits": fit.fits,
        "reason": fit.reason,
        "note": entry.note,
        "project_python": show_python(python),
        "project_python_source": python_source,
    }
    if not fit.fits or not fit.rewrites:
        # Not a mechanical rewrite (six, pytz ...): the slice goes on, and the report says
        # what the standard library offers instead.
        return {"known": info} if fit.fits else None
    module_map = {} if entry.names else dict(fit.rewrites)
    names = dict(fit.rewrites) if entry.names else {}
    changes, manual = _import_changes(root, files, module_map, names)
    manifests, more = manifest_changes(root, inputs, name)
    all_changes = [*changes, *manifests]
    kind = "exact" if fit.exact else "approximate"
    return {
        "version": None,
        "module": None,
        "patch": render_diff(all_changes),
        "drafted_by": "catalogue",
        "verification": Verification(
            inputs_tried=0,
            mismatches=0,
            verified=False,
            details={
                "summary": f"not run: a catalogue replacement ({kind}); run the "
                "project's tests after applying",
                "catalogue": info,
            },
        ),
        "known": info,
        "manual": (*manual, *more, *([entry.note] if not fit.exact and entry.note else [])),
        "changes": tuple(all_changes),
    }


def _agent(
    backend: Backend,
    source: PackageSource,
    sliced: Slice,
    calls: Sequence[CallSite],
    module_name: str,
    check: Any,
    options: ReplaceOptions,
    cache: Cache | None,
) -> AgentResult:
    from auditor.replace.agent import AgentContext, run_agent

    tests = "\n\n".join(
        f"# {f}\n" + (source.root / f).read_text(encoding="utf-8", errors="replace")[:6000]
        for f in source.files
        if f.split("/")[-1].startswith("test_")
    )[:12000]
    ctx = AgentContext(
        package=source.name,
        version=source.version,
        module_name=module_name,
        symbols=sliced.symbols,
        call_sites=tuple(calls),
        slice_text=sliced.text,
        docs=source.description,
        tests=tests,
    )
    return run_agent(
        backend,
        ctx,
        check,
        rounds=options.rounds,
        token_budget=options.token_budget,
        max_reply_tokens=options.max_reply_tokens,
        cache=cache,
    )


def _agent_json(result: AgentResult, backend: dict[str, str]) -> dict[str, Any]:
    return {
        "model": result.model,
        "backend": backend,
        "stopped": result.stopped,
        "tokens": result.tokens,
        "cached": result.cached,
        "system_prompt": result.system,
        "exchanges": [e.to_json() for e in result.exchanges],
        "accepted": result.draft is not None,
    }


def _slice_json(sliced: Slice, source: PackageSource) -> dict[str, Any]:
    return {
        "used_lines": sliced.used_lines,
        "package_lines": sliced.package_lines,
        "complexity": sliced.complexity,
        "units": sliced.units,
        "modules": list(sliced.modules),
        "imports": list(sliced.imports),
        "unresolved": list(sliced.unresolved),
        "source": source.origin,
        "pure_python": source.pure,
    }


__all__ = ["Proposal", "ReplaceOptions", "placement", "propose"]
