"""Per-run facts the reputation checks share: the policy, the popular list, the matcher."""

from __future__ import annotations

from auditor.checks.base import CheckContext
from auditor.model import DataSource
from auditor.reputation.policy import (
    ReputationPolicy,
    load_policy_allowlist,
    load_reputation_policy,
)
from auditor.reputation.popular import SOURCE_NAME, PopularList, load_popular
from auditor.reputation.typosquat import TyposquatMatcher

NO_POPULAR_LIST = (
    "typosquat check could not run: no popular-package list; run auditor db update or "
    "auditor db import top-pypi-packages.json"
)


def shared_policy(ctx: CheckContext) -> ReputationPolicy:
    """The validated reputation policy of this run."""
    return ctx.fact("reputation-policy", lambda c: load_reputation_policy(c.config))


def _load_popular(ctx: CheckContext) -> PopularList | None:
    popular = load_popular(ctx.config)
    if popular is not None:
        ctx.add_data_source(
            DataSource(
                name=SOURCE_NAME,
                detail=f"{len(popular)} most downloaded projects ({popular.source})",
                updated=popular.last_update or popular.imported_at,
            )
        )
    return popular


def shared_popular(ctx: CheckContext) -> PopularList | None:
    """The imported popular-package list, or None when none was imported."""
    return ctx.fact("reputation-popular", _load_popular)


def _matcher(ctx: CheckContext) -> TyposquatMatcher | None:
    popular = shared_popular(ctx)
    if popular is None:
        return None
    policy = shared_policy(ctx)
    return TyposquatMatcher(popular, policy.typosquat, load_policy_allowlist(policy))


def shared_matcher(ctx: CheckContext) -> TyposquatMatcher | None:
    """The typosquat matcher over the popular list (None without a list)."""
    return ctx.fact("reputation-matcher", _matcher)


__all__ = ["NO_POPULAR_LIST", "shared_matcher", "shared_policy", "shared_popular"]
