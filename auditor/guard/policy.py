"""The ``guard`` policy: which rules vetting runs, what blocks an install, how the hook fails.

Kept apart from `auditor.guard.vet` so the agent hook can read it (and answer from its verdict
cache) without importing the graph and the checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from auditor.config import Config
from auditor.errors import ConfigError
from auditor.model import Severity


@dataclass(frozen=True, slots=True, kw_only=True)
class VetPolicy:
    """The ``guard`` policy table: which rules vet runs and what blocks an install."""

    rules: tuple[str, ...] = ("AUD2", "AUD3", "AUD4")
    skip: tuple[str, ...] = ("AUD203", "AUD405")
    block: Severity = Severity.HIGH
    warn: Severity = Severity.LOW
    fail_closed: bool = True
    hook_fail_open: bool = False
    hook_timeout: float = 20.0
    verdict_ttl: float = 600.0

    @classmethod
    def from_policy(cls, table: Mapping[str, Any]) -> VetPolicy:
        """Build from the merged ``guard`` policy (raises ConfigError when malformed)."""
        where = "policy.guard"
        values: dict[str, Any] = {}
        for key in ("rules", "skip"):
            if key in table:
                value = table[key]
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise ConfigError(f"{where}.{key}: expected a list of rule ids or prefixes")
                values[key] = tuple(v.upper() for v in value)
        for key in ("block", "warn"):
            if key in table:
                try:
                    values[key] = Severity.parse(str(table[key]))
                except ValueError:
                    raise ConfigError(f"{where}.{key}: unknown severity {table[key]!r}") from None
        for key in ("fail_closed", "hook_fail_open"):
            if key in table:
                if not isinstance(table[key], bool):
                    raise ConfigError(f"{where}.{key}: expected true or false")
                values[key] = table[key]
        for key in ("hook_timeout", "verdict_ttl"):
            if key in table:
                value = table[key]
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                    raise ConfigError(f"{where}.{key}: expected a number of seconds")
                values[key] = float(value)
        return cls(**values)

    def selects(self, rule_id: str) -> bool:
        """Whether vetting runs `rule_id`."""
        return rule_id.startswith(self.rules) and not rule_id.startswith(self.skip)


def vet_policy(config: Config) -> VetPolicy:
    """Return the run's vet policy."""
    return VetPolicy.from_policy(config.policy_section("guard"))


__all__ = ["VetPolicy", "vet_policy"]
