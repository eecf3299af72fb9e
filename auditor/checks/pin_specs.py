"""What a PEP 440 specifier bounds: upper bounds, pre-release pins, joint satisfiability.

The pin checks (AUD1xx) ask these questions of the typed values a `Requirement` carries (its
`SpecifierSet`, its `pinned` version), which the sources built once; which version a specifier
pins is `Requirement.pinned` (`auditor.specs.pinned_version`), not a question for this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from auditor.model import ParsedInput, Requirement

# Operators that cap the version from above on their own.
_UPPER_OPS = frozenset({"<", "<=", "~=", "===", "=="})


def has_upper_bound(specs: SpecifierSet) -> bool:
    """Whether the specifier caps versions from above (``<``, ``<=``, ``~=``, ``==``, ``===``).

    ``!=`` clauses exclude single versions and never bound a range; ``>``/``>=`` only bound it
    from below. An empty specifier has no upper bound.
    """
    return any(spec.operator in _UPPER_OPS for spec in specs)


def is_prerelease_pin(pinned: Version | None) -> str | None:
    """Return the pinned version (`Requirement.pinned`) when it is a pre-release (or dev)."""
    return str(pinned) if pinned is not None and pinned.is_prerelease else None


def suggest_upper_bound(specs: SpecifierSet) -> str | None:
    """Suggest `specs` plus an upper bound below the next major version of its lower bound.

    ``>=2.1`` gives ``>=2.1,<3``; ``>=0.4`` gives ``>=0.4,<0.5`` (0.x minor releases break
    APIs by convention). Returns None when there is no lower bound to start from.
    """
    lowers = []
    for spec in specs:
        if spec.operator in (">=", ">"):
            try:
                lowers.append(Version(spec.version))
            except InvalidVersion:
                continue
    if not lowers:
        return None
    low = max(lowers)
    major = low.release[0]
    if major == 0:
        minor = low.release[1] if len(low.release) > 1 else 0
        cap = f"<0.{minor + 1}"
    else:
        cap = f"<{major + 1}"
    return ",".join([*(str(s) for s in sorted(specs, key=str)), cap])


def _bumps(version: Version) -> list[str]:
    """Versions just above `version`: the smallest step, next micro, next minor, next major."""
    release = list(version.release) + [0] * max(0, 3 - len(version.release))
    return [
        ".".join(str(p) for p in (*version.release, 0, 0, 0, 1)),
        f"{release[0]}.{release[1]}.{release[2] + 1}",
        f"{release[0]}.{release[1] + 1}.0",
        f"{release[0] + 1}.0.0",
    ]


def candidate_versions(sets: Iterable[SpecifierSet], extra: Iterable[str] = ()) -> list[str]:
    """Return the versions worth testing against a group of specifiers.

    The boundary versions of every clause, a few versions just above each boundary, version 0
    and `extra` (typically locked versions). Wildcards contribute their prefix.
    """
    found: dict[str, None] = {"0": None}
    for specs in sets:
        for spec in sorted(specs, key=str):
            raw = spec.version.removesuffix(".*")
            found[raw] = None
            try:
                version = Version(raw)
            except InvalidVersion:
                continue
            found.update(dict.fromkeys(_bumps(version)))
    found.update(dict.fromkeys(extra))
    return list(found)


@dataclass(frozen=True, slots=True, kw_only=True)
class Satisfiability:
    """Whether a group of specifiers admits a version, and an example when it does."""

    satisfiable: bool
    example: str | None
    tried: tuple[str, ...]


def check_satisfiable(sets: Sequence[SpecifierSet], extra: Iterable[str] = ()) -> Satisfiability:
    """Decide whether some version satisfies every specifier set in `sets`.

    The search tries `candidate_versions` only, so it can miss exotic intersections (it then
    says "satisfiable: False" only when none of the candidates fits; the candidates cover every
    boundary and the steps just above it, which decides the common cases exactly). Pre-releases
    count as versions: pinning a pre-release in both places is not a conflict.
    """
    checked = [s for s in sets if s]
    tried = candidate_versions(checked, extra)
    for candidate in tried:
        if all(s.contains(candidate, prereleases=True) for s in checked):
            return Satisfiability(satisfiable=True, example=candidate, tried=tuple(tried))
    return Satisfiability(satisfiable=False, example=None, tried=tuple(tried))


def satisfies(specs: SpecifierSet, version: str) -> bool | None:
    """Whether `version` satisfies `specs` (pre-releases allowed); None when undecidable."""
    try:
        Version(version)
    except InvalidVersion:
        # Arbitrary-equality pins (===) still compare as strings.
        if all(s.operator == "===" for s in specs) and len(specs) > 0:
            return specs.contains(version, prereleases=True)
        return None
    return specs.contains(version, prereleases=True)


def describe(req: Requirement) -> str:
    """Return the requirement as a person would write it (``name[extra]>=1; marker``)."""
    text = req.raw_name
    if req.extras:
        text += "[" + ",".join(req.extras) + "]"
    if req.url:
        text += f" @ {req.url}"
    else:
        text += str(req.specifier)
    if req.marker_text:
        text += f"; {req.marker_text}"
    return text


def pin_evidence(item: ParsedInput, req: Requirement, **more: object) -> dict[str, object]:
    """Return the evidence every per-requirement pin finding carries."""
    return {
        "requirement": describe(req),
        "line_text": req.line_text,
        "group": req.group,
        "input": item.path,
        "input_kind": str(item.kind),
        **more,
    }


__all__ = [
    "Satisfiability",
    "candidate_versions",
    "check_satisfiable",
    "describe",
    "has_upper_bound",
    "is_prerelease_pin",
    "pin_evidence",
    "satisfies",
    "suggest_upper_bound",
]
