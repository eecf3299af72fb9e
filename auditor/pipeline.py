"""run_audit: scan -> enrich -> checks -> ignores -> AuditResult, nothing else."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from auditor import __version__
from auditor.checks.base import CheckContext, Note, load_check
from auditor.config import Config
from auditor.context import RunContext
from auditor.enrich import enrich, needs_of
from auditor.events import NullProgress, ProgressSink
from auditor.facts import Facts
from auditor.graph import query
from auditor.graph.build import DependencyGraph
from auditor.licenses.inventory import result_licenses
from auditor.model import Finding, Incomplete, PackageSummary
from auditor.result import AuditResult, CodeFileError
from auditor.rules.catalog import RuleCatalog, load_rules
from auditor.scanning import ENVIRONMENT_LABEL, Scan, fixture_dir_patterns, parse_input, scan_inputs
from auditor.suppress import apply_ignores

log = logging.getLogger(__name__)


def enabled_rule_ids(config: Config, rules: RuleCatalog) -> frozenset[str]:
    """Return the ids switched on: ``enable`` (ids or prefixes, default all) minus ``disable``."""

    def selected(rule_id: str, name: str, patterns: Iterable[str]) -> bool:
        return any(
            rule_id.startswith(p.upper()) or name == p.lower() or p.lower() == "all"
            for p in patterns
        )

    ids = set()
    for rule in rules:
        if config.enable and not selected(rule.id, rule.name, config.enable):
            continue
        if selected(rule.id, rule.name, config.disable):
            continue
        ids.add(rule.id)
    return frozenset(ids)


def package_summaries(graph: DependencyGraph) -> tuple[PackageSummary, ...]:
    """Return one summary per (package, version) in the graph."""
    return tuple(
        PackageSummary(
            name=node.name,
            display_name=node.display_name,
            version=version,
            direct=node.direct,
            groups=tuple(sorted(node.groups)),
            locations=tuple(sorted(node.locations)),
            resolved=node.resolved,
        )
        for node in query.packages(graph)
        for version in node.versions or (None,)
    )


@dataclass(slots=True)
class CheckOutcomes:
    """What the checks of a run produced."""

    findings: list[Finding] = field(default_factory=list)
    incomplete: list[Incomplete] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def run_checks(ctx: CheckContext, progress: ProgressSink | None = None) -> CheckOutcomes:
    """Run every check an enabled rule names; keep findings of enabled rules."""
    progress = progress or NullProgress()
    names = sorted({rule.check for rule in ctx.rules if rule.id in ctx.enabled_rules})
    out = CheckOutcomes()
    progress.start("checks", len(names))
    for name in names:
        check = load_check(name)
        log.debug("running check %s", name)
        for outcome in check.run(ctx):
            if isinstance(outcome, Incomplete):
                out.incomplete.append(outcome)
            elif isinstance(outcome, Note):
                if outcome.text not in out.notes:
                    out.notes.append(outcome.text)
            elif outcome.rule_id in ctx.enabled_rules:
                out.findings.append(outcome)
        progress.advance("checks")
    progress.finish("checks")
    return out


def run_audit(
    config: Config,
    *,
    progress: ProgressSink | None = None,
    rules: RuleCatalog | None = None,
    finding_filter: Callable[[Finding], bool] | None = None,
) -> AuditResult:
    """Run the whole audit for `config.root` and return the one result model."""
    progress = progress or NullProgress()
    if rules is None:
        from auditor.cache import default_cache_dir

        rules = load_rules(validated_dir=config.cache_dir or default_cache_dir())
    scan = scan_inputs(config, progress)
    enabled = enabled_rule_ids(config, rules)
    if config.only_files:
        # One file was named: there is no code to judge imports against.
        enabled = frozenset(r.id for r in rules if r.id in enabled and r.category != "imports")
    context = RunContext(config=config, progress=progress)
    try:
        facts = enrich(scan, needs_of(rules, enabled), context)
    finally:
        context.close()
    ctx = CheckContext(
        config=config,
        root=scan.root,
        inputs=scan.inputs,
        graph=scan.graph,
        rules=rules,
        discovery=scan.discovery,
        enabled_rules=enabled,
        facts=facts,
    )
    outcomes = run_checks(ctx, progress)
    incomplete = merge_incomplete([*scan.incomplete, *facts.incomplete, *outcomes.incomplete])
    findings = [_with_severity(f, config) for f in _dedupe(outcomes.findings)]
    if finding_filter is not None:
        findings = [f for f in findings if finding_filter(f)]
    kept, suppressed, unused = apply_ignores(
        findings, config.ignores, root=scan.root, today=config.today_date()
    )
    return AuditResult(
        target=str(config.root),
        tool_version=__version__,
        inputs=scan.inputs,
        packages=package_summaries(scan.graph),
        findings=tuple(sorted(kept, key=Finding.sort_key)),
        suppressed=tuple(sorted(suppressed, key=lambda s: s.finding.sort_key())),
        unused_ignores=tuple(unused),
        incomplete=incomplete,
        notes=(*scan.notes, *outcomes.notes),
        data_sources=facts.data_sources,
        graph=scan.graph,
        rules=rules.infos(enabled=enabled, overrides=config.severity_overrides),
        report_policy=config.report_policy(),
        import_errors=_import_errors(facts),
        licenses=result_licenses(facts.licenses, config),
    )


def merge_incomplete(entries: Iterable[Incomplete]) -> tuple[Incomplete, ...]:
    """One entry per (source, reason), its packages united; sorted by source and reason."""
    merged: dict[tuple[str, str], set[str]] = {}
    for entry in entries:
        merged.setdefault((entry.source, entry.reason), set()).update(entry.packages)
    return tuple(
        Incomplete(source=source, reason=reason, packages=tuple(sorted(packages)))
        for (source, reason), packages in sorted(merged.items())
    )


def _import_errors(facts: Facts) -> tuple[CodeFileError, ...]:
    usage = facts.imports
    if usage is None:
        return ()
    return tuple(
        CodeFileError(path=e.path, line=e.line, message=e.message, recovered=e.recovered)
        for e in usage.errors
    )


def _with_severity(finding: Finding, config: Config) -> Finding:
    override = config.severity_overrides.get(finding.rule_id) or config.severity_overrides.get(
        finding.rule_name.upper()
    )
    return finding if override is None else dataclasses.replace(finding, severity=override)


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: dict[str, Finding] = {}
    for finding in findings:
        if finding.fingerprint in seen:
            first = seen[finding.fingerprint]
            merged = tuple(dict.fromkeys((*first.locations, *finding.locations)))
            seen[finding.fingerprint] = dataclasses.replace(first, locations=merged)
        else:
            seen[finding.fingerprint] = finding
    return list(seen.values())


def exit_code(result: AuditResult, config: Config) -> int:
    """Map a result to the gate's exit code: 0 clean, 1 findings at/above fail_on, 3 incomplete."""
    if any(f.severity.rank >= config.fail_on.rank for f in result.findings):
        return 1
    if result.incomplete and not config.allow_incomplete:
        return 3
    return 0


__all__ = [
    "ENVIRONMENT_LABEL",
    "CheckOutcomes",
    "Scan",
    "enabled_rule_ids",
    "exit_code",
    "fixture_dir_patterns",
    "merge_incomplete",
    "package_summaries",
    "parse_input",
    "run_audit",
    "run_checks",
    "scan_inputs",
]
