"""Turn PEP 508 requirement strings found in manifests into `Requirement` values."""

from __future__ import annotations

from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as Pep508

from auditor.model import (
    MAIN_GROUP,
    InputIssue,
    InputKind,
    Location,
    Requirement,
    canonical_name,
)
from auditor.sources.repair import repair_requirement
from auditor.specs import shared_marker

__all__ = ["build_requirement", "parse_pep508", "requirement_or_issue"]


def parse_pep508(text: str) -> Pep508:
    """Parse one PEP 508 string (raises `packaging.requirements.InvalidRequirement`)."""
    return Pep508(text)


def build_requirement(
    parsed: Pep508,
    *,
    location: Location,
    kind: InputKind,
    group: str = MAIN_GROUP,
    line_text: str = "",
    url: str | None = None,
    editable: bool = False,
    hashes: tuple[str, ...] = (),
    constraint: bool = False,
    version_span: tuple[int, int] | None = None,
) -> Requirement:
    """Build a `Requirement` from a parsed PEP 508 requirement and where it was written.

    The specifier and marker objects packaging built are kept as they are (no second parse);
    `version_span` is where the pinned version sits on the line, when the caller knows it.
    """
    return Requirement(
        name=canonical_name(parsed.name),
        raw_name=parsed.name,
        specifier=parsed.specifier,
        extras=tuple(sorted(parsed.extras)),
        marker=None if parsed.marker is None else shared_marker(parsed.marker),
        url=url if url is not None else parsed.url,
        editable=editable,
        hashes=hashes,
        group=group,
        constraint=constraint,
        location=location,
        kind=kind,
        line_text=line_text,
        version_span=version_span,
    )


def requirement_or_issue(
    text: str, *, location: Location, kind: InputKind, group: str = MAIN_GROUP
) -> Requirement | InputIssue:
    """Parse `text` as PEP 508; an invalid string becomes a ``not-a-requirement`` issue."""
    try:
        parsed = parse_pep508(text)
    except InvalidRequirement as exc:
        first = str(exc).splitlines()[0] if str(exc) else "invalid requirement"
        repair = repair_requirement(text)
        return InputIssue(
            code="not-a-requirement",
            message=(
                f"not a valid requirement: {first}"
                if repair is None
                else f"not a valid requirement: {repair.why}; did you mean {repair.text}?"
            ),
            location=location,
            line_text=text,
            suggestion=None if repair is None else repair.text,
        )
    return build_requirement(parsed, location=location, kind=kind, group=group, line_text=text)
