"""Whether a runtime requirement's extra brings a distribution declared only for development.

Scrapy declares ``h2`` only in its documentation requirements, yet its HTTP/2 download handler
imports it: users get it with scrapy's ``twisted-http2`` extra, ``Twisted[http2]``, whose
``http2`` extra requires ``h2``. The project asks for that extra on purpose, so production code
importing ``h2`` is served at run time, and "move it to the main dependencies" would be harmful
advice. This module answers, from the index metadata the run already has (``requires_dist`` of
the declared runtime requirements), which runtime requirement brings the distribution through
an extra the project asks for. A plain dependency of some other package (``packaging`` under
``mkdocs``) does not count: relying on it is relying on a transitive dependency.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from packaging.markers import InvalidMarker, Marker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as PackagingRequirement

from auditor.imports.groups import extra_name
from auditor.index.model import LookupState, ProjectLookup
from auditor.model import ParsedInput, Requirement, normalize_name

if TYPE_CHECKING:
    from auditor.imports.groups import GroupPolicy


@dataclass(frozen=True, slots=True, kw_only=True)
class BroughtBy:
    """The runtime requirement that installs a distribution, and where it is declared.

    Attributes:
        requirement: the requirement as the project writes it, with its place
            (``Twisted[http2] (extra 'twisted-http2')``).
        group: its group (``main``, ``optional:twisted-http2`` ...).
    """

    requirement: str
    group: str


def _requires(lookup: ProjectLookup | None, extras: Iterable[str]) -> set[str]:
    """Return what `lookup`'s metadata requires for these extras only (PEP 503 names)."""
    wanted = list(extras)
    if not wanted or lookup is None or lookup.state is not LookupState.FOUND:
        return set()
    found: set[str] = set()
    for text in lookup.info.requires_dist if lookup.info is not None else ():
        try:
            req = PackagingRequirement(text)
        except InvalidRequirement:
            continue  # hostile or broken metadata: it brings nothing we can vouch for
        marker = req.marker
        # under one of the wanted extras, and not a base dependency in disguise
        if marker is not None and _applies(marker, wanted) and not _applies(marker, [""]):
            found.add(normalize_name(req.name))
    return found


def _applies(marker: Marker, extras: list[str]) -> bool:
    for extra in extras:
        try:
            if marker.evaluate({"extra": extra}):
                return True
        except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName):
            return False
    return False


def _display(req: Requirement) -> str:
    extras = f"[{','.join(req.extras)}]" if req.extras else ""
    extra = extra_name(req.group)
    where = f"extra '{extra}'" if extra is not None else f"{req.group} dependencies"
    return f"{req.raw_name}{extras} ({where})"


def brought_by(
    name: str,
    *,
    inputs: Iterable[ParsedInput],
    groups: GroupPolicy,
    index: Mapping[str, ProjectLookup],
) -> tuple[BroughtBy, ...]:
    """Return every runtime requirement whose requested extras install `name` (none: empty).

    A runtime requirement (main dependencies, a runtime extra) written with extras
    (``Twisted[http2]``) brings `name` when its index metadata requires `name` under one of
    those extras. One level deep: what the run knows, without resolving.
    """
    key = normalize_name(name)
    runtime = sorted(
        (
            req
            for item in inputs
            for req in item.requirements
            if req.extras
            and not req.constraint
            and req.name != key
            and groups.is_runtime(req.group)
        ),
        key=lambda r: (r.group, r.name),
    )
    found: dict[str, BroughtBy] = {}
    for req in runtime:
        if key in _requires(index.get(req.name), req.extras):
            text = _display(req)
            found.setdefault(text, BroughtBy(requirement=text, group=req.group))
    return tuple(found.values())


def describe(found: Iterable[BroughtBy]) -> str:
    """Return ``Twisted[http2] (extra 'twisted-http2') or ...`` for a message."""
    return " or ".join(b.requirement for b in found)


__all__ = ["BroughtBy", "brought_by", "describe"]
