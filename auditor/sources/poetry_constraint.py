"""Convert Poetry version constraints (``^1.2``, ``~1.2``, ``*``, ``1.2.3``) to PEP 440."""

from __future__ import annotations

import re

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

__all__ = ["UnsupportedConstraint", "poetry_to_pep440"]

_OPERATOR = re.compile(r"^(===|==|!=|<=|>=|~=|<|>|\^|~|=)?\s*(.*)$")


class UnsupportedConstraint(ValueError):  # noqa: N818 - reads as the condition
    """A Poetry constraint that has no PEP 440 equivalent (``1.0 || 2.0``) or is malformed."""


def poetry_to_pep440(constraint: str) -> str:
    """Return the PEP 440 specifier text equal to a Poetry constraint.

    ``^1.2.3`` -> ``>=1.2.3,<2.0.0``; ``^0.2.3`` -> ``>=0.2.3,<0.3.0``; ``~1.2`` ->
    ``>=1.2,<1.3``; ``1.2.3`` -> ``==1.2.3``; ``*`` or empty -> ``""``; PEP 440 operators pass
    through; comma- or space-separated parts are combined (AND).

    Raises:
        UnsupportedConstraint: alternatives (``||``) or text that is not a constraint.
    """
    text = constraint.strip()
    if text in ("", "*"):
        return ""
    if "||" in text or "|" in text:
        raise UnsupportedConstraint(f"alternatives {text!r} cannot be written as one specifier")
    # Space-separated parts ("'>= 1.2 < 2'") are AND, like commas; glue operators to versions.
    glued = re.sub(r"(===|==|!=|<=|>=|~=|<|>|\^|~|=)\s+", r"\1", text)
    parts = [p for chunk in glued.split(",") for p in chunk.split() if p]
    out: list[str] = []
    for part in parts:
        out.extend(_convert_one(part))
    result = ",".join(out)
    try:
        SpecifierSet(result)
    except InvalidSpecifier as exc:
        raise UnsupportedConstraint(f"{text!r} is not a valid version constraint") from exc
    return result


def _convert_one(part: str) -> list[str]:
    match = _OPERATOR.match(part)
    if match is None:  # pragma: no cover - the pattern matches every string
        raise UnsupportedConstraint(part)
    op, version = match.group(1) or "", match.group(2).strip()
    if version in ("*", ""):
        if op in ("", "=", "=="):
            return []
        raise UnsupportedConstraint(f"{part!r} is not a valid version constraint")
    if op in ("^", "~"):
        return [f">={version}", f"<{_upper_bound(version, caret=op == '^')}"]
    if op in ("", "="):
        return [f"=={version}"]
    return [f"{op}{version}"]


def _upper_bound(version: str, *, caret: bool) -> str:
    try:
        release = list(Version(version).release)
    except InvalidVersion as exc:
        raise UnsupportedConstraint(f"{version!r} is not a valid version") from exc
    written = len(release)
    if caret:
        index = next((i for i, n in enumerate(release) if n != 0), written - 1)
    else:
        index = 1 if written >= 2 else 0
    bumped = [*release[:index], release[index] + 1]
    bumped += [0] * (max(written, 2) - len(bumped))
    return ".".join(str(n) for n in bumped)
