"""Direct references in manifests: VCS links, URLs and local paths (AUD106, AUD107)."""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from auditor.checks.base import CheckContext
from auditor.checks.pin_layout import ProjectLayout, scope_of
from auditor.checks.pin_specs import pin_evidence as _evidence
from auditor.model import Finding, ParsedInput, Requirement, Severity

URL_HASH = re.compile(r"[#&](sha256|sha384|sha512)=([0-9a-fA-F]+)")
_HEX = re.compile(r"^[0-9a-fA-F]+$")


def reference_findings(
    ctx: CheckContext, layout: ProjectLayout, item: ParsedInput, req: Requirement
) -> Iterator[Finding]:
    """Return AUD106/AUD107 for a direct reference (VCS link, URL or local path)."""
    if req.url is None:
        return
    if req.is_vcs:
        yield from _vcs_finding(ctx, layout, item, req)
    elif req.is_local_path:
        yield from _local_finding(ctx, item, req)
    else:
        yield from _archive_finding(ctx, layout, item, req)


def _vcs_finding(
    ctx: CheckContext, layout: ProjectLayout, item: ParsedInput, req: Requirement
) -> Iterator[Finding]:
    url = req.url or ""
    scheme = url.split("+", 1)[0].lower()
    ref = vcs_ref(url)
    lengths = layout.policy.full_sha_lengths
    if ref is not None:
        if scheme == "svn" and ref.lstrip("r").isdigit():
            return
        if _HEX.match(ref) and len(ref) in lengths:
            return
    what = "no revision (it follows the default branch)" if ref is None else (
        f"the reference {ref!r}, which is a branch, tag or short id that can move"
    )  # fmt: skip
    commit = _locked_commit(layout, req)
    locked = f"; {commit[1]} installs commit {commit[0]} until it is re-locked" if commit else ""
    yield ctx.finding(
        "AUD106",
        message=(
            f"{req.raw_name} is installed from {scheme} with {what} ({req.location}); "
            "the code you get can change without the requirement changing" + locked
        ),
        package=req.raw_name,
        locations=[req.location],
        evidence=_evidence(
            item, req, url=url, vcs=scheme, ref=ref, locked_commit=commit[0] if commit else None
        ),
        severity=Severity.LOW if commit or _not_shipped(layout, item, req) else None,
        fix=(
            "Pin the full commit id: append `@<40-hex commit>` to the URL (find it with "
            f"`git ls-remote <repo> {ref or 'HEAD'}`), or depend on a released version."
        ),
    )


def _not_shipped(layout: ProjectLayout, item: ParsedInput, req: Requirement) -> bool:
    """Whether `req` is a development or example requirement: it never reaches users."""
    return layout.is_dev_requirement(item, req) or layout.policy.is_example(req.location.path)


def _locked_commit(layout: ProjectLayout, req: Requirement) -> tuple[str, str] | None:
    """Return (full commit id, lockfile) when a lockfile covering `req` pins its VCS commit."""
    for lock in layout.covering_locks(req.location.path, real_only=True):
        for package in lock.packages.get(req.name, ()):
            commit = package.source_commit or ""
            if _HEX.match(commit) and len(commit) in layout.policy.full_sha_lengths:
                return commit, lock.path
    return None


def _locked_hash(layout: ProjectLayout, req: Requirement) -> str | None:
    """Return the lockfile that records hashes for `req`'s URL package (uv.lock does)."""
    for lock in layout.covering_locks(req.location.path, real_only=True):
        packages = lock.packages.get(req.name, ())
        if any(p.hashes and p.source_url is not None for p in packages):
            return lock.path
    return None


def _archive_finding(
    ctx: CheckContext, layout: ProjectLayout, item: ParsedInput, req: Requirement
) -> Iterator[Finding]:
    url = req.url or ""
    if URL_HASH.search(url) or req.hashes:
        return
    insecure = url.lower().startswith("http://")
    hashed = _locked_hash(layout, req)
    yield ctx.finding(
        "AUD106",
        message=(
            f"{req.raw_name} is downloaded from a URL without a hash ({req.location}); "
            "whatever the server returns is installed"
            + (" (over plain http)" if insecure else "")
            + (
                f"; {hashed} records its hash, so installs from the lockfile check it"
                if hashed
                else ""
            )
        ),
        package=req.raw_name,
        locations=[req.location],
        evidence=_evidence(item, req, url=url, insecure_transport=insecure, locked_hash=hashed),
        severity=Severity.LOW
        if (_not_shipped(layout, item, req) or hashed) and not insecure
        else None,
        fix=(
            "Add the archive's digest to the URL (`...#sha256=<hex>`) or a `--hash=sha256:` "
            "option, or depend on a released version from the index."
        ),
    )


