"""AUD504 misplaced: a distribution declared only for development, imported by production code.

Production imports that are optional integration code (`integration_modules`), or whose
distribution comes at run time with a runtime requirement's extra (`runtime_through`), are low.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from auditor.checks.base import CheckContext
from auditor.checks.imports_declared import Declared, site_locations
from auditor.checks.integration_modules import integration_modules
from auditor.checks.runtime_through import brought_by, describe
from auditor.imports.groups import GroupPolicy
from auditor.imports.usage import ImportUsage, ResolvedSite
from auditor.model import Finding, Severity

MISPLACED = "AUD504"


def misplaced_findings(
    ctx: CheckContext,
    usage: ImportUsage,
    declared: dict[str, Declared],
    groups: GroupPolicy,
) -> Iterator[Finding]:
    """Yield AUD504 for each development-only distribution that production code imports."""
    by_dist: dict[str, list[ResolvedSite]] = defaultdict(list)
    dev_only: dict[tuple[str, ...], str | None] = {}  # distributions -> the dev-only one
    for item in usage.resolved:
        if item.dev or item.site.type_only or item.site.optional:
            continue
        dists = item.mapping.distributions
        if dists not in dev_only:  # sites share few mappings: judge each once
            hits = [declared[d] for d in dists if d in declared]
            runtime = not hits or any(h.runtime(groups) for h in hits)
            dev_only[dists] = None if runtime else hits[0].name
        if (name := dev_only[dists]) is not None:
            by_dist[name].append(item)
    if not by_dist:
        return
    modules = integration_modules(
        ctx.config.policy_section("imports"),
        ((site.path, site.top) for module in usage.modules.values() for site in module.sites),
    )
    for name, items in sorted(by_dist.items()):
        entry = declared[name]
        found = sorted(entry.groups)
        optional = all(modules.holds(i.site.path, i.site.top) for i in items)
        where = "optional integration code" if optional else "production code"
        via = brought_by(name, inputs=ctx.inputs, groups=groups, index=ctx.facts.index)
        yield ctx.finding(
            MISPLACED,
            message=f"{entry.display} is declared only for development ({', '.join(found)}) "
            f"but {where} imports '{items[0].site.top}'"
            + (f"; at run time it comes with {describe(via)}" if via else ""),
            severity=Severity.LOW if optional or via else None,
            package=entry.display,
            locations=site_locations(items),
            evidence={
                "groups": found,
                "module": items[0].site.top,
                "mapping_source": items[0].mapping.source,
                "integration_only": optional,
                "brought_by": [b.requirement for b in via],
                "declared_at": [loc.to_json() for locs in entry.locations.values() for loc in locs],
            },
            fix=f"declare {entry.display} beside {describe(via)} if the code relies on it directly"
            if via
            else f"declare {entry.display} in an extra for that integration"
            if optional
            else f"move {entry.display} to the main dependencies",
            key="misplaced",
        )


__all__ = ["MISPLACED", "misplaced_findings"]
