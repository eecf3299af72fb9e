"""run_audit: discover -> parse -> graph -> checks -> ignores -> AuditResult, nothing else."""

from __future__ import annotations

import dataclasses
import logging
import posixpath
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from auditor import __version__
from auditor.checks.base import CheckContext, load_check
from auditor.config import Config
from auditor.discover import Discovery, classify, discover, in_fixture_dir
from auditor.errors import ConfigError, SourceError
from auditor.events import NullProgress, ProgressSink
from auditor.graph import query
from auditor.graph.build import DependencyGraph, build_graph
from auditor.model import (
    AuditResult,
    Finding,
    Incomplete,
    InputKind,
    InputStatus,
    PackageSummary,
    ParsedInput,
)
from auditor.rules.catalog import RuleCatalog, load_rules
from auditor.sources.base import source_for
from auditor.suppress import apply_ignores

log = logging.getLogger(__name__)

ENVIRONMENT_LABEL = "<environment>"


@dataclass(frozen=True, slots=True, kw_only=True)
class Scan:
    """The inputs side of a run: what was found, parsed and built, before any check ran."""

    discovery: Discovery
    inputs: tuple[ParsedInput, ...]
    graph: DependencyGraph
    incomplete: tuple[Incomplete, ...]
    notes: tuple[str, ...]


def parse_input(root: Path, relpath: str, kind: InputKind) -> ParsedInput:
    """Parse one input, turning a parse failure into an error entry (never raising)."""
    try:
        return source_for(kind).parse(root, relpath)
    except SourceError as exc:
        return ParsedInput(path=relpath, kind=kind, status=InputStatus.ERROR, error=str(exc))
    except (OSError, UnicodeDecodeError) as exc:
        return ParsedInput(
            path=relpath,
            kind=kind,
            status=InputStatus.ERROR,
            error=f"{relpath}: cannot read: {exc}",
        )


def _drop_included(inputs: list[ParsedInput]) -> list[ParsedInput]:
    """Drop requirements files that another requirements file already pulled in with -r/-c."""
    included = {inc for item in inputs for inc in item.includes}
    return [
        item
        for item in inputs
        if not (item.kind is InputKind.REQUIREMENTS and item.path in included)
    ]


def scan_inputs(config: Config, progress: ProgressSink | None = None) -> Scan:
    """Discover and parse every input under the configured root and build the graph."""
    progress = progress or NullProgress()
    root = config.root.resolve()
    fixture_dirs = fixture_dir_patterns(config)
    found = discover(
        root,
        exclude=config.exclude,
        max_file_bytes=config.max_file_bytes,
        fixture_dirs=fixture_dirs,
    )
    progress.start("parse", len(found.inputs))
    parsed: list[ParsedInput] = []
    for relpath, kind in found.inputs:
        parsed.append(parse_input(root, relpath, kind))
        progress.advance("parse")
    progress.finish("parse")
    if config.environment:
        parsed.append(parse_input(root, ENVIRONMENT_LABEL, InputKind.ENVIRONMENT))
    parsed = _drop_included(parsed)
    for rel, reason in found.skipped:
        parsed.append(
            ParsedInput(
                path=rel,
                kind=classify(rel) or InputKind.REQUIREMENTS,
                status=InputStatus.SKIPPED,
                error=f"{rel}: skipped: {reason}",
            )
        )
    parsed.sort(key=lambda item: item.path)
    incomplete = tuple(
        Incomplete(source=f"input:{item.path}", reason=item.error or "unreadable")
        for item in parsed
        if item.status is InputStatus.ERROR
    )
    notes: list[str] = []
    if not found.inputs and not config.environment:
        notes.append(f"no Python dependency inputs found under {root}")
    if found.fixture_inputs:
        folders = sorted({_fixture_root(p, fixture_dirs) for p in found.fixture_inputs})
        more = len(folders) - 3
        shown = ", ".join(folders[:3]) + (f" and {more} more" if more > 0 else "")
        notes.append(
            f"skipped {len(found.fixture_inputs)} manifest(s)/lockfile(s) in test-fixture or "
            f"template folders ({shown}); they are not this project's dependencies "
            "(set [tool.auditor.policy.discovery] fixture_dirs = [] to scan them)"
        )
    notes.extend(item.error for item in parsed if item.status is InputStatus.SKIPPED and item.error)
    notes.extend(f"{item.path}: {note}" for item in parsed for note in item.notes)
    return Scan(
        discovery=found,
        inputs=tuple(parsed),
        graph=build_graph(parsed),
        incomplete=incomplete,
        notes=tuple(notes),
    )


def fixture_dir_patterns(config: Config) -> tuple[str, ...]:
    """Return the ``discovery.fixture_dirs`` policy: folders whose manifests are not inputs."""
    value = config.policy_section("discovery").get("fixture_dirs", [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError("policy.discovery.fixture_dirs: expected a list of folder-name globs")
    return tuple(v for v in value if v.strip())


def _fixture_root(relpath: str, patterns: tuple[str, ...]) -> str:
    """Return the outermost folder of `relpath` that counts as a fixture folder."""
    parts = posixpath.dirname(relpath).split("/")
    for end in range(1, len(parts) + 1):
        folder = "/".join(parts[:end])
        if in_fixture_dir(folder, patterns):
            return folder
    return posixpath.dirname(relpath)


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
        )
        for node in query.packages(graph)
        for version in node.versions or (None,)
    )


def run_checks(ctx: CheckContext) -> list[Finding]:
    """Run every check that at least one enabled rule needs; keep findings of enabled rules."""
    names = sorted({rule.check for rule in ctx.rules if rule.id in ctx.enabled_rules})
    findings: list[Finding] = []
    ctx.progress.start("checks", len(names))
    for name in names:
        check = load_check(name)
        log.debug("running check %s", name)
        findings.extend(f for f in check.run(ctx) if f.rule_id in ctx.enabled_rules)
        ctx.progress.advance("checks")
    ctx.progress.finish("checks")
    return findings


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
    ctx = CheckContext(
        config=config,
        root=config.root.resolve(),
        inputs=scan.inputs,
        graph=scan.graph,
        rules=rules,
        discovery=scan.discovery,
        progress=progress,
        enabled_rules=enabled_rule_ids(config, rules),
    )
    ctx.incomplete.extend(scan.incomplete)
    try:
        findings = run_checks(ctx)
    finally:
        ctx.close()
    findings = [_with_severity(f, config) for f in _dedupe(findings)]
    if finding_filter is not None:
        findings = [f for f in findings if finding_filter(f)]
    kept, suppressed, unused = apply_ignores(
        findings, config.ignores, root=ctx.root, today=config.today_date()
    )
    return AuditResult(
        target=str(config.root),
        tool_version=__version__,
        inputs=scan.inputs,
        packages=package_summaries(scan.graph),
        findings=tuple(sorted(kept, key=Finding.sort_key)),
        suppressed=tuple(sorted(suppressed, key=lambda s: s.finding.sort_key())),
        unused_ignores=tuple(unused),
        incomplete=tuple(sorted(ctx.incomplete, key=lambda i: (i.source, i.reason))),
        notes=scan.notes,
        data_sources=tuple(ctx.data_sources),
        graph=scan.graph,
        extras=ctx.extras,
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
    "Scan",
    "enabled_rule_ids",
    "exit_code",
    "package_summaries",
    "parse_input",
    "run_audit",
    "run_checks",
    "scan_inputs",
]
