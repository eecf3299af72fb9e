"""The pin check: how each declared requirement is pinned (AUD101, AUD102, AUD105-AUD108).

It also turns the parsers' line-level issues into findings (AUD110 lines that are not
requirements, AUD111 values that could not be read). Lockfile questions (AUD103, AUD104) live in
`auditor.checks.lockfile`, cross-file conflicts (AUD109) in `auditor.checks.pin_conflicts`.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

from packaging.specifiers import SpecifierSet

from auditor.checks.base import CheckContext, Outcome, incomplete
from auditor.checks.pin_layout import (
    PinPolicy,
    ProjectLayout,
    build_layout,
    counted_requirements,
    is_manifest,
    scope_of,
)
from auditor.checks.pin_specs import has_upper_bound, is_prerelease_pin, suggest_upper_bound
from auditor.graph import query
from auditor.model import (
    Finding,
    InputIssue,
    InputKind,
    InputStatus,
    Location,
    ParsedInput,
    Requirement,
    Severity,
)

_URL_HASH = re.compile(r"[#&](sha256|sha384|sha512)=([0-9a-fA-F]+)")
_HEX = re.compile(r"^[0-9a-fA-F]+$")


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


def _known_version(ctx: CheckContext, layout: ProjectLayout, item: ParsedInput,
                   req: Requirement) -> str | None:  # fmt: skip
    for _lock, versions in layout.locked_versions(item.path, req.name):
        if len(versions) == 1:
            return versions[0]
    node = query.package(ctx.graph, req.name)
    return node.version if node is not None else None


def _covered(layout: ProjectLayout, item: ParsedInput, req: Requirement) -> bool:
    return layout.policy.lockfile_covers_manifest and bool(
        layout.locked_versions(item.path, req.name)
    )


def _manifest_requirements(ctx: CheckContext) -> Iterator[tuple[ParsedInput, Requirement]]:
    # A PEP 735 group that includes another repeats its requirements at the same line: judge
    # each written requirement once, under the group that declares it.
    seen: set[tuple[str, Location, SpecifierSet, str | None, str | None]] = set()
    for item in ctx.inputs:
        if is_manifest(item):
            for req in counted_requirements(item):
                key = (req.name, req.location, req.specifier, req.marker_text, req.url)
                if key not in seen:
                    seen.add(key)
                    yield item, req


def _evidence(item: ParsedInput, req: Requirement, **more: object) -> dict[str, object]:
    return {
        "requirement": describe(req),
        "line_text": req.line_text,
        "group": req.group,
        "input": item.path,
        "input_kind": str(item.kind),
        **more,
    }


class PinsCheck:
    """Judges every declared requirement's pin against the ``pins`` policy."""

    name = "pins"

    def run(self, ctx: CheckContext) -> Iterable[Outcome]:
        """Return the findings of AUD101, AUD102, AUD105-AUD108, AUD110 and AUD111."""
        layout = build_layout(ctx)
        findings: list[Outcome] = []
        for item, req in _manifest_requirements(ctx):
            findings.extend(self._pin_findings(ctx, layout, item, req))
            findings.extend(self._reference_findings(ctx, layout, item, req))
        findings.extend(self._hash_findings(ctx, layout))
        findings.extend(self._issue_findings(ctx, layout))
        return findings

    # AUD101 / AUD102 / AUD108 ---------------------------------------------------------------
    def _pin_findings(
        self, ctx: CheckContext, layout: ProjectLayout, item: ParsedInput, req: Requirement
    ) -> Iterator[Finding]:
        if req.url is not None:
            return
        policy = layout.policy
        level = layout.required_level(item, req)
        dev = policy.is_dev_group(req.group)
        known = _known_version(ctx, layout, item, req)
        covered = _covered(layout, item, req)
        exempt = any(
            i.code.lower() in policy.unpinned_exempt_codes and i.location == req.location
            for i in item.issues
        )
        if not req.specifier and level != "none" and not covered and not exempt:
            example = f"{req.raw_name}=={known}" if known else f"{req.raw_name}==X.Y.Z"
            yield ctx.finding(
                "AUD101",
                message=(
                    f"{req.raw_name} is not pinned ({req.location}): any release can be "
                    "installed, including a future breaking or compromised one"
                ),
                package=req.raw_name,
                locations=[req.location],
                evidence=_evidence(item, req, policy=level, dev_group=dev, known_version=known),
                fix=(
                    f"Pin the version you tested: `{example}` (or at least bound it, "
                    f"`{req.raw_name}>=X.Y,<X+1`), and lock the full set with a lockfile "
                    "(`uv lock`, `pip-compile`)."
                ),
                key=req.group,
                # A library leaves exact versions to its users; a missing lower bound still
                # matters, but less than in an application that deploys what it declares.
                severity=Severity.LOW if dev or layout.is_library_requirement(item, req) else None,
            )
        elif req.specifier and not covered and self._too_loose(req, level):
            yield self._unbounded(ctx, item, req, level, known)
        pre = is_prerelease_pin(req.pinned)
        if (
            pre is not None
            and not policy.allow_prereleases
            and req.name not in policy.prerelease_allowed_packages
        ):
            yield ctx.finding(
                "AUD108",
                message=(
                    f"{req.raw_name} is pinned to the pre-release {pre} ({req.location}); "
                    "pre-releases are not meant for production and may change without notice"
                ),
                package=req.raw_name,
                version=pre,
                locations=[req.location],
                evidence=_evidence(item, req, pinned=pre),
                fix=(
                    f"Pin the latest final release of {req.raw_name} instead, or allow it "
                    "explicitly in [tool.auditor.policy.pins] prerelease_allowed_packages."
                ),
            )

    @staticmethod
    def _too_loose(req: Requirement, level: str) -> bool:
        if level == "exact":
            return req.pinned is None
        if level == "upper-bound":
            return not has_upper_bound(req.specifier)
        return False

    @staticmethod
    def _unbounded(
        ctx: CheckContext, item: ParsedInput, req: Requirement, level: str, known: str | None
    ) -> Finding:
        spec = str(req.specifier)
        only_excludes = all(clause.operator == "!=" for clause in req.specifier)
        if level == "exact":
            why = 'is a range, but the policy requires exact pins (require = "exact")'
            example = f"{req.raw_name}=={known or 'X.Y.Z'}"
        elif only_excludes:
            why = "only excludes versions, so every other release (including future ones) fits"
            example = f"{req.raw_name}=={known}" if known else f"{req.raw_name}>=X.Y,<X+1"
        else:
            why = "has no upper bound, so a future major release is installed automatically"
            suggestion = suggest_upper_bound(req.specifier)
            example = f"{req.raw_name}{suggestion}" if suggestion else f"{req.raw_name}{spec},<X+1"
        return ctx.finding(
            "AUD102",
            message=f"{req.raw_name}{spec} {why} ({req.location})",
            package=req.raw_name,
            locations=[req.location],
            evidence=_evidence(item, req, specifier=spec, policy=level, known_version=known),
            fix=f"Bound it: `{example}`, or lock the resolved versions with a lockfile.",
            key=req.group,
        )

    # AUD106 / AUD107 ------------------------------------------------------------------------
    def _reference_findings(
        self, ctx: CheckContext, layout: ProjectLayout, item: ParsedInput, req: Requirement
    ) -> Iterator[Finding]:
        if req.url is None:
            return
        if req.is_vcs:
            yield from self._vcs_finding(ctx, layout, item, req)
        elif req.is_local_path:
            yield from self._local_finding(ctx, item, req)
        else:
            yield from self._archive_finding(ctx, item, req)

    @staticmethod
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
        yield ctx.finding(
            "AUD106",
            message=(
                f"{req.raw_name} is installed from {scheme} with {what} ({req.location}); "
                "the code you get can change without the requirement changing"
            ),
            package=req.raw_name,
            locations=[req.location],
            evidence=_evidence(item, req, url=url, vcs=scheme, ref=ref),
            fix=(
                "Pin the full commit id: append `@<40-hex commit>` to the URL (find it with "
                f"`git ls-remote <repo> {ref or 'HEAD'}`), or depend on a released version."
            ),
        )

    @staticmethod
    def _archive_finding(
        ctx: CheckContext, item: ParsedInput, req: Requirement
    ) -> Iterator[Finding]:
        url = req.url or ""
        if _URL_HASH.search(url) or req.hashes:
            return
        insecure = url.lower().startswith("http://")
        yield ctx.finding(
            "AUD106",
            message=(
                f"{req.raw_name} is downloaded from a URL without a hash ({req.location}); "
                "whatever the server returns is installed"
                + (" (over plain http)" if insecure else "")
            ),
            package=req.raw_name,
            locations=[req.location],
            evidence=_evidence(item, req, url=url, insecure_transport=insecure),
            fix=(
                "Add the archive's digest to the URL (`...#sha256=<hex>`) or a `--hash=sha256:` "
                "option, or depend on a released version from the index."
            ),
        )

    @staticmethod
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
                ", which is outside the scanned folder: the install only works where that "
                "path exists"
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
                f"{req.raw_name} is installed from the local path {req.url!r} ({req.location})"
                + where
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

    # AUD105 ---------------------------------------------------------------------------------
    def _hash_findings(self, ctx: CheckContext, layout: ProjectLayout) -> Iterator[Finding]:
        for item in ctx.inputs:
            if item.kind is not InputKind.REQUIREMENTS or item.status is not InputStatus.OK:
                continue
            reqs = counted_requirements(item)
            hashed = [r for r in reqs if _has_hash(r)]
            unhashed = [r for r in reqs if not _has_hash(r)]
            if hashed and unhashed:
                for req in unhashed:
                    yield ctx.finding(
                        "AUD105",
                        message=(
                            f"{req.raw_name} has no --hash ({req.location}) while "
                            f"{len(hashed)} other requirement(s) of {item.path} do: pip "
                            "switches to hash-checking mode and refuses to install this file"
                        ),
                        package=req.raw_name,
                        locations=[req.location],
                        evidence=_evidence(
                            item, req, hashed=len(hashed), unhashed=len(unhashed), mixed=True
                        ),
                        fix=(
                            "Regenerate the file with hashes for every line "
                            "(`pip-compile --generate-hashes` or `uv pip compile "
                            "--generate-hashes`)."
                        ),
                        severity=Severity.MEDIUM,
                    )
            elif unhashed and layout.policy.require_hashes:
                first = unhashed[0]
                yield ctx.finding(
                    "AUD105",
                    message=(
                        f"none of the {len(unhashed)} requirement(s) of {item.path} carry "
                        "--hash, but the policy requires hash-checking mode (require_hashes)"
                    ),
                    locations=[Location(path=item.path, line=first.location.line)],
                    evidence={
                        "input": item.path,
                        "unhashed": len(unhashed),
                        "packages": sorted({r.raw_name for r in unhashed}),
                        "mixed": False,
                    },
                    fix=(
                        "Compile the file with hashes (`pip-compile --generate-hashes`) and "
                        "install with `pip install --require-hashes -r ...`."
                    ),
                    key="file",
                )

    # AUD110 / AUD111 ------------------------------------------------------------------------
    def _issue_findings(self, ctx: CheckContext, layout: ProjectLayout) -> Iterator[Outcome]:
        policy = layout.policy
        for item in ctx.inputs:
            folded: dict[str, list[InputIssue]] = {}
            for issue in item.issues:
                code = issue.code.lower()
                if code in policy.unreadable_value_codes and code in policy.fold_per_file_codes:
                    folded.setdefault(code, []).append(issue)
            for code, issues in folded.items():
                yield from self._folded_values(ctx, policy, item, code, issues)
            for issue in item.issues:
                code = issue.code.lower()
                if code in folded:
                    continue
                evidence = {"code": issue.code, "line_text": issue.line_text, "input": item.path}
                if code in policy.invalid_line_codes:
                    yield ctx.finding(
                        "AUD110",
                        message=f"{issue.location}: {issue.message}",
                        locations=[issue.location],
                        evidence={**evidence, "suggestion": issue.suggestion},
                        fix=issue.suggestion
                        or "Delete the line, or turn it into a comment by starting it with #.",
                        key=f"{code}:{issue.line_text.strip()}",
                    )
                elif code in policy.unreadable_value_codes:
                    if code in policy.incomplete_codes and ctx.enabled("AUD111"):
                        yield incomplete(f"input:{issue.location.path}", str(issue.message))
                    yield ctx.finding(
                        "AUD111",
                        message=f"{issue.location}: {issue.message}",
                        locations=[issue.location],
                        evidence={**evidence, "suggestion": issue.suggestion},
                        fix=issue.suggestion or _UNREADABLE_FIX.get(code, _UNREADABLE_DEFAULT),
                        key=f"{code}:{issue.line_text.strip()}",
                    )

    @staticmethod
    def _folded_values(
        ctx: CheckContext,
        policy: PinPolicy,
        item: ParsedInput,
        code: str,
        issues: list[InputIssue],
    ) -> Iterator[Outcome]:
        """One AUD111 finding for all the values of one code in a file (all lines listed)."""
        if code in policy.incomplete_codes and ctx.enabled("AUD111"):
            yield incomplete(f"input:{item.path}", "; ".join(i.message for i in issues))
        locations = sorted({issue.location for issue in issues}, key=lambda loc: loc.line or 0)
        shown = "; ".join(issue.message for issue in issues[:_FOLD_SHOWN])
        more = f"; and {len(issues) - _FOLD_SHOWN} more" if len(issues) > _FOLD_SHOWN else ""
        reads = list(item.metadata_files)
        read_note = ""
        if reads and item.kind is InputKind.SETUP_PY:
            listed = ", ".join(reads[:_FOLD_SHOWN])
            rest = f" and {len(reads) - _FOLD_SHOWN} more" if len(reads) > _FOLD_SHOWN else ""
            read_note = f" (it reads {listed}{rest}, audited separately)"
        yield ctx.finding(
            "AUD111",
            message=(
                f"{item.path}: {len(issues)} value(s) could not be read{read_note}: {shown}{more}"
            ),
            locations=locations,
            evidence={
                "code": issues[0].code,
                "input": item.path,
                "count": len(issues),
                "items": [
                    {
                        "line": issue.location.line,
                        "message": issue.message,
                        "line_text": issue.line_text,
                    }
                    for issue in issues
                ],
                "metadata_files": reads,
            },
            fix=_UNREADABLE_FIX.get(code, _UNREADABLE_DEFAULT),
            key=code,
        )


_FOLD_SHOWN = 5  # how many of a folded finding's items its message quotes
_UNREADABLE_DEFAULT = "Write the value out literally so tools can read it without running code."
_UNREADABLE_FIX = {
    "dynamic-value": (
        "Declare the dependencies statically in [project] (or point "
        "[tool.setuptools.dynamic] at a requirements file) so they can be audited without "
        "running setup.py."
    ),
    "include-cycle": "Remove the -r/-c line that includes a file already on the include chain.",
    "include-missing": "Fix the path of the -r/-c include, or remove the line.",
    "env-var-unset": (
        "Set the environment variable when auditing, or write the value out literally."
    ),
}


def _has_hash(req: Requirement) -> bool:
    return bool(req.hashes) or (req.url is not None and _URL_HASH.search(req.url) is not None)


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


CHECK = PinsCheck()

__all__ = ["CHECK", "PinsCheck", "describe", "local_target", "vcs_ref"]
