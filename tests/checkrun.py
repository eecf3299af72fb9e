"""Run one check the way the pipeline does: enrich the context's scan, then run the check.

Tests inject the package index and git through the run context (`lookup`, `history`) instead
of the check, since checks are pure and only read facts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.checks.base import Check, CheckContext, Note
from auditor.config import Config
from auditor.context import GitHistoryFactory, IndexLookup, RunContext
from auditor.enrich import enrich, needs_of
from auditor.facts import Facts
from auditor.model import DataSource, Finding, Incomplete
from auditor.pipeline import merge_incomplete
from auditor.scanning import Scan

# Every network source at a closed loopback port, one immediate retry: a check test that
# builds its Config directly (not through the environment the shared fixture sets) is refused
# at once instead of sleeping through backoffs towards addresses the test run blocks.
_DEAD = "http://127.0.0.1:9"


def loopback_config(root: Path, policy: Mapping[str, Mapping[str, Any]], **changes: Any) -> Config:
    """A Config for check tests: `policy`, every source at a dead loopback address."""
    return Config(
        root=root,
        policy=policy,
        osv_url=_DEAD,
        osv_bulk_url=f"{_DEAD}/all.zip",
        index_url=f"{_DEAD}/simple",
        index_json_url=f"{_DEAD}/pypi",
        top_packages_url=f"{_DEAD}/top.json",
        retries=1,
        **changes,
    )


@dataclass(slots=True)
class CheckRun:
    """What one check produced, and the facts it read."""

    findings: list[Finding]
    incomplete: list[Incomplete]
    facts: Facts
    data_sources: list[DataSource] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def enriched(
    ctx: CheckContext,
    *,
    lookup: IndexLookup | None = None,
    history: GitHistoryFactory | None = None,
) -> CheckContext:
    """Return `ctx` with the facts its enabled rules need (index and git injectable)."""
    scan = Scan(
        root=ctx.root,
        discovery=ctx.discovery,
        inputs=ctx.inputs,
        graph=ctx.graph,
        incomplete=(),
        notes=(),
    )
    context = RunContext(
        config=ctx.config,
        index_lookup=lookup,
        git_history=history,
    )
    try:
        facts = enrich(scan, needs_of(ctx.rules, ctx.enabled_rules), context)
    finally:
        context.close()
    return dataclasses.replace(ctx, facts=facts)


def run_check(
    check: Check,
    ctx: CheckContext,
    *,
    lookup: IndexLookup | None = None,
    history: GitHistoryFactory | None = None,
) -> CheckRun:
    """Enrich `ctx` and run `check` on it; split findings from what it could not judge."""
    ready = enriched(ctx, lookup=lookup, history=history)
    findings: list[Finding] = []
    unjudged: list[Incomplete] = []
    notes: list[str] = []
    for outcome in check.run(ready):
        if isinstance(outcome, Incomplete):
            unjudged.append(outcome)
        elif isinstance(outcome, Note):
            notes.append(outcome.text)
        else:
            findings.append(outcome)
    incomplete = list(merge_incomplete([*ready.facts.incomplete, *unjudged]))
    return CheckRun(
        findings=findings,
        incomplete=incomplete,
        facts=ready.facts,
        data_sources=list(ready.facts.data_sources),
        notes=notes,
    )


def findings_of(
    check: Check,
    ctx: CheckContext,
    *,
    lookup: IndexLookup | None = None,
    history: GitHistoryFactory | None = None,
) -> list[Finding]:
    """Only the findings of `run_check`."""
    return run_check(check, ctx, lookup=lookup, history=history).findings


__all__ = ["CheckRun", "enriched", "findings_of", "run_check"]
