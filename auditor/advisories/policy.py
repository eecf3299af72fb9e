"""The advisory policy (``rules/policy/advisories.toml``) as typed values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from auditor.config import Config
from auditor.errors import ConfigError


@dataclass(frozen=True, slots=True, kw_only=True)
class AdvisoryPolicy:
    """Thresholds of the advisory checks and ``auditor db`` (see advisories.toml)."""

    batch_size: int = 1000
    max_pages: int = 50
    record_ttl_hours: float = 168.0
    stale_after_days: float = 7.0
    max_member_bytes: int = 10_000_000
    max_total_bytes: int = 1_000_000_000
    max_versions_listed: int = 10
    flag_unconstrained: bool = True


def _number(table: dict[str, Any], key: str, default: float) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigError(f"policy.advisories.{key}: expected a non-negative number")
    return float(value)


def advisory_policy(config: Config) -> AdvisoryPolicy:
    """Read and validate the ``advisories`` policy table of `config`."""
    table = dict(config.policy_section("advisories"))
    base = AdvisoryPolicy()
    flag = table.get("flag_unconstrained", base.flag_unconstrained)
    if not isinstance(flag, bool):
        raise ConfigError("policy.advisories.flag_unconstrained: expected true or false")
    return AdvisoryPolicy(
        batch_size=max(1, min(1000, int(_number(table, "batch_size", base.batch_size)))),
        max_pages=max(1, int(_number(table, "max_pages", base.max_pages))),
        record_ttl_hours=_number(table, "record_ttl_hours", base.record_ttl_hours),
        stale_after_days=_number(table, "stale_after_days", base.stale_after_days),
        max_member_bytes=int(_number(table, "max_member_bytes", base.max_member_bytes)),
        max_total_bytes=int(_number(table, "max_total_bytes", base.max_total_bytes)),
        max_versions_listed=int(_number(table, "max_versions_listed", base.max_versions_listed)),
        flag_unconstrained=flag,
    )


__all__ = ["AdvisoryPolicy", "advisory_policy"]
