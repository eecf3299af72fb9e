"""The license policy (``rules/policy/licenses.toml`` + config) and its verdict on a license.

`OR` passes when any option passes, `AND` only when every part does. An option fails when its
id is denied, its category is denied, or it cannot be combined with the project as the project
is used (`Use`) under the project's own license; an option whose category is unknown is
unknown. A per-package exception (with a reason, optionally limited to some ids and with an
expiry date) passes the package whatever its license, until it expires.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from auditor.config import Config
from auditor.errors import ConfigError
from auditor.licenses.category import CategoryData, id_category, load_categories
from auditor.licenses.model import Category, Normalized, Verdict
from auditor.licenses.tree import Leaf, Node, leaves, parse_tree
from auditor.model import normalize_name

SECTION = "licenses"
_COPYLEFT = (Category.STRONG_COPYLEFT, Category.NETWORK_COPYLEFT)


class Use(enum.StrEnum):
    """How the project is used, which decides what copyleft asks of it."""

    LIBRARY = "library"
    APPLICATION = "application"
    SERVICE = "service"
    INTERNAL = "internal"


_USE_ALIASES = {
    "network-service": "service",
    "network service": "service",
    "saas": "service",
    "distributed": "application",
    "application-distributed": "application",
    "application distributed": "application",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class LicenseException:
    """A package whose license passes whatever it is (`licenses` empty: any), with why."""

    package: str
    licenses: frozenset[str]
    reason: str
    expires: dt.date | None = None

    def expired(self, today: dt.date) -> bool:
        """Whether the exception no longer applies on `today`."""
        return self.expires is not None and today > self.expires


@dataclass(frozen=True, slots=True, kw_only=True)
class LicensePolicy:
    """The validated ``licenses`` policy."""

    use: Use = Use.LIBRARY
    commercial: bool = False
    project_license: str = ""
    allow: frozenset[str] = frozenset()
    deny: frozenset[str] = frozenset()
    deny_categories: frozenset[Category] = frozenset()
    exceptions: tuple[LicenseException, ...] = ()
    use_installed: bool = True
    cache_days: int = 30


@dataclass(frozen=True, slots=True, kw_only=True)
class Judgement:
    """The policy's verdict on one package's license, with the reasons (one per failing id)."""

    verdict: Verdict
    reasons: tuple[str, ...] = ()
    exception: LicenseException | None = None


def _strings(table: Mapping[str, Any], key: str, where: str) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}.{key}: expected a list of strings")
    return list(value)


def _date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{where}: expected a date YYYY-MM-DD, got {value!r}") from None


def _exceptions(value: Any, where: str) -> tuple[LicenseException, ...]:
    if not isinstance(value, list):
        raise ConfigError(f"{where}: expected an array of tables")
    out = []
    for index, entry in enumerate(value):
        here = f"{where}[{index}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"{here}: expected a table")
        unknown = set(entry) - {"package", "licenses", "reason", "expires"}
        if unknown:
            raise ConfigError(f"{here}: unknown keys {sorted(unknown)}")
        package, reason = entry.get("package"), entry.get("reason")
        if not isinstance(package, str) or not package.strip():
            raise ConfigError(f"{here}.package: expected a package name")
        if not isinstance(reason, str) or not reason.strip():
            raise ConfigError(f"{here}.reason: every exception needs a reason")
        out.append(
            LicenseException(
                package=normalize_name(package),
                licenses=frozenset(s.lower() for s in _strings(entry, "licenses", here)),
                reason=reason.strip(),
                expires=_date(entry["expires"], f"{here}.expires") if "expires" in entry else None,
            )
        )
    return tuple(out)


def load_license_policy(config: Config) -> LicensePolicy:
    """Validate the ``licenses`` policy of `config` (ConfigError names the key)."""
    where = "policy.licenses"
    table = config.policy_section(SECTION)
    try:
        raw = str(table.get("use", "library")).strip().lower().replace("_", "-")
        use = Use(_USE_ALIASES.get(raw, raw))
    except ValueError:
        names = ", ".join(u.value for u in Use)
        raise ConfigError(f"{where}.use: expected one of {names}") from None
    for key in ("commercial", "use_installed"):
        if not isinstance(table.get(key, False), bool):
            raise ConfigError(f"{where}.{key}: expected true or false")
    categories = set()
    for name in _strings(table, "deny_categories", where):
        try:
            categories.add(Category(name))
        except ValueError:
            raise ConfigError(f"{where}.deny_categories: unknown category {name!r}") from None
    days = table.get("cache_days", 30)
    if not isinstance(days, int) or isinstance(days, bool) or days < 0:
        raise ConfigError(f"{where}.cache_days: expected a non-negative integer")
    project = table.get("project_license", "")
    if not isinstance(project, str):
        raise ConfigError(f"{where}.project_license: expected an SPDX expression")
    return LicensePolicy(
        use=use,
        commercial=bool(table.get("commercial", False)),
        project_license=project,
        allow=frozenset(s.lower() for s in _strings(table, "allow", where)),
        deny=frozenset(s.lower() for s in _strings(table, "deny", where)),
        deny_categories=frozenset(categories),
        exceptions=_exceptions(table.get("exceptions", []), f"{where}.exceptions"),
        use_installed=bool(table.get("use_installed", True)),
        cache_days=days,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Project:
    """What the verdict needs to know about the project itself."""

    license: Normalized | None
    use: Use
    commercial: bool

    def ids(self) -> set[str]:
        """The lower-case SPDX ids the project's own license names (any of them may apply)."""
        if self.license is None or self.license.expression is None:
            return set()
        tree = parse_tree(self.license.expression)
        return {leaf.license.lower() for leaf in leaves(tree)} if tree is not None else set()

    def describe(self) -> str:
        """The project's license and use in words, for messages."""
        if self.license is None:
            return f"the project (no license declared, a {self.use.value})"
        shown = self.license.expression or self.license.family or "unknown license"
        return f"the project ({shown}, a {self.use.value})"


