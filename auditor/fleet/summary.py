"""The org-wide view: one fleet report built from the inventory (never from a rescan).

Findings by severity per repository; every package version in use and which repositories use
it; the riskiest shared dependencies (used by two or more repositories, ranked by their worst
finding, then how many repositories carry a finding on them, then how many use them); and the
license inventory when reports carry a ``licenses`` section.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from auditor import __version__
from auditor.fleet.inventory import SEVERITIES, Inventory
from auditor.model import Severity

RISKY_LIMIT = 25


@dataclass(frozen=True, slots=True, kw_only=True)
class FleetReport:
    """The fleet report's data; every format renders `data` (the JSON form)."""

    data: dict[str, Any]

    @property
    def exit_code(self) -> int:
        """The fleet's exit code, consistent with ``auditor scan`` (see `fleet_exit_code`)."""
        return int(self.data["exit_code"])


def fleet_exit_code(codes: list[int | None], *, failed: int, allow_incomplete: bool) -> int:
    """1 when a repository's gate failed, else 3 when one was incomplete or failed, else 0.

    Each repository's code is the one ``auditor scan`` gives it under its own configuration; a
    repository that could not be audited counts as incomplete unless `allow_incomplete`.
    """
    if any(code == 1 for code in codes):
        return 1
    if (failed or any(code == 3 for code in codes)) and not allow_incomplete:
        return 3
    return 0


def _repositories(inventory: Inventory) -> list[dict[str, Any]]:
    out = []
    for row in inventory.rows(
        "SELECT name, key, location, status, revision, exit_code, error, stale, summary, "
        "incomplete, attempts, seconds, report FROM repos ORDER BY name, key"
    ):
        name, key, location, status, revision, code, error, stale, summary, incomplete = row[:10]
        counts = {sev: int(json.loads(summary or "{}").get(sev, 0)) for sev in SEVERITIES}
        out.append(
            {
                "name": name,
                "key": key,
                "location": location,
                "status": status,
                "revision": revision,
                "exit_code": code,
                "error": error,
                "stale": bool(stale),
                "findings": counts,
                "incomplete": int(incomplete),
                "attempts": int(row[10]),
                "seconds": round(float(row[11]), 3),
                "report": row[12],
            }
        )
    return out


def _packages(inventory: Inventory) -> list[dict[str, Any]]:
    versions: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    display: dict[str, str] = {}
    for name, shown, version, repo in inventory.rows(
        "SELECT p.name, p.display, p.version, r.name FROM packages p JOIN repos r ON r.key = p.repo"
    ):
        versions[name][version].add(repo)
        display.setdefault(name, shown)
    return [
        {
            "name": display[name],
            "repositories": len(set().union(*versions[name].values())),
            "versions": [
                {"version": version or None, "repositories": sorted(repos)}
                for version, repos in sorted(versions[name].items())
            ],
        }
        for name in sorted(versions)
    ]


def _riskiest(inventory: Inventory) -> list[dict[str, Any]]:
    using = {
        name: int(count)
        for name, count in inventory.rows(
            "SELECT name, COUNT(DISTINCT repo) FROM packages GROUP BY name "
            "HAVING COUNT(DISTINCT repo) > 1"
        )
    }
    rows: dict[str, dict[str, Any]] = {}
    for pkg, severity, rule, advisory, repo, version in inventory.rows(
        "SELECT f.package, f.severity, f.rule_id, f.advisory, r.name, f.version FROM findings f "
        "JOIN repos r ON r.key = f.repo WHERE f.package != ''"
    ):
        if pkg not in using:
            continue
        entry = rows.setdefault(
            pkg,
            {
                "package": pkg,
                "repositories_using": using[pkg],
                "repos": set(),
                "rules": set(),
                "advisories": set(),
                "versions": set(),
                "worst": Severity.INFO,
            },
        )
        entry["repos"].add(repo)
        entry["rules"].add(rule)
        entry["versions"].add(version)
        if advisory:
            entry["advisories"].add(advisory)
        sev = Severity(severity)
        if sev.rank > entry["worst"].rank:
            entry["worst"] = sev
    ranked = sorted(
        rows.values(),
        key=lambda e: (-e["worst"].rank, -len(e["repos"]), -e["repositories_using"], e["package"]),
    )
    return [
        {
            "package": e["package"],
            "worst_severity": str(e["worst"]),
            "repositories_using": e["repositories_using"],
            "repositories_with_findings": len(e["repos"]),
            "versions": sorted(v for v in e["versions"] if v),
            "rules": sorted(e["rules"]),
            "advisories": sorted(e["advisories"])[:20],
        }
        for e in ranked[:RISKY_LIMIT]
    ]


def _licenses(inventory: Inventory) -> list[dict[str, Any]] | None:
    rows = inventory.rows(
        "SELECT l.license, l.category, COUNT(DISTINCT l.package), GROUP_CONCAT(DISTINCT r.name) "
        "FROM licenses l JOIN repos r ON r.key = l.repo GROUP BY l.license, l.category "
        "ORDER BY COUNT(DISTINCT l.package) DESC, l.license"
    )
    if not rows:
        return None
    return [
        {
            "license": lic,
            "category": cat or None,
            "packages": int(n),
            "repositories": sorted(set((repos or "").split(",")) - {""}),
        }
        for lic, cat, n, repos in rows
    ]


def build_fleet_report(
    inventory: Inventory,
    *,
    allow_incomplete: bool,
    engine: str = "",
    run: dict[str, Any] | None = None,
) -> FleetReport:
    """Build the fleet report from the inventory (the repositories of the last run)."""
    repos = _repositories(inventory)
    totals = {sev: sum(r["findings"][sev] for r in repos) for sev in SEVERITIES}
    by_status: dict[str, int] = defaultdict(int)
    for repo in repos:
        by_status[repo["status"]] += 1
    code = fleet_exit_code(
        [r["exit_code"] for r in repos if r["status"] != "failed"],
        failed=by_status["failed"],
        allow_incomplete=allow_incomplete,
    )
    data: dict[str, Any] = {
        "schema_version": 1,
        "tool": {"name": "auditor", "version": __version__},
        "engine": engine or None,
        "run": run or {},
        "repositories_total": len(repos),
        "status": {s: by_status[s] for s in ("scanned", "unchanged", "failed")},
        "findings": totals,
        "exit_code": code,
        "repositories": repos,
        "riskiest_shared_dependencies": _riskiest(inventory),
        "packages": _packages(inventory),
        "licenses": _licenses(inventory),
    }
    return FleetReport(data=data)


__all__ = ["RISKY_LIMIT", "FleetReport", "build_fleet_report", "fleet_exit_code"]