def _local_finding(ctx: CheckContext, item: ParsedInput, req: Requirement) -> Iterator[Finding]:
    if (req.url or "").strip().lower() == "workspace:":
        return  # a uv workspace member: this repository's own code, locked with it
    target = local_target(req)
    folder = posixpath.dirname(req.location.path) or "."
    own = {folder, scope_of(req.location.path) or "."}
    if (req.url or "").strip().rstrip("/") == "." or target in own:
        return  # ``-e .``: the project installing itself
    escapes = target is None or target == ".." or target.startswith("../")
    in_repo = escapes and target is not None and _inside_enclosing_repo(ctx.root, target)
    outside = escapes and not in_repo
    if outside:
        where = (
            ", which is outside the scanned folder: the install only works where that path exists"
        )
    elif in_repo:
        where = (
            ", elsewhere in the enclosing repository; other machines and the index never "
            "see that code's version"
        )
    else:
        where = "; other machines and the index never see that code's version"
    yield ctx.finding(
        "AUD107",
        message=(
            f"{req.raw_name} is installed from the local path {req.url!r} ({req.location})" + where
        ),
        package=req.raw_name,
        locations=[req.location],
        evidence=_evidence(item, req, url=req.url, resolved=target, outside_repository=outside),
        fix=(
            "Publish the package (or vendor it inside the repository) and depend on a "
            "released version, or reference a pinned VCS commit."
        ),
        severity=Severity.MEDIUM if outside else None,
    )


def has_hash(req: Requirement) -> bool:
    """Whether the requirement carries a hash (``--hash`` or a URL digest)."""
    return bool(req.hashes) or (req.url is not None and URL_HASH.search(req.url) is not None)


def vcs_ref(url: str) -> str | None:
    """Return the revision of a VCS URL (``git+https://host/repo.git@REF#egg=x``), or None."""
    text = url.split("+", 1)[1] if "+" in url.split("://", 1)[0] else url
    text = text.split("#", 1)[0]
    # scp-like ``git@host:org/repo.git@ref``: the path starts after the first colon.
    path = urlsplit(text).path if "://" in text else text.split(":", 1)[-1]
    if "@" not in path:
        return None
    ref = path.split("@", 1)[1].strip()
    return ref or None


def local_target(req: Requirement) -> str | None:
    """Return the repo-relative folder a local path requirement points at (None if outside)."""
    url = (req.url or "").strip()
    if "${PROJECT_ROOT}" in url:
        # PDM expands ${PROJECT_ROOT} to the folder of the pyproject.toml declaring it.
        url = re.sub(r"^(?:file:(?://)?/?)?\$\{PROJECT_ROOT\}", ".", url, flags=re.IGNORECASE)
    if url.lower().startswith("file:"):
        url = urlsplit(url).path or url[len("file:") :]
        return None if url.startswith("/") else posixpath.normpath(url)
    if url.startswith(("/", "~")) or re.match(r"^[A-Za-z]:[\\/]", url):
        return None
    base = posixpath.dirname(req.location.path)
    return posixpath.normpath(posixpath.join(base, url.replace("\\", "/")))


def _inside_enclosing_repo(root: Path, target: str) -> bool:
    """Whether `target` (relative to the scan root, leaving it) stays in the git work tree.

    Scanning one package of a monorepo (``libs/langchain`` with ``../core``) must not call a
    sibling package "outside the repository".
    """
    top = next((p for p in (root, *root.parents) if (p / ".git").exists()), None)
    if top is None:
        return False
    resolved = Path(os.path.normpath(root / target))
    return resolved == top or top in resolved.parents


__all__ = ["URL_HASH", "has_hash", "local_target", "reference_findings", "vcs_ref"]
