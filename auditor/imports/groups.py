"""Which dependency groups are runtime and which are development, as deptry's settings say.

Runtime groups are the main dependencies, every extra (``optional:<name>``) except those in
``optional_dependencies_dev_groups``, and the dependency groups (PEP 735, Poetry, PDM, uv,
``requirements-dev.txt``) named in ``non_dev_dependency_groups``; every other group is
development. Runtime declarations can be unused (AUD502); development ones can be misplaced
(AUD504).

Both lists come from ``[tool.auditor.policy.imports]`` (rules/policy/imports.toml names the
usual development extras: ``dev``, ``test``, ``lint``, ``docs`` ...) and, so that a project
configured for deptry needs no second configuration, from the same keys of ``[tool.deptry]``
in the scanned folder's pyproject.toml (``read_deptry_config``), along with deptry's
``package_module_name_map`` (distribution -> module names: a mapping the user vouches for).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli

from auditor.model import MAIN_GROUP, normalize_name

OPTIONAL_PREFIX = "optional:"


def _names(value: Any) -> frozenset[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return frozenset()
    return frozenset(normalize_name(str(v)) for v in value if str(v).strip())


def deptry_table(root: Path) -> Mapping[str, Any]:
    """Return ``[tool.deptry]`` of `root`/pyproject.toml (empty when absent or unreadable)."""
    try:
        data = tomli.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomli.TOMLDecodeError, RecursionError):
        return {}
    tool = data.get("tool")
    table = tool.get("deptry") if isinstance(tool, dict) else None
    return table if isinstance(table, dict) else {}


@dataclass(frozen=True, slots=True)
class GroupPolicy:
    """Runtime or development, per declared group."""

    dev_extras: frozenset[str] = frozenset()
    non_dev_groups: frozenset[str] = frozenset()

    def is_runtime(self, group: str) -> bool:
        """Whether a requirement of `group` is installed with the package at run time."""
        if group == MAIN_GROUP:
            return True
        if group == "optional" or group.startswith(OPTIONAL_PREFIX):
            return normalize_name(extra_name(group) or "") not in self.dev_extras
        return normalize_name(group) in self.non_dev_groups

    def runtime(self, groups: Iterable[str]) -> list[str]:
        """Return the runtime groups among `groups`, main first."""
        return sorted((g for g in groups if self.is_runtime(g)), key=lambda g: (g != MAIN_GROUP, g))


def extra_name(group: str) -> str | None:
    """Return the extra's name of an ``optional:<extra>`` group (None for other groups)."""
    return group[len(OPTIONAL_PREFIX) :] if group.startswith(OPTIONAL_PREFIX) else None


def group_policy(policy: Mapping[str, Any], root: Path) -> GroupPolicy:
    """Build the group policy from the imports policy and, if enabled, ``[tool.deptry]``."""
    dev = _names(policy.get("optional_dependencies_dev_groups", ()))
    non_dev = _names(policy.get("non_dev_dependency_groups", ()))
    if policy.get("read_deptry_config", True):
        table = deptry_table(root)
        dev |= _names(table.get("optional_dependencies_dev_groups", ()))
        non_dev |= _names(table.get("non_dev_dependency_groups", ()))
    return GroupPolicy(dev_extras=dev, non_dev_groups=non_dev)


def deptry_import_map(policy: Mapping[str, Any], root: Path) -> dict[str, list[str]]:
    """Return deptry's ``package_module_name_map`` as import-map entries (module -> dists)."""
    if not policy.get("read_deptry_config", True):
        return {}
    raw = deptry_table(root).get("package_module_name_map")
    found: dict[str, list[str]] = {}
    if isinstance(raw, dict):
        for dist, modules in raw.items():
            for module in [modules] if isinstance(modules, str) else modules or ():
                if isinstance(module, str) and module.strip():
                    found.setdefault(module.strip(), []).append(str(dist))
    return found


__all__ = ["GroupPolicy", "deptry_import_map", "deptry_table", "extra_name", "group_policy"]
