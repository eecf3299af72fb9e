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

__all__ = [
    "marker_of",
    "pin_span",
    "pinned_of_text",
    "pinned_version",
    "shared_marker",
    "specifier_of",
]

_CACHE_SIZE = 4096
# One Marker object per marker text: requirements keep their markers, and a project repeats a
# few markers many times (a parsed marker is six objects the garbage collector walks).
_SHARED_MARKERS: dict[str, Marker] = {}
# What follows the ``==`` of an ``==X`` / ``===X`` clause; the version text is group 1.
_AFTER_EQUALS = re.compile(r"=?\s*([^\s,;()\[\]]+)")


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


def shared_marker(marker: Marker) -> Marker:
    """Return the one `Marker` kept for `marker`'s text (`marker` itself the first time)."""
    text = str(marker)
    found = _SHARED_MARKERS.get(text)
    if found is None:
        if len(_SHARED_MARKERS) >= _CACHE_SIZE:
            _SHARED_MARKERS.clear()
        found = _SHARED_MARKERS[text] = marker
    return found


def pinned_version(specifier: SpecifierSet) -> Version | None:
    """Return the single exact version `specifier` admits, or None.

    ``==X`` (not a wildcard) and ``===X`` (when X is a valid version) pin X, provided every
    exact clause agrees and the other clauses admit X: ``==1.2,!=1.3`` pins 1.2; ``==1.*``,
    ``>=1,<2``, ``==1.2,==1.3`` and ``==1.2,>=2`` pin nothing. ``===foo`` (no version) pins
    nothing a `Version` can hold.
    """
    specs = list(specifier)
    if len(specs) > 1:
        specs.sort(key=str)  # the written order must not change which spelling is reported
    found: Version | None = None
    written = ""
    for spec in specs:
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
    if found is None:
        return None
    if len(specs) > 1 and not specifier.contains(written, prereleases=True):
        return None  # a lone exact clause admits its own version; others may exclude it
    return found


def pinned_of_text(text: str) -> Version | None:
    """Return `pinned_version` of specifier text (None when it has no ``==`` or is invalid)."""
    return _pinned_of_text(text) if "==" in text else None


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _pinned_of_text(text: str) -> Version | None:
    specifier = specifier_of(text)
    return None if specifier is None else pinned_version(specifier)


def pin_span(requirement: str) -> tuple[int, int] | None:
    """Return the columns of the first exact clause's version text in a PEP 508 string.

    Only the part before the marker (``;``) is searched, and wildcards are skipped:
    ``flask[async] == 2.0 ; python_version >= "3.8"`` gives the span of ``2.0``. The caller
    keeps it only when the requirement is pinned (all exact clauses then name one version).
    """
    marker = requirement.find(";")
    code = requirement if marker < 0 else requirement[:marker]
    start = code.find("==")
    while start >= 0:
        match = _AFTER_EQUALS.match(code, start + 2)
        if match is None:
            return None
        if not match.group(1).endswith("*"):
            return match.span(1)
        start = code.find("==", match.end())
    return None
