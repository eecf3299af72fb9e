"""The Check protocol, the context every check reads, and the check registry.

A rule file names its check (``check: pins``); the check lives in ``auditor/checks/<name>.py``
and exposes an instance as ``CHECK``. One check may report several rule ids. Facts that several
checks need (advisory matches, index metadata, import usage) are computed once through
`CheckContext.fact`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from auditor.config import Config
from auditor.discover import Discovery
from auditor.events import NullProgress, ProgressSink
from auditor.graph.build import DependencyGraph
from auditor.model import DataSource, Finding, Incomplete, Location, ParsedInput, Severity
from auditor.rules.catalog import RuleCatalog

if TYPE_CHECKING:
    from auditor.cache import Cache
    from auditor.http import AuditorSession

T = TypeVar("T")


class Check(Protocol):
    """A check: reads the context, yields findings."""

    name: str

    def run(self, ctx: CheckContext) -> Iterable[Finding]:
        """Return the findings of this check."""
        ...


@dataclass(slots=True)
class CheckContext:
    """Everything checks may read, plus the places they report incompleteness and sources."""

    config: Config
    root: Path
    inputs: tuple[ParsedInput, ...]
    graph: DependencyGraph
    rules: RuleCatalog
    discovery: Discovery
    progress: ProgressSink = field(default_factory=NullProgress)
    incomplete: list[Incomplete] = field(default_factory=list)
    data_sources: list[DataSource] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)
    enabled_rules: frozenset[str] = frozenset()
    _facts: dict[str, Any] = field(default_factory=dict)
    _session: AuditorSession | None = None
    _cache: Cache | None = None

    @property
    def session(self) -> AuditorSession:
        """The shared HTTP session (refuses to connect in offline mode)."""
        if self._session is None:
            from auditor.http import make_session

            self._session = make_session(
                timeout=self.config.timeout,
                retries=self.config.retries,
                offline=self.config.offline,
            )
        return self._session

    @property
    def cache(self) -> Cache:
        """The shared on-disk cache."""
        if self._cache is None:
            from auditor.cache import Cache

            self._cache = Cache(self.config.cache_dir)
        return self._cache

    def fact(self, name: str, compute: Callable[[CheckContext], T]) -> T:
        """Compute a shared fact once per run (`name` must be unique per provider)."""
        if name not in self._facts:
            self._facts[name] = compute(self)
        value: T = self._facts[name]
        return value

    def enabled(self, rule_id: str) -> bool:
        """Whether the rule is switched on for this run."""
        return rule_id in self.enabled_rules

    def mark_incomplete(self, source: str, reason: str, packages: Iterable[str] = ()) -> None:
        """Record that `source` could not be checked (for `packages`, if given)."""
        entry = Incomplete(source=source, reason=reason, packages=tuple(sorted(set(packages))))
        if entry not in self.incomplete:
            self.incomplete.append(entry)

    def add_data_source(self, source: DataSource) -> None:
        """Record a data source used, with its age, for the report."""
        if source not in self.data_sources:
            self.data_sources.append(source)

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

    def close(self) -> None:
        """Release the session and cache."""
        if self._session is not None:
            self._session.close()
        if self._cache is not None:
            self._cache.close()


def load_check(name: str) -> Check:
    """Import ``auditor.checks.<name>`` and return its ``CHECK``."""
    module = importlib.import_module(f"auditor.checks.{name}")
    check: Check = module.CHECK
    return check


__all__ = ["Check", "CheckContext", "load_check"]
