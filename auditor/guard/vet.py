"""Vet packages before they are installed: the names, and everything resolving them would bring.

`vet` takes parsed requirements (names from a command line, or a requirements file), resolves
them with wheels only (`auditor.resolve`), puts the direct names and the resolved packages in
one graph and runs the enabled vetting rules over it with the ordinary enrichment and checks:
existence (AUD401), typosquat (AUD402), known-malicious and known vulnerabilities of the version
that would be installed (AUD2xx), project status and yanked versions (AUD403/404), brand-new and
born-after-use (AUD406/AUD410) and the license rules (AUD3xx) when the license stage provides
them: the vet policy selects rules by prefix, so a license rule joins without a change here.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as Pep508

from auditor import __version__
from auditor.checks.base import CheckContext
from auditor.config import Config
from auditor.context import IndexLookup, RunContext
from auditor.discover import Discovery
from auditor.enrich import enrich, needs_of
from auditor.errors import ConfigError
from auditor.facts import NEED_IMPORTS
from auditor.graph.build import build_graph
from auditor.guard.policy import VetPolicy, vet_policy
from auditor.model import (
    Finding,
    Incomplete,
    InputKind,
    Location,
    ParsedInput,
    Requirement,
    canonical_name,
)
from auditor.pipeline import enabled_rule_ids, merge_incomplete, package_summaries, run_checks
from auditor.resolve.manifests import as_input, requirement_line, resolution_gaps, resolvable
from auditor.resolve.model import Resolution, ResolveRequest
from auditor.resolve.resolver import resolve, resolve_policy
from auditor.result import AuditResult
from auditor.rules.catalog import RuleCatalog, load_rules
from auditor.scanning import Scan
from auditor.suppress import apply_ignores

COMMAND_LINE = "<command line>"
BORN_AFTER_USE = "AUD410"  # needs a file in git history: never for names typed on a command line


@dataclass(frozen=True, slots=True, kw_only=True)
class VetResult:
    """What vetting found, as the one result model, plus the resolution behind it."""

    result: AuditResult
    resolution: Resolution | None
    policy: VetPolicy
    seconds: float = 0.0

    @property
    def blocking(self) -> tuple[Finding, ...]:
        """Findings at or above the block threshold."""
        rank = self.policy.block.rank
        return tuple(f for f in self.result.findings if f.severity.rank >= rank)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        """Findings below the block threshold and at or above the warn threshold."""
        low, high = self.policy.warn.rank, self.policy.block.rank
        return tuple(f for f in self.result.findings if low <= f.severity.rank < high)

    @property
    def incomplete(self) -> tuple[Incomplete, ...]:
        """What could not be vetted."""
        return self.result.incomplete


def parse_names(specs: Sequence[str], *, path: str = COMMAND_LINE) -> ParsedInput:
    """Parse ``NAME[extras][==VERSION]`` arguments into one input (ConfigError when invalid)."""
    reqs: list[Requirement] = []
    for number, text in enumerate(specs, start=1):
        try:
            parsed = Pep508(text)
        except InvalidRequirement as exc:
            raise ConfigError(f"{path}: {text!r} is not a package requirement: {exc}") from None
        reqs.append(
            Requirement(
                name=canonical_name(parsed.name),
                raw_name=parsed.name,
                specifier=parsed.specifier,
                extras=tuple(sorted(parsed.extras)),
                marker=parsed.marker,
                url=parsed.url,
                location=Location(path=path, line=number),
                kind=InputKind.REQUIREMENTS,
                line_text=text,
            )
        )
    return ParsedInput(path=path, kind=InputKind.REQUIREMENTS, requirements=tuple(reqs))


@dataclass(slots=True)
class _Planned:
    requirements: list[Requirement] = field(default_factory=list)
    constraints: list[Requirement] = field(default_factory=list)


def _plan(inputs: Iterable[ParsedInput]) -> _Planned:
    planned = _Planned()
    for item in inputs:
        for req in item.requirements:
            (planned.constraints if req.constraint else planned.requirements).append(req)
    return planned


def _resolve(
    config: Config, planned: _Planned, *, path: str
) -> tuple[Resolution | None, list[ParsedInput], list[Incomplete]]:
    lines = tuple(dict.fromkeys(requirement_line(r) for r in planned.requirements
                                if resolvable(r)))  # fmt: skip
    if not lines:
        return None, [], []
    from auditor.cache import Cache, default_cache_dir

    policy = resolve_policy(config)
    request = ResolveRequest(
        requirements=lines,
        constraints=tuple(f"{r.raw_name}{r.specifier}" for r in planned.constraints),
        index_url=config.index_url,
        target=policy.target(),
    )
    cache_dir = config.cache_dir or default_cache_dir()
    left = None if config.run_deadline is None else config.run_deadline - time.monotonic()
    cache = Cache(cache_dir)
    try:
        resolution = resolve(
            request, policy=policy, cache=cache, cache_dir=cache_dir, offline=config.offline,
            time_left=left,
        )  # fmt: skip
    finally:
        cache.close()
    gaps = resolution_gaps(path, resolution, [r.name for r in planned.requirements])
    declared: dict[str, Location] = {}
    for req in planned.requirements:
        declared.setdefault(req.name, req.location)
    groups = sorted({r.group for r in planned.requirements})
    resolved = [as_input(path, resolution, groups, declared)] if resolution.packages else []
    return resolution, resolved, gaps


def vet(
    inputs: Sequence[ParsedInput],
    config: Config,
    *,
    root: Path | None = None,
    rules: RuleCatalog | None = None,
    transitive: bool = True,
    index_lookup: IndexLookup | None = None,
    policy: VetPolicy | None = None,
) -> VetResult:
    """Vet what installing `inputs` would bring; see the module docstring.

    Args:
        inputs: parsed requirements (`parse_names`, or a parsed requirements file).
        config: the run's configuration (index, OSV, cache, policies, ignores).
        root: the folder paths in `inputs` are relative to (default: `config.root`).
        rules: the rule catalogue (default: loaded and cached).
        transitive: also resolve and vet what the names depend on.
        index_lookup: replaces the package-index client (tests).
        policy: the vet policy (default: the configured one).
    """
    started = time.monotonic()
    root = (root or config.root).resolve()
    policy = policy or vet_policy(config)
    if rules is None:
        from auditor.cache import default_cache_dir

        rules = load_rules(validated_dir=config.cache_dir or default_cache_dir())
    planned = _plan(inputs)
    label = ", ".join(sorted({i.path for i in inputs})) or COMMAND_LINE
    resolution, resolved, gaps = (
        _resolve(config, planned, path=label) if transitive else (None, [], [])
    )
    notes: list[str] = []
    if resolution is not None and resolution.packages:
        from auditor.resolve.manifests import describe

        notes.append(describe(label, resolution))
    scan = Scan(
        root=root,
        discovery=Discovery(root=root),
        inputs=tuple(inputs),
        graph=build_graph([*inputs, *resolved]),
        incomplete=tuple(gaps),
        notes=tuple(notes),
    )
    enabled = frozenset(r for r in enabled_rule_ids(config, rules) if policy.selects(r))
    if all(item.path == COMMAND_LINE for item in inputs):
        enabled -= {BORN_AFTER_USE}
    needs = needs_of(rules, enabled) - {NEED_IMPORTS}  # vetting judges names, not the code
    context = RunContext(config=config, index_lookup=index_lookup)
    try:
        facts = enrich(scan, needs, context)
    finally:
        context.close()
    ctx = CheckContext(
        config=config, root=root, inputs=scan.inputs, graph=scan.graph, rules=rules,
        discovery=scan.discovery, enabled_rules=enabled, facts=facts,
    )  # fmt: skip
    outcomes = run_checks(ctx)
    findings = _unique(_with_overrides(f, config) for f in outcomes.findings)
    kept, suppressed, unused = apply_ignores(
        findings, config.ignores, root=root, today=config.today_date()
    )
    result = AuditResult(
        target=label,
        tool_version=__version__,
        inputs=scan.inputs,
        packages=package_summaries(scan.graph),
        findings=tuple(sorted(kept, key=Finding.sort_key)),
        suppressed=tuple(suppressed),
        unused_ignores=tuple(unused),
        incomplete=merge_incomplete([*scan.incomplete, *facts.incomplete, *outcomes.incomplete]),
        notes=(*scan.notes, *outcomes.notes),
        data_sources=facts.data_sources,
        graph=scan.graph,
        rules=rules.infos(enabled=enabled, overrides=config.severity_overrides),
        report_policy=config.report_policy(),
    )
    return VetResult(
        result=result, resolution=resolution, policy=policy, seconds=time.monotonic() - started
    )


def _with_overrides(finding: Finding, config: Config) -> Finding:
    override = config.severity_overrides.get(finding.rule_id)
    return finding if override is None else dataclasses.replace(finding, severity=override)


def _unique(findings: Iterable[Finding]) -> list[Finding]:
    seen: dict[str, Finding] = {}
    for finding in findings:
        seen.setdefault(finding.fingerprint, finding)
    return list(seen.values())


def vet_exit_code(outcome: VetResult, *, allow_incomplete: bool = False) -> int:
    """0 clean or warnings only, 1 a blocking finding, 3 incomplete (policy ``fail_closed``)."""
    if outcome.blocking:
        return 1
    if outcome.incomplete and outcome.policy.fail_closed and not allow_incomplete:
        return 3
    return 0


__all__ = [
    "COMMAND_LINE",
    "VetPolicy",
    "VetResult",
    "parse_names",
    "vet",
    "vet_exit_code",
    "vet_policy",
]
