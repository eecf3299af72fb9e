"""Reject URLs that the standard library cannot split, before any check reads them.

``packaging`` accepts ``name @ http://[::1`` and a requirements line may hold
``https://[oops/x.whl``; `urllib.parse.urlsplit` raises ValueError on both (an unclosed IPv6
bracket, a port that is not a number). Checks split requirement and lockfile URLs freely, so a
parsed input is cleaned once here: a requirement with such a URL becomes a ``not-a-requirement``
issue on its line, and a locked package keeps its entry without the unusable source URL.
"""

from __future__ import annotations

import dataclasses
from urllib.parse import urlsplit

from auditor.model import InputIssue, LockedPackage, ParsedInput, Requirement

__all__ = ["drop_bad_urls", "url_problem"]

_VCS = ("git+", "hg+", "svn+", "bzr+")


def url_problem(url: str) -> str | None:
    """Return why `url` cannot be split (``Invalid IPv6 URL`` ...), or None when it can."""
    text = url.strip()
    lowered = text.lower()
    for prefix in _VCS:
        if lowered.startswith(prefix):
            text = text[len(prefix) :]
            break
    try:
        parts = urlsplit(text)
        _ = parts.port  # raises ValueError for a port that is not a number or out of range
    except ValueError as exc:
        return str(exc) or "not a URL"
    return None


def _bad_requirement(req: Requirement) -> InputIssue | None:
    if req.url is None:
        return None
    problem = url_problem(req.url)
    if problem is None:
        return None
    return InputIssue(
        code="not-a-requirement",
        message=f"{req.raw_name}: invalid URL {req.url!r}: {problem}",
        location=req.location,
        line_text=req.line_text,
    )


def _clean_package(pkg: LockedPackage) -> LockedPackage:
    if pkg.source_url is None or url_problem(pkg.source_url) is None:
        return pkg
    return dataclasses.replace(pkg, source_url=None)


def drop_bad_urls(parsed: ParsedInput) -> ParsedInput:
    """Return `parsed` with every requirement whose URL cannot be split turned into an issue."""
    if not any(r.url for r in parsed.requirements) and not any(
        p.source_url for p in parsed.packages
    ):
        return parsed
    kept: list[Requirement] = []
    issues = list(parsed.issues)
    for req in parsed.requirements:
        issue = _bad_requirement(req)
        if issue is None:
            kept.append(req)
        else:
            issues.append(issue)
    packages = tuple(_clean_package(p) for p in parsed.packages)
    if len(kept) == len(parsed.requirements) and packages == parsed.packages:
        return parsed
    return dataclasses.replace(
        parsed, requirements=tuple(kept), issues=tuple(issues), packages=packages
    )