def _conflict(
    spdx_id: str | None, category: Category, project: Project, data: CategoryData, label: str = ""
) -> str | None:
    """Why a license (id or bare category) cannot be combined with the project, else None."""
    name = label or spdx_id or f"a {category.value} license"
    if category is Category.NON_COMMERCIAL and project.commercial:
        return f"{name} has non-commercial or source-available terms; the project is commercial"
    if project.use is Use.INTERNAL:
        return None
    binds = category is Category.NETWORK_COPYLEFT or (
        category is Category.STRONG_COPYLEFT and project.use is not Use.SERVICE
    )
    mine = project.ids()
    if binds:
        accepted = data.accepted_by.get(spdx_id.lower(), frozenset()) if spdx_id else frozenset()
        if mine & accepted:
            return None
        why = "offered over a network" if project.use is Use.SERVICE else "distributed"
        return (
            f"{name} ({category.value}) requires {project.describe()} {why} with it to be "
            "released under a compatible copyleft license"
        )
    if spdx_id and project.use is not Use.SERVICE:
        for own in mine:
            if spdx_id.lower() in data.incompatible_pairs.get(own, frozenset()):
                return f"{spdx_id} cannot be combined with the project's {own.upper()} license"
    return None


def _option(
    leaf: Leaf, policy: LicensePolicy, project: Project, data: CategoryData
) -> tuple[Verdict, str]:
    key = leaf.license.lower()
    category = id_category(leaf.license, data)
    if leaf.exception is not None:
        cap = data.exceptions.get(leaf.exception.lower())
        if cap is not None and category is not Category.UNKNOWN:
            category = min(category, cap, key=lambda c: c.rank)
    shown = leaf.license + (f" WITH {leaf.exception}" if leaf.exception else "")
    if key in policy.allow:
        return Verdict.ALLOWED, ""
    if key in policy.deny:
        return Verdict.DENIED, f"{shown} is on the deny list"
    if category in policy.deny_categories:
        return Verdict.DENIED, f"{shown} is {category.value}, a denied category"
    if category is Category.UNKNOWN:
        return Verdict.UNKNOWN, f"{shown} has no known category"
    conflict = _conflict(leaf.license, category, project, data, shown)
    if conflict is not None:
        return Verdict.INCOMPATIBLE, conflict
    return Verdict.ALLOWED, ""


_OR_ORDER = (Verdict.ALLOWED, Verdict.UNKNOWN, Verdict.INCOMPATIBLE, Verdict.DENIED)
_AND_ORDER = (Verdict.DENIED, Verdict.INCOMPATIBLE, Verdict.UNKNOWN, Verdict.ALLOWED)


def _walk(
    node: Node | Leaf, policy: LicensePolicy, project: Project, data: CategoryData
) -> tuple[Verdict, list[str]]:
    if isinstance(node, Leaf):
        verdict, reason = _option(node, policy, project, data)
        return verdict, [reason] if reason else []
    results = [_walk(child, policy, project, data) for child in node.children]
    order = _OR_ORDER if node.operator == "OR" else _AND_ORDER
    verdict = min((v for v, _ in results), key=order.index)
    if verdict is Verdict.ALLOWED:
        return verdict, []
    reasons = [r for v, rs in results if v is not Verdict.ALLOWED for r in rs]
    return verdict, reasons


def judge(
    package: str,
    license_: Normalized | None,
    policy: LicensePolicy,
    project: Project,
    today: dt.date,
    data: CategoryData | None = None,
) -> Judgement:
    """Return the policy's verdict on one package's license."""
    data = data or load_categories()
    expression = license_.expression if license_ is not None else None
    ids: set[str] = set()
    tree = parse_tree(expression) if expression else None
    if tree is not None:
        ids = {leaf.license.lower() for leaf in leaves(tree)}
    name = normalize_name(package)
    for exception in policy.exceptions:
        if exception.package != name or exception.expired(today):
            continue
        if not exception.licenses or exception.licenses & ids:
            return Judgement(
                verdict=Verdict.EXCEPTED, reasons=(exception.reason,), exception=exception
            )
    if tree is not None:
        verdict, reasons = _walk(tree, policy, project, data)
        return Judgement(verdict=verdict, reasons=tuple(dict.fromkeys(reasons)))
    category = license_.family_category if license_ is not None else None
    if category is None or category is Category.UNKNOWN:
        return Judgement(verdict=Verdict.UNKNOWN, reasons=("the license is unknown",))
    if category in policy.deny_categories:
        return Judgement(
            verdict=Verdict.DENIED, reasons=(f"{category.value} is a denied category",)
        )
    conflict = _conflict(None, category, project, data)
    if conflict is not None:
        return Judgement(verdict=Verdict.INCOMPATIBLE, reasons=(conflict,))
    return Judgement(verdict=Verdict.ALLOWED)


def expired_exceptions(policy: LicensePolicy, today: dt.date) -> list[LicenseException]:
    """The exceptions whose expiry date has passed (they no longer apply)."""
    return [e for e in policy.exceptions if e.expired(today)]


__all__ = [
    "Judgement",
    "LicenseException",
    "LicensePolicy",
    "Project",
    "Use",
    "expired_exceptions",
    "judge",
    "load_license_policy",
]
