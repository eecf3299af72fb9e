"""File-level pin findings: hash-checking mode (AUD105) and the parsers' line issues.

Lines that are not requirements become AUD110, values that could not be read AUD111.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.checks.base import CheckContext, Outcome, incomplete
from auditor.checks.pin_layout import PinPolicy, ProjectLayout, counted_requirements
from auditor.checks.pin_refs import has_hash as _has_hash
from auditor.checks.pin_specs import pin_evidence as _evidence
from auditor.model import (
    Finding,
    InputIssue,
    InputKind,
    InputStatus,
    Location,
    ParsedInput,
    Severity,
)


def hash_findings(ctx: CheckContext, layout: ProjectLayout) -> Iterator[Finding]:
    """Return AUD105: requirements files mixing hashed and unhashed lines, or none hashed."""
    for item in ctx.inputs:
        if item.kind is not InputKind.REQUIREMENTS or item.status is not InputStatus.OK:
            continue
        compiled = layout.compiled.get(item.path)
        if compiled is not None and compiled.kind == "constraints":
            continue  # constraints are never installed themselves: pip does not hash-check them
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
def issue_findings(ctx: CheckContext, layout: ProjectLayout) -> Iterator[Outcome]:
    """Return AUD110/AUD111 findings (and incomplete marks) from the parsers' line issues."""
    policy = layout.policy
    for item in ctx.inputs:
        folded: dict[str, list[InputIssue]] = {}
        for issue in item.issues:
            code = issue.code.lower()
            if code in policy.unreadable_value_codes and code in policy.fold_per_file_codes:
                folded.setdefault(code, []).append(issue)
        for code, issues in folded.items():
            yield from _folded_values(ctx, policy, item, code, issues)
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


__all__ = ["hash_findings", "issue_findings"]
