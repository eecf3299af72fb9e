"""May the used code be copied into the project? The license seam of the replacement.

`license_of` is the one function that says which license a distribution carries; today it reads
the distribution's own metadata (``License-Expression``, ``License``, classifiers). When the
licenses stage (`auditor.licenses`) is merged, point `license_of` at it and nothing else changes.
`judge_license` then decides whether copying is allowed (every alternative of an ``OR`` is
enough; every part of an ``AND`` must allow it) and what notice the new module must keep.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from auditor.replace.source import PackageSource

# Common non-SPDX spellings in License fields and classifiers -> SPDX ids.
_ALIASES = {
    "mit license": "MIT",
    "mit": "MIT",
    "expat": "MIT",
    "bsd license": "BSD-3-Clause",
    "bsd": "BSD-3-Clause",
    "new bsd": "BSD-3-Clause",
    "new bsd license": "BSD-3-Clause",
    "bsd-3": "BSD-3-Clause",
    "simplified bsd": "BSD-2-Clause",
    "isc license": "ISC",
    "isc license (iscl)": "ISC",
    "apache software license": "Apache-2.0",
    "apache 2.0": "Apache-2.0",
    "apache license 2.0": "Apache-2.0",
    "apache license, version 2.0": "Apache-2.0",
    "apache-2": "Apache-2.0",
    "python software foundation license": "PSF-2.0",
    "psf": "PSF-2.0",
    "the unlicense (unlicense)": "Unlicense",
    "public domain": "Unlicense",
    "gnu general public license v3 (gplv3)": "GPL-3.0-only",
    "gnu general public license v2 (gplv2)": "GPL-2.0-only",
    "gnu lesser general public license v3 (lgplv3)": "LGPL-3.0-only",
    "gnu lesser general public license v2 or later (lgplv2+)": "LGPL-2.1-or-later",
    "mozilla public license 2.0 (mpl 2.0)": "MPL-2.0",
    "gpl": "GPL-3.0-or-later",
    "lgpl": "LGPL-3.0-or-later",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class LicenseVerdict:
    """Whether the used code may be copied, why, and the notice the copy must carry."""

    license: str | None
    allows_copy: bool
    reason: str
    notice: str = ""


def license_of(source: PackageSource) -> str | None:
    """Return the distribution's declared license (the seam for the licenses stage)."""
    return source.license


def _spdx(term: str) -> str:
    cleaned = term.strip().strip("()").strip()
    return _ALIASES.get(cleaned.lower(), cleaned)


def _parts(expression: str) -> list[list[str]]:
    """Split into OR-alternatives of AND-parts (parentheses are flattened: a conservative read)."""
    text = expression.replace("(", " ").replace(")", " ")
    alternatives = re.split(r"\s+OR\s+|\s+or\s+|\s*/\s*", text)
    return [
        [_spdx(p) for p in re.split(r"\s+AND\s+|\s+and\s+", alt) if p.strip()]
        for alt in alternatives
        if alt.strip()
    ]


def allowed_by(declared: str | None, allowed: Iterable[str]) -> bool | None:
    """Whether `declared` allows copying (None when no license is declared)."""
    if not declared:
        return None
    permitted = {a.lower() for a in allowed}
    return any(alt and all(p.lower() in permitted for p in alt) for alt in _parts(declared))


def judge_license(source: PackageSource, allowed: Iterable[str]) -> LicenseVerdict:
    """Decide whether copying `source`'s code into a project is allowed by its license."""
    declared = license_of(source)
    permitted = {a.lower() for a in allowed}
    if not declared:
        return LicenseVerdict(
            license=None,
            allows_copy=False,
            reason=f"{source.name} declares no license: copying its code is not allowed "
            "without one (ask the authors, or let the LLM write a clean-room version)",
        )
    for alternative in _parts(declared):
        if alternative and all(p.lower() in permitted for p in alternative):
            chosen = " AND ".join(alternative)
            return LicenseVerdict(
                license=declared,
                allows_copy=True,
                reason=f"{chosen} allows copying with the copyright and license notice kept",
                notice=_notice(source, chosen),
            )
    return LicenseVerdict(
        license=declared,
        allows_copy=False,
        reason=f"{declared} is not on the copy-allowed list (rules/policy/replace.toml "
        "[license]): a copy would carry its terms (copyleft or unknown) into the project",
    )


def _notice(source: PackageSource, spdx: str) -> str:
    lines = [f"Contains code from {source.name} {source.version}, licensed {spdx}."]
    if source.authors:
        lines.append("Authors: " + "; ".join(source.authors))
    for name, text in source.license_texts:
        lines.extend(["", f"{name}:", "", text.strip()])
    if not source.license_texts:
        lines.append("(The distribution ships no license file; its metadata declares the above.)")
    return "\n".join(lines)


__all__ = ["LicenseVerdict", "allowed_by", "judge_license", "license_of"]
