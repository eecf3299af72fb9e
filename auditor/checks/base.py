"""The Check protocol, the read-only context every check gets, and the check registry.

A rule file names its check (``check: pins``); the check lives in ``auditor/checks/<name>.py``
and exposes an instance as ``CHECK``. One check may report several rule ids. Checks are pure:
they read the scan, the graph, the enrichment's `Facts` and the policy, and yield findings,
`Incomplete` entries (a source of truth or an input was missing) and `Note`s (what the analysis
could not prove); they never touch the network or the cache.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from auditor.config import Config
from auditor.discover import Discovery
from auditor.facts import Facts
from auditor.graph.build import DependencyGraph
from auditor.model import Finding, Incomplete, Location, ParsedInput, Severity
from auditor.rules.catalog import RuleCatalog


@dataclass(frozen=True, slots=True)
class Note:
    """Something a check could not prove that does not make the audit incomplete."""

    text: str


Outcome = Finding | Incomplete | Note


class Check(Protocol):
    """A check: reads the context, yields findings and what it could not judge."""

    name: str

    def run(self, ctx: CheckContext) -> Iterable[Outcome]:
        """Return the findings of this check (and `Incomplete` entries)."""
        ...


@dataclass(frozen=True, slots=True)
class CheckContext:
    """Everything checks may read: the scan, the graph, the facts and the configured rules."""

    config: Config
    root: Path
    inputs: tuple[ParsedInput, ...]
    graph: DependencyGraph
    rules: RuleCatalog
    discovery: Discovery
    enabled_rules: frozenset[str] = frozenset()
    facts: Facts = field(default_factory=Facts)

    def enabled(self, rule_id: str) -> bool:
        """Whether the rule is switched on for this run."""
        return rule_id in self.enabled_rules

    def finding(
        self,
        rule_id: str,
        *,
        message: str,
        package: str | None = None,
        version: str | None = None,
        locations: Iterable[Location] = (),
        evidence: Mapping[str, Any] | None = None,
        fix: str | None = None,
        key: str = "",
        severity: Severity | None = None,
        path_from_root: Iterable[str] = (),
    ) -> Finding:
        """Build a finding for `rule_id`, taking name and default severity from the catalogue."""
        rule = self.rules.get(rule_id)
        return Finding(
            rule_id=rule_id,
            rule_name=rule.name,
            severity=severity or rule.severity,
            message=message,
            package=package,
            version=version,
            locations=tuple(locations),
            evidence=dict(evidence or {}),
            fix=fix,
            key=key,
            path_from_root=tuple(path_from_root),
        )


def incomplete(source: str, reason: str, packages: Iterable[str] = ()) -> Incomplete:
    """Say that `source` could not be checked (for `packages`, if given)."""
    return Incomplete(source=source, reason=reason, packages=tuple(sorted(set(packages))))


def load_check(name: str) -> Check:
    """Import ``auditor.checks.<name>`` and return its ``CHECK``."""
    module = importlib.import_module(f"auditor.checks.{name}")
    check: Check = module.CHECK
    return check


__all__ = ["Check", "CheckContext", "Note", "Outcome", "incomplete", "load_check"]
