"""What a PEP 440 specifier pins: exactness, upper bounds, pre-releases, joint satisfiability.

The pin checks (AUD1xx) ask these questions of the specifier text a manifest carries. Every
helper tolerates text packaging cannot parse (returns the cautious answer) because the parsers
already reported such lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from packaging.specifiers import InvalidSpecifier, Specifier, SpecifierSet
from packaging.version import InvalidVersion, Version

# Operators that cap the version from above on their own.
_UPPER_OPS = frozenset({"<", "<=", "~=", "===", "=="})


def parse_specifier(text: str) -> SpecifierSet | None:
    """Return the specifier set of `text`, or None when packaging rejects it."""
    try:
        return SpecifierSet(text)
    except InvalidSpecifier:
        return None


def _is_wildcard(spec: Specifier) -> bool:
    return spec.operator in ("==", "!=") and spec.version.endswith(".*")


def exact_version(text: str) -> str | None:
    """Return the version an ``==X`` / ``===X`` specifier pins to, or None when not exact.

    A wildcard (``==1.*``) is a range, not a pin. When several clauses are present, the
    pinning clause wins (``==1.2,!=1.3`` pins 1.2).
    """
    specs = parse_specifier(text)
    if specs is None:
        return None
    for spec in specs:
        if spec.operator == "===" or (spec.operator == "==" and not _is_wildcard(spec)):
            return spec.version
    return None


def has_upper_bound(text: str) -> bool:
    """Whether the specifier caps versions from above (``<``, ``<=``, ``~=``, ``==``, ``===``).

    ``!=`` clauses exclude single versions and never bound a range; ``>``/``>=`` only bound it
    from below. An empty or unparsable specifier has no upper bound.
    """
    specs = parse_specifier(text)
    if specs is None:
        return False
    return any(spec.operator in _UPPER_OPS for spec in specs)


def is_prerelease_pin(text: str) -> str | None:
    """Return the pinned version when the specifier pins exactly to a pre-release (or dev)."""
    version = exact_version(text)
    if version is None:
        return None
    try:
        parsed = Version(version)
    except InvalidVersion:
        return None
    return version if parsed.is_prerelease else None


def suggest_upper_bound(text: str) -> str | None:
    """Suggest ``text`` plus an upper bound below the next major version of its lower bound.

    ``>=2.1`` gives ``>=2.1,<3``; ``>=0.4`` gives ``>=0.4,<0.5`` (0.x minor releases break
    APIs by convention). Returns None when there is no lower bound to start from.
    """
    specs = parse_specifier(text)
    if specs is None:
        return None
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


def candidate_versions(spec_texts: Iterable[str], extra: Iterable[str] = ()) -> list[str]:
    """Return the versions worth testing against a group of specifiers.

    The boundary versions of every clause, a few versions just above each boundary, version 0
    and `extra` (typically locked versions). Wildcards contribute their prefix.
    """
    found: dict[str, None] = {"0": None}
    for text in spec_texts:
        specs = parse_specifier(text)
        if specs is None:
            continue
        for spec in specs:
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


def check_satisfiable(spec_texts: Sequence[str], extra: Iterable[str] = ()) -> Satisfiability:
    """Decide whether some version satisfies every specifier in `spec_texts`.

    The search tries `candidate_versions` only, so it can miss exotic intersections (it then
    says "satisfiable: False" only when none of the candidates fits; the candidates cover every
    boundary and the steps just above it, which decides the common cases exactly). Pre-releases
    count as versions: pinning a pre-release in both places is not a conflict.
    Unparsable specifiers make the group count as satisfiable (nothing can be said).
    """
    sets = [parse_specifier(t) for t in spec_texts if t]
    if any(s is None for s in sets):
        return Satisfiability(satisfiable=True, example=None, tried=())
    checked = [s for s in sets if s is not None]
    tried = candidate_versions(spec_texts, extra)
    for candidate in tried:
        if all(s.contains(candidate, prereleases=True) for s in checked):
            return Satisfiability(satisfiable=True, example=candidate, tried=tuple(tried))
    return Satisfiability(satisfiable=False, example=None, tried=tuple(tried))


def satisfies(spec_text: str, version: str) -> bool | None:
    """Whether `version` satisfies `spec_text` (pre-releases allowed); None when undecidable."""
    specs = parse_specifier(spec_text)
    if specs is None:
        return None
    try:
        Version(version)
    except InvalidVersion:
        # Arbitrary-equality pins (===) still compare as strings.
        if all(s.operator == "===" for s in specs) and len(specs) > 0:
            return specs.contains(version, prereleases=True)
        return None
    return specs.contains(version, prereleases=True)


__all__ = [
    "Satisfiability",
    "candidate_versions",
    "check_satisfiable",
    "exact_version",
    "has_upper_bound",
    "is_prerelease_pin",
    "parse_specifier",
    "satisfies",
    "suggest_upper_bound",
]
