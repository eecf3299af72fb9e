"""Facts: what the enrichment stage learned about a scan, as one frozen, typed value.

Checks read facts and never fetch them. A fact that no enabled rule needs is left at its empty
value (None or an empty mapping); `incomplete` and `data_sources` say what could not be learned
and where the rest came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from auditor.model import DataSource, Incomplete

if TYPE_CHECKING:
    from auditor.advisories.lookup import AdvisoryFacts
    from auditor.imports.usage import ImportUsage
    from auditor.index.model import ProjectLookup
    from auditor.licenses.model import LicenseFacts
    from auditor.reputation.gitdates import GitDates
    from auditor.reputation.popular import PopularList
    from auditor.reputation.targets import NameUse
    from auditor.reputation.typosquat import TyposquatMatcher

# What a rule may declare under ``needs:`` (rules/AUD*.yaml), and what enrichment computes.
NEED_OSV = "osv"
NEED_INDEX = "index"
NEED_NETWORK = "network"
NEED_GIT = "git"
NEED_IMPORTS = "imports"
NEED_POPULAR = "popular"
NEED_LICENSES = "licenses"
KNOWN_NEEDS = frozenset(
    {NEED_OSV, NEED_INDEX, NEED_NETWORK, NEED_GIT, NEED_IMPORTS, NEED_POPULAR, NEED_LICENSES}
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Facts:
    """Everything the checks may know beyond the scan itself.

    Attributes:
        declared: every index-installed name the project declares, with its places.
        advisories: OSV answers per (package, version) query, or None when not needed.
        index: package-index lookups by normalized name (empty when not needed).
        imports: what the code imports and which distributions provide it.
        popular: the popular-package list (None when none was imported or not needed).
        matcher: the typosquat matcher over `popular`.
        git: git dates for born-after-use, or None when not needed or not applicable.
        licenses: license facts per package version, or None when not needed.
        incomplete: what could not be learned.
        data_sources: where the facts came from, with their age.
    """

    declared: tuple[NameUse, ...] = ()
    advisories: AdvisoryFacts | None = None
    index: Mapping[str, ProjectLookup] = field(default_factory=dict)
    imports: ImportUsage | None = None
    popular: PopularList | None = None
    matcher: TyposquatMatcher | None = None
    git: GitDates | None = None
    licenses: LicenseFacts | None = None
    incomplete: tuple[Incomplete, ...] = ()
    data_sources: tuple[DataSource, ...] = ()


__all__ = [
    "KNOWN_NEEDS",
    "NEED_GIT",
    "NEED_IMPORTS",
    "NEED_INDEX",
    "NEED_LICENSES",
    "NEED_NETWORK",
    "NEED_OSV",
    "NEED_POPULAR",
    "Facts",
]
