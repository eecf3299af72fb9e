"""The enrichment stage: learn what the checks need about a scan, once, as frozen `Facts`.

This is the only stage that touches the network, the cache and the stores. `needs` is the union
of the enabled rules' ``needs:`` (`needs_of`); a fact nobody needs is not computed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from auditor.context import RunContext
from auditor.facts import (
    NEED_GIT,
    NEED_IMPORTS,
    NEED_INDEX,
    NEED_LICENSES,
    NEED_OSV,
    NEED_POPULAR,
    Facts,
)
from auditor.model import DataSource, Incomplete
from auditor.rules.catalog import RuleCatalog
from auditor.scanning import Scan

if TYPE_CHECKING:
    from auditor.imports.usage import ImportUsage
    from auditor.index.model import ProjectLookup
    from auditor.reputation.gitdates import GitDates
    from auditor.reputation.popular import PopularList
    from auditor.reputation.targets import NameUse
    from auditor.reputation.typosquat import TyposquatMatcher


def needs_of(rules: RuleCatalog, enabled: Iterable[str]) -> frozenset[str]:
    """Return the union of the ``needs`` of the enabled rules."""
    wanted = set(enabled)
    return frozenset(need for rule in rules if rule.id in wanted for need in rule.needs)


def enrich(scan: Scan, needs: Iterable[str], context: RunContext) -> Facts:
    """Compute the facts `needs` asks for about `scan`."""
    from auditor.reputation.policy import load_reputation_policy
    from auditor.reputation.targets import declared_uses

    needs = frozenset(needs)
    config = context.config
    incomplete: list[Incomplete] = []
    sources: list[DataSource] = []
    declared = tuple(declared_uses(scan.root, scan.inputs, scan.graph, config.index_url))
    imports = None
    if NEED_IMPORTS in needs:
        from auditor.imports.usage import scan_usage

        imports = scan_usage(scan, context)
        if imports.wheels is not None and (imports.wheels.modules or imports.wheels.no_wheel):
            read = len(imports.wheels.modules)
            sources.append(
                DataSource(
                    name="wheel-metadata",
                    detail=f"module lists of {read} declared or locked distributions' wheels "
                    f"({imports.wheels.cached} from the cache); "
                    f"{len(imports.wheels.no_wheel)} without a wheel",
                )
            )
    popular = matcher = None
    if NEED_POPULAR in needs and declared:
        popular, matcher = _popular(context, sources)
    index: Mapping[str, ProjectLookup] = {}
    if needs & {NEED_INDEX, NEED_GIT}:
        from auditor.index.client import index_lookups

        answers = index_lookups(context, _index_names(scan, declared, imports, context))
        index = answers.lookups
        incomplete.extend(answers.incomplete)
        sources.extend(answers.data_sources)
    git = None
    if NEED_GIT in needs and declared:
        policy = load_reputation_policy(config)
        written = [use for use in declared if not use.resolved]  # resolution names no line
        git = _git_dates(scan, context, written, index, policy.born_after_grace_days)
        if git is not None and git.in_repository and not git.usable:
            incomplete.append(
                Incomplete(
                    source="git",
                    reason=f"born-after-use check skipped: {git.problem or 'no git history'}",
                    packages=tuple(sorted(u.name for u in declared if _known(index, u))),
                )
            )
        elif git is not None and not git.in_repository:
            # No history exists (an unpacked sdist, a copied folder): the rule cannot apply,
            # which is not the same as a source that failed to answer.
            sources.append(
                DataSource(name="git", detail="not a git checkout: AUD410 born-after-use n/a")
            )
    advisories = None
    if NEED_OSV in needs:
        from auditor.advisories.lookup import lookup_advisories
        from auditor.advisories.targets import package_targets, target_queries

        advisories = lookup_advisories(context, target_queries(package_targets(scan.graph)))
        incomplete.extend(advisories.incomplete)
        sources.extend(advisories.data_sources)
    licenses = None
    if NEED_LICENSES in needs:
        from auditor.licenses.lookup import gather_licenses

        found = gather_licenses(scan, context, index)
        licenses = found.facts
        incomplete.extend(found.incomplete)
        sources.extend(found.data_sources)
    return Facts(
        declared=declared,
        advisories=advisories,
        index=index,
        imports=imports,
        popular=popular,
        matcher=matcher,
        git=git,
        licenses=licenses,
        incomplete=tuple(dict.fromkeys(incomplete)),
        data_sources=tuple(dict.fromkeys(sources)),
    )


def _popular(
    context: RunContext, sources: list[DataSource]
) -> tuple[PopularList | None, TyposquatMatcher | None]:
    from auditor.reputation.policy import load_policy_allowlist, load_reputation_policy
    from auditor.reputation.popular import SOURCE_NAME, load_popular
    from auditor.reputation.typosquat import TyposquatMatcher

    policy = load_reputation_policy(context.config)
    popular = load_popular(context.config, bundled=policy.bundled_popular)
    if popular is None:
        return None, None
    sources.append(
        DataSource(
            name=SOURCE_NAME,
            detail=popular.describe(),
            updated=popular.last_update or popular.imported_at,
        )
    )
    matcher = TyposquatMatcher(popular, policy.typosquat, load_policy_allowlist(policy))
    return popular, matcher


def _index_names(
    scan: Scan, declared: Sequence[NameUse], imports: ImportUsage | None, context: RunContext
) -> list[str]:
    """Every name an index rule may judge: graph packages, used versions, declared, imported."""
    from auditor.index.targets import index_names, names_of, used_versions
    from auditor.reputation.policy import load_reputation_policy
    from auditor.reputation.targets import imported_only

    names = set(index_names(scan.inputs, scan.graph))
    names.update(names_of(used_versions(scan.inputs, scan.graph)))
    names.update(use.name for use in declared)
    if imports is not None:
        dev_code = load_reputation_policy(context.config).imported_in_dev_code
        names.update(imported_only(declared, imports, dev_code=dev_code))
    return sorted(names)


def _known(index: Mapping[str, ProjectLookup], use: NameUse) -> bool:
    from auditor.index.model import LookupState

    lookup = index.get(use.name)
    return lookup is not None and lookup.state is LookupState.FOUND and lookup.info is not None


def _released(index: Mapping[str, ProjectLookup], use: NameUse) -> dt.datetime | None:
    from auditor.index.model import LookupState

    lookup = index.get(use.name)
    if lookup is None or lookup.state is not LookupState.FOUND or lookup.info is None:
        return None
    return lookup.info.first_release


def _git_dates(
    scan: Scan,
    context: RunContext,
    declared: Sequence[NameUse],
    index: Mapping[str, ProjectLookup],
    grace_days: int,
) -> GitDates | None:
    """Read git dates for the declared names the index knows (None when there are none)."""
    from auditor.reputation.gitdates import GitHistory, born_after_dates

    found = [use for use in declared if _known(index, use)]
    if not found:
        return None
    if context.git_history is not None:
        history = context.git_history(scan.root)
    else:
        history = GitHistory(scan.root, timeout=context.config.timeout)
    candidates = [(use, released) for use in found if (released := _released(index, use))]
    return born_after_dates(history, candidates, dt.timedelta(days=grace_days))


__all__ = ["enrich", "needs_of"]
