"""Typed PEP 440 / PEP 508 values, parsed once: the one answer to "which version is pinned?".

`auditor.model.Requirement` carries packaging objects (a `SpecifierSet`, a `Marker`) and its
`pinned` version comes from `pinned_version` here; every check, the graph and ``auditor fix``
read that field instead of parsing specifier text again. The text parsers are cached by text
(manifests and lockfiles repeat the same specifiers and markers many times) and never raise.
"""

from __future__ import annotations

import functools
import re

from packaging.markers import InvalidMarker, Marker
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

__all__ = ["marker_of", "pin_span", "pinned_of_text", "pinned_version", "specifier_of"]

_CACHE_SIZE = 4096
# One ``==X`` / ``===X`` clause of a PEP 508 string; the version text is group "ver".
_EXACT_CLAUSE = re.compile(r"(?:===|==)\s*(?P<ver>[^\s,;()\[\]]+)")


@functools.lru_cache(maxsize=_CACHE_SIZE)
def specifier_of(text: str) -> SpecifierSet | None:
    """Return the specifier set `text` spells, or None when packaging rejects it."""
    try:
        return SpecifierSet(text)
    except InvalidSpecifier:
        return None


@functools.lru_cache(maxsize=_CACHE_SIZE)
def marker_of(text: str) -> Marker | None:
    """Return the environment marker `text` spells, or None when packaging rejects it."""
    try:
        return Marker(text)
    except InvalidMarker:
        return None


def pinned_version(specifier: SpecifierSet) -> Version | None:
    """Return the single exact version `specifier` admits, or None.

    ``==X`` (not a wildcard) and ``===X`` (when X is a valid version) pin X, provided every
    exact clause agrees and the other clauses admit X: ``==1.2,!=1.3`` pins 1.2; ``==1.*``,
    ``>=1,<2``, ``==1.2,==1.3`` and ``==1.2,>=2`` pin nothing. ``===foo`` (no version) pins
    nothing a `Version` can hold.
    """
    found: Version | None = None
    written = ""
    for spec in sorted(specifier, key=str):  # a set: sort so the answer never depends on hashing
        operator, text = spec.operator, spec.version
        if operator == "===" or (operator == "==" and not text.endswith(".*")):
            try:
                version = Version(text)
            except InvalidVersion:
                return None
            if found is None:
                found, written = version, text
            elif version != found:
                return None
    if found is None or not specifier.contains(written, prereleases=True):
        return None
    return found


@functools.lru_cache(maxsize=_CACHE_SIZE)
def pinned_of_text(text: str) -> Version | None:
    """Return `pinned_version` of specifier text (None when it has no ``==`` or is invalid)."""
    if "==" not in text:
        return None
    specifier = specifier_of(text)
    return None if specifier is None else pinned_version(specifier)


def pin_span(requirement: str) -> tuple[int, int] | None:
    """Return the columns of the first exact clause's version text in a PEP 508 string.

    Only the part before the marker (``;``) is searched, and wildcards are skipped:
    ``flask[async] == 2.0 ; python_version >= "3.8"`` gives the span of ``2.0``. The caller
    keeps it only when the requirement is pinned (all exact clauses then name one version).
    """
    code = requirement.partition(";")[0]
    for match in _EXACT_CLAUSE.finditer(code):
        if not match.group("ver").endswith("*"):
            return match.span("ver")
    return None
