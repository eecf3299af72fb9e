"""Risk and replaceability of each dependency, scored with the weights in rules/policy/replace.toml.

Risk comes from facts enrichment already gathered: advisories (now and past), malicious listing,
typosquat suspicion, a single named maintainer, age and release cadence, the index's project
status, install-time code (no wheel), transitive footprint and license. Replaceability comes
from the `Footprint`: how few symbols and call sites, how small and simple the used part is next
to the whole, pure Python or not. Every factor carries its own plain-words reason, so a finding
reads "uses 2 functions of X (18 of 688 lines); single maintainer; no release since 2019".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from auditor.model import normalize_name
from auditor.replace.footprint import Footprint

if TYPE_CHECKING:
    from auditor.facts import Facts
    from auditor.graph.build import DependencyGraph


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskFactor:
    """One reason a dependency is risky, with the points it adds."""

    key: str
    points: int
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskPolicy:
    """The weights and thresholds (``[risk]``, ``[replaceability]``, ``[license]``)."""

    weights: Mapping[str, int]
    threshold: int
    stale_years: int
    young_days: int
    few_releases_count: int = 2
    trivial_lines: int
    max_used_lines: int
    max_used_symbols: int
    max_used_fraction: float
    copy_allowed: tuple[str, ...]
    # name -> why it is never proposed for replacement (data that must stay current, build tools)
    keep: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_policy(cls, section: Mapping[str, Any]) -> RiskPolicy:
        """Build from the ``replace`` policy table (defaults where a key is absent)."""
        risk = dict(section.get("risk") or {})
        repl = dict(section.get("replaceability") or {})
        lic = dict(section.get("license") or {})
        return cls(
            weights={k: int(v) for k, v in risk.items() if isinstance(v, int)},
            threshold=int(risk.get("threshold", 20)),
            stale_years=int(risk.get("stale_years", 3)),
            young_days=int(risk.get("young_days", 90)),
            few_releases_count=int(risk.get("few_releases_count", 2)),
            trivial_lines=int(repl.get("trivial_lines", 35)),
            max_used_lines=int(repl.get("max_used_lines", 400)),
            max_used_symbols=int(repl.get("max_used_symbols", 8)),
            max_used_fraction=float(repl.get("max_used_fraction", 0.5)),
            copy_allowed=tuple(str(x) for x in lic.get("copy_allowed", ())),
            keep={
                normalize_name(str(k)): str(v) for k, v in dict(section.get("keep") or {}).items()
            },
        )

    def weight(self, key: str) -> int:
        """The points of one factor (0 when not configured)."""
        return self.weights.get(key, 0)

    def factor(self, key: str, text: str, points: int | None = None) -> RiskFactor:
        """The factor `key` with its configured weight (or `points`) and its `text`."""
        return RiskFactor(key=key, points=self.weight(key) if points is None else points, text=text)


@dataclass(frozen=True, slots=True, kw_only=True)
class Assessment:
    """A dependency's risk (score and factors) and whether replacing it is worth proposing."""

    package: str
    display: str
    version: str | None
    score: int
    factors: tuple[RiskFactor, ...]
    footprint: Footprint | None
    replaceable: bool
    trivial: bool
    why_not: str = ""

    def reasons(self) -> str:
        """The finding's plain-words reasons, use first."""
        parts = [self.footprint.describe_use(self.display)] if self.footprint else []
        parts += [f.text for f in self.factors]
        return "; ".join(parts)

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form (evidence of AUD602/AUD603, `auditor replace` candidates)."""
        fp = self.footprint
        return {
            "package": self.package,
            "version": self.version,
            "risk": self.score,
            "factors": [{"key": f.key, "points": f.points, "text": f.text} for f in self.factors],
            "replaceable": self.replaceable,
            "trivial": self.trivial,
            "why_not": self.why_not or None,
            "symbols": list(fp.symbols) if fp else [],
            "call_sites": fp.call_sites if fp else 0,
            "used_lines": fp.used_lines if fp else None,
            "package_lines": fp.package_lines if fp else None,
            "complexity": fp.complexity if fp else None,
            "pure_python": fp.pure if fp else None,
            "needs_packages": list(fp.third_party) if fp else [],
        }


def _advisory_factors(name: str, facts: Facts, policy: RiskPolicy) -> list[RiskFactor]:
    if facts.advisories is None:
        return []
    now: set[str] = set()
    every: set[str] = set()
    malicious = False
    for query, found in facts.advisories.advisories.items():
        if query.name != name:
            continue
        for advisory in found:
            if advisory.is_withdrawn:
                continue
            malicious = malicious or advisory.malicious
            (now if query.version is not None else every).add(advisory.id)
    factors = []
    if malicious:
        factors.append(policy.factor("malicious", "listed as malicious"))
    if now:
        factors.append(
            policy.factor(
                "advisory_now",
                f"{len(now)} advisor{'ies' if len(now) != 1 else 'y'} affect the version in use",
            )
        )
    past = every - now
    if past:
        points = min(policy.weight("advisory_past") * len(past), policy.weight("advisory_past_max"))
        factors.append(
            policy.factor(
                "advisory_past",
                f"{len(past)} past advisor{'ies' if len(past) != 1 else 'y'}",
                points,
            )
        )
    return factors


def _index_factors(name: str, facts: Facts, policy: RiskPolicy, today: dt.date) -> list[RiskFactor]:
    from auditor.index.model import LookupState, ProjectStatus

    lookup = facts.index.get(name)
    if lookup is None or lookup.state is not LookupState.FOUND or lookup.info is None:
        return []
    info = lookup.info
    factors = []
    people = {p.strip().lower() for p in (info.author, info.maintainer) if p and p.strip()}
    if len(people) == 1 and not any("," in p or " and " in p for p in people):
        factors.append(policy.factor("single_maintainer", "single maintainer"))
    last, first = info.last_release, info.first_release
    if last is not None and (today - last.date()).days > 365 * policy.stale_years:
        factors.append(policy.factor("stale", f"no release since {last.year}"))
    if first is not None and (today - first.date()).days < policy.young_days:
        factors.append(
            policy.factor("young", f"first release {(today - first.date()).days} days ago")
        )
    released = [r for r in info.releases if r.upload_time is not None and not r.yanked]
    if 0 < len(released) <= policy.few_releases_count:
        factors.append(
            policy.factor(
                "few_releases", f"{len(released)} release{'s' if len(released) != 1 else ''} ever"
            )
        )
    if info.status in (ProjectStatus.ARCHIVED, ProjectStatus.DEPRECATED):
        factors.append(policy.factor("abandoned_status", f"marked {info.status} on the index"))
    return factors


def _other_factors(
    name: str,
    facts: Facts,
    graph: DependencyGraph | None,
    footprint: Footprint | None,
    policy: RiskPolicy,
) -> list[RiskFactor]:
    factors = []
    if facts.matcher is not None and (match := facts.matcher.match(name)) is not None:
        factors.append(policy.factor("typosquat", f"name close to {match.target}"))
    wheels = facts.imports.wheels if facts.imports is not None else None
    if wheels is not None and name in wheels.no_wheel:
        factors.append(
            policy.factor("install_time_code", "no wheel: setup code runs at install time")
        )
    if graph is not None:
        from auditor.graph import query

        if query.package(graph, name) is not None:
            deps = query.dependencies(graph, name)
            if deps:
                points = min(
                    policy.weight("transitive") * len(deps), policy.weight("transitive_max")
                )
                factors.append(
                    policy.factor(
                        "transitive",
                        f"brings {len(deps)} more package{'s' if len(deps) != 1 else ''}",
                        points,
                    )
                )
    if footprint is not None and footprint.version is not None:
        from auditor.replace.license import allowed_by

        verdict = allowed_by(footprint.license, policy.copy_allowed)
        if verdict is None:
            factors.append(policy.factor("license_unknown", "no license declared"))
        elif not verdict:
            factors.append(policy.factor("license_restrictive", f"license {footprint.license}"))
    return factors


def assess(
    name: str,
    display: str,
    version: str | None,
    facts: Facts,
    policy: RiskPolicy,
    today: dt.date,
    graph: DependencyGraph | None = None,
) -> Assessment:
    """Score one dependency and decide whether it is a replacement candidate."""
    footprint = facts.footprints.get(name)
    factors = [
        *_advisory_factors(name, facts, policy),
        *_index_factors(name, facts, policy, today),
        *_other_factors(name, facts, graph, footprint, policy),
    ]
    factors = [f for f in factors if f.points > 0]
    score = sum(f.points for f in factors)
    replaceable, trivial, why_not = _replaceability(footprint, policy)
    if name in policy.keep:
        replaceable, trivial, why_not = False, False, policy.keep[name]
    return Assessment(
        package=name,
        display=display,
        version=version or (footprint.version if footprint else None),
        score=score,
        factors=tuple(sorted(factors, key=lambda f: (-f.points, f.key))),
        footprint=footprint,
        replaceable=replaceable,
        trivial=trivial,
        why_not=why_not,
    )


def _replaceability(footprint: Footprint | None, policy: RiskPolicy) -> tuple[bool, bool, str]:
    if footprint is None:
        return False, False, "not imported by production code"
    if footprint.used_lines is None:
        return False, False, footprint.problem or "the used part could not be measured"
    if not footprint.pure:
        return False, False, "ships compiled code"
    if footprint.functions + footprint.classes == 0:
        # Only constants or module attributes (``pydantic.VERSION``): no code to replace.
        return False, False, "uses no function or class of it"
    trivial = footprint.used_lines < policy.trivial_lines
    if footprint.third_party:
        return False, trivial, f"the used part imports {', '.join(footprint.third_party)}"
    if len(footprint.symbols) > policy.max_used_symbols:
        return (
            False,
            trivial,
            f"uses {len(footprint.symbols)} names (over {policy.max_used_symbols})",
        )
    if footprint.used_lines > policy.max_used_lines:
        return (
            False,
            trivial,
            f"the used part has {footprint.used_lines} lines (over {policy.max_used_lines})",
        )
    whole = footprint.package_lines or 0
    if whole and footprint.used_lines / whole > policy.max_used_fraction:
        return False, trivial, f"uses {footprint.used_lines} of {whole} lines: not a sliver"
    return True, trivial, ""


__all__ = ["Assessment", "RiskFactor", "RiskPolicy", "assess"]
