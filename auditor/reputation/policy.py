"""The reputation policy: thresholds and lists from ``rules/policy/reputation.toml``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.config import Config, rules_dir
from auditor.errors import ConfigError
from auditor.reputation.derivation import DerivationPolicy
from auditor.reputation.typosquat import AllowList, TyposquatPolicy, load_allowlist

SECTION = "reputation"


@dataclass(frozen=True, slots=True, kw_only=True)
class ReputationPolicy:
    """Every reputation threshold, validated once per run."""

    suggestions: int
    suggestion_max_distance: int
    typosquat: TyposquatPolicy
    allowlist_path: Path
    new_max_age_days: int
    new_min_releases: int
    new_few_releases_days: int
    abandoned_max_idle_days: int
    born_after_grace_days: int
    young_max_age_days: int
    young_few_releases: int
    young_high_min_signals: int
    derivation: DerivationPolicy
    stdlib_backports: Mapping[str, str]
    python2_modules: tuple[str, ...]
    imported_in_dev_code: bool = False
    bundled_popular: bool = True


def _table(policy: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    table = policy.get(key)
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}.{key}: expected a table")
    return table


def _int(table: Mapping[str, Any], key: str, where: str) -> int:
    value = table.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ConfigError(f"{where}.{key}: expected a non-negative integer")
    return value


def load_reputation_policy(config: Config) -> ReputationPolicy:
    """Validate the ``reputation`` policy of `config`.

    Raises:
        ConfigError: naming the table and key that is missing or malformed.
    """
    where = "policy.reputation"
    policy = config.policy_section(SECTION)
    hallucinated = _table(policy, "hallucinated", where)
    typosquat = _table(policy, "typosquat", where)
    new = _table(policy, "new_package", where)
    abandoned = _table(policy, "abandoned", where)
    born = _table(policy, "born_after_use", where)
    young = _table(policy, "young_derived", where)
    bundled = policy.get("bundled_popular", True)
    if not isinstance(bundled, bool):
        raise ConfigError(f"{where}.bundled_popular: expected true or false")
    stdlib = _table(policy, "stdlib", where)
    backports = stdlib.get("backports")
    if not isinstance(backports, Mapping) or not all(
        isinstance(v, str) for v in backports.values()
    ):
        raise ConfigError(f'{where}.stdlib.backports: expected a table of name = "version"')
    python2 = stdlib.get("python2_modules")
    if not isinstance(python2, list) or not all(isinstance(v, str) for v in python2):
        raise ConfigError(f"{where}.stdlib.python2_modules: expected a list of names")
    allow = typosquat.get("allowlist")
    if not isinstance(allow, str) or not allow:
        raise ConfigError(f"{where}.typosquat.allowlist: expected a file name")
    allow_path = Path(allow)
    if not allow_path.is_absolute():
        # A project may ship its own list (relative to its root); the default is the packaged one.
        local = config.root / allow_path
        allow_path = local if local.is_file() else rules_dir() / "policy" / allow_path
    return ReputationPolicy(
        suggestions=_int(hallucinated, "suggestions", f"{where}.hallucinated"),
        suggestion_max_distance=_int(
            hallucinated, "suggestion_max_distance", f"{where}.hallucinated"
        ),
        typosquat=TyposquatPolicy.from_mapping(typosquat, f"{where}.typosquat"),
        allowlist_path=allow_path,
        new_max_age_days=_int(new, "max_age_days", f"{where}.new_package"),
        new_min_releases=_int(new, "min_releases", f"{where}.new_package"),
        new_few_releases_days=_int(new, "few_releases_days", f"{where}.new_package"),
        abandoned_max_idle_days=_int(abandoned, "max_idle_days", f"{where}.abandoned"),
        born_after_grace_days=_int(born, "grace_days", f"{where}.born_after_use"),
        young_max_age_days=_int(young, "max_age_days", f"{where}.young_derived"),
        young_few_releases=_int(young, "few_releases", f"{where}.young_derived"),
        young_high_min_signals=_int(young, "high_min_signals", f"{where}.young_derived"),
        derivation=DerivationPolicy.from_mapping(young, f"{where}.young_derived"),
        stdlib_backports={str(k).lower(): str(v) for k, v in backports.items()},
        python2_modules=tuple(v.lower() for v in python2),
        imported_in_dev_code=bool(hallucinated.get("imported_in_dev_code", False)),
        bundled_popular=bundled,
    )


def load_policy_allowlist(policy: ReputationPolicy) -> AllowList:
    """Read the allow-list the policy names."""
    return load_allowlist(policy.allowlist_path)


__all__ = ["ReputationPolicy", "load_policy_allowlist", "load_reputation_policy"]
