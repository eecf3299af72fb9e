"""Plan and apply the edits that fix findings: pin upgrades and standard-library line removals.

`plan_fixes` turns AUD201 (known vulnerability) and AUD404 (yanked version) findings into edits
of the exact pins (``==X`` / ``===X``) that manifests declare: requirements files (constraints
files too), ``pyproject.toml`` (PEP 621 dependencies, optional-dependencies, dependency-groups,
Poetry dependency tables), ``setup.cfg`` and ``Pipfile``; and AUD409 findings (a standard-library
module declared as a requirement) into the removal of that requirement's line. The text edits
live in `auditor.fix_edit`. Versions locked only in a lockfile are reported as "re-lock" items.

For AUD201 the version written is the one the findings name: ``evidence.fix_version``, the
smallest release fixing every fixable advisory of that package version (the same version the
console's "upgrade X a -> b" line shows). Findings without it (older reports) fall back on the
console's rule: the largest, over the findings, of each one's smallest ``fixed_in`` above the
current version. An advisory no release fixes is named and changes nothing.

Hashes: a pin with ``--hash`` options is upgraded and keeps its (now stale) hashes, with a
warning that they must be regenerated; pip refuses the install until they are, so nothing is
installed unverified and the other requirements keep hash-checking mode.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.advisories.evidence import AdvisoryEvidence
from auditor.atomic import atomic_write_bytes
from auditor.fix_edit import (
    find_pin,
    has_hashes,
    read_text,
    removal,
    same_version,
    split_lines,
)
from auditor.fix_edit import parse_version as _parse
from auditor.model import (
    Finding,
    InputKind,
    InputStatus,
    Location,
    ParsedInput,
    Requirement,
    normalize_name,
)

VULN_RULE = "AUD201"
YANKED_RULE = "AUD404"
STDLIB_RULE = "AUD409"
FIX_RULES = (VULN_RULE, YANKED_RULE, STDLIB_RULE)
_EDITABLE_KINDS = frozenset(
    {InputKind.REQUIREMENTS, InputKind.PYPROJECT, InputKind.SETUP_CFG, InputKind.PIPFILE}
)
_VERSION_TOKEN = r"[A-Za-z0-9][A-Za-z0-9.+!_-]*"  # noqa: S105 - a regex, not a secret
_FIX_TEXT = re.compile(r">=\s*(" + _VERSION_TOKEN + ")")
_NO_NEWLINE = "\\ No newline at end of file\n"


@dataclass(frozen=True, slots=True, kw_only=True)
class FixTarget:
    """The upgrade wanted for one package version, and why."""

    package: str
    display_name: str
    version: str
    target: str | None
    rule_ids: tuple[str, ...]
    advisories: tuple[str, ...] = ()
    unfixed_advisories: tuple[str, ...] = ()
    locations: tuple[Location, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Edit:
    """One change: a pin of `package` from `old_version` to `new_version`, or a removal.

    A removal (`action` ``remove``) replaces lines `line`..`end_line` with `new_text` (empty:
    the lines go); `new_version` is then empty.
    """

    path: str
    line: int
    package: str
    old_version: str
    new_version: str
    old_text: str
    new_text: str
    rule_ids: tuple[str, ...]
    advisories: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    action: str = "upgrade"
    end_line: int | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form used by ``auditor fix --format json``."""
        return {
            "action": self.action,
            "end_line": self.end_line or self.line,
            "path": self.path,
            "line": self.line,
            "package": self.package,
            "from": self.old_version,
            "to": self.new_version,
            "old": self.old_text,
            "new": self.new_text,
            "rules": list(self.rule_ids),
            "advisories": list(self.advisories),
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Skipped:
    """A finding that no edit fixes, with the reason (no fixed release, lockfile only ...)."""

    package: str
    version: str
    reason: str
    location: Location | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "package": self.package,
            "version": self.version,
            "reason": self.reason,
            "location": self.location.to_json() if self.location else None,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class FixPlan:
    """Every planned edit, grouped per file on demand, and what could not be fixed."""

    root: Path
    edits: tuple[Edit, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    originals: Mapping[str, str] = field(default_factory=dict)

    def files(self) -> list[str]:
        """Return the repo-relative paths the plan changes, sorted."""
        return sorted({edit.path for edit in self.edits})

    def new_text(self, path: str) -> str:
        """Return the content `path` has after the plan's edits."""
        lines = split_lines(self.originals[path])
        spans: dict[int, tuple[int, str]] = {}
        for edit in self.edits:  # in plan order: a later edit of a line holds the earlier ones
            if edit.path == path:
                spans[edit.line] = (edit.end_line or edit.line, edit.new_text)
        for line, (end, text) in sorted(spans.items(), reverse=True):
            lines[line - 1 : end] = [text] if text else []
        return "".join(lines)

    def diff(self) -> str:
        """Return one unified diff of every change (``a/`` and ``b/`` prefixed paths)."""
        chunks: list[str] = []
        for path in self.files():
            before = split_lines(self.originals[path])
            after = split_lines(self.new_text(path))
            chunks.extend(
                line if line.endswith("\n") else line + "\n" + _NO_NEWLINE
                for line in difflib.unified_diff(before, after, f"a/{path}", f"b/{path}")
            )
        return "".join(chunks)

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form (``edits``, ``skipped``, ``files``, ``diff``)."""
        return {
            "edits": [e.to_json() for e in self.edits],
            "skipped": [s.to_json() for s in self.skipped],
            "files": self.files(),
            "diff": self.diff(),
        }


# -- choosing versions -----------------------------------------------------------------------


def _key(finding: Finding) -> str:
    evidence = AdvisoryEvidence.from_json(finding.evidence)
    return evidence.advisories[0] if evidence.advisories else finding.key or "advisory"


def named_fix(finding: Finding) -> str | None:
    """Return the upgrade one AUD201 finding names (None: no release fixes it).

    ``evidence.fix_version`` when the finding carries it; else (older reports) the smallest of
    ``fixed_in`` (else ``fixed_by_advisory``) above the finding's version, as the console
    computes it; else, for findings listing no fixed versions (none per advisory either),
    the ``>= X`` of its ``fix`` text.
    """
    evidence = AdvisoryEvidence.from_json(finding.evidence)
    if evidence.fix_version is not None:
        return evidence.fix_version
    base = _parse(finding.version or "")
    known = evidence.fixed_in or tuple(v for vs in evidence.fixed_by_advisory.values() for v in vs)
    above = [(v, t) for t in known if (v := _parse(t)) is not None and (base is None or v > base)]
    if above:
        return min(above)[1]
    if (
        not known
        and not evidence.fixed_by_advisory
        and finding.fix
        and (match := _FIX_TEXT.search(finding.fix))
    ):
        return match.group(1)  # hand-made findings: only the fix text says it
    return None


def fix_targets(findings: Iterable[Finding]) -> list[FixTarget]:
    """Merge the fixable findings into one target per (package, version)."""
    grouped: dict[tuple[str, str], list[Finding]] = {}
    for finding in findings:
        if finding.rule_id not in (VULN_RULE, YANKED_RULE):
            continue
        if not finding.package or not finding.version:
            continue
        key = (normalize_name(finding.package), finding.version)
        grouped.setdefault(key, []).append(finding)
    targets: list[FixTarget] = []
    for (name, version), items in sorted(grouped.items()):
        advisories: list[str] = []
        wanted: list[str] = []
        unfixed: list[str] = []
        for finding in items:
            if finding.rule_id == VULN_RULE:
                by_record = AdvisoryEvidence.from_json(finding.evidence).fixed_by_advisory
                advisories.extend(by_record or [_key(finding)])  # every record of the group
                fix = named_fix(finding)
                (wanted if fix is not None else unfixed).append(fix or _key(finding))
            else:
                replacement = finding.evidence.get("replacement")
                if isinstance(replacement, str) and replacement:
                    wanted.append(replacement)
        parsed = [(v, text) for text in wanted if (v := _parse(text)) is not None]
        locations = tuple(sorted({loc for f in items for loc in f.locations}))
        targets.append(
            FixTarget(
                package=name,
                display_name=items[0].package or name,
                version=version,
                target=max(parsed)[1] if parsed else None,
                rule_ids=tuple(sorted({f.rule_id for f in items})),
                advisories=tuple(sorted(set(advisories))),
                unfixed_advisories=tuple(sorted(set(unfixed))),
                locations=locations,
            )
        )
    return targets


def _pinned_places(
    inputs: Iterable[ParsedInput], name: str, version: str
) -> tuple[list[tuple[ParsedInput, int, Requirement]], list[ParsedInput]]:
    """Return manifest pins (input, line, requirement) and lockfiles that lock name==version."""
    pins: list[tuple[ParsedInput, int, Requirement]] = []
    locks: list[ParsedInput] = []
    for item in inputs:
        if item.status is not InputStatus.OK:
            continue
        for req in item.requirements:
            if normalize_name(req.name) != name or req.location.line is None:
                continue
            if req.pinned is not None and same_version(str(req.pinned), version):
                pins.append((item, req.location.line, req))
        if any(
            normalize_name(p.name) == name and p.version and same_version(p.version, version)
            for p in item.packages
        ):
            locks.append(item)
    return pins, locks


@dataclass(slots=True)
class _Planner:
    root: Path
    inputs: tuple[ParsedInput, ...]
    originals: dict[str, str] = field(default_factory=dict)
    current: dict[tuple[str, int], str] = field(default_factory=dict)
    edits: list[Edit] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def skip(self, target: FixTarget, reason: str, location: Location | None) -> None:
        self.skipped.append(
            Skipped(
                package=target.display_name,
                version=target.version,
                reason=reason,
                location=location,
            )
        )

    def lines(self, path: str) -> list[str] | None:
        if path not in self.originals:
            text = read_text(self.root, path)
            if text is None:
                return None
            self.originals[path] = text
        return split_lines(self.originals[path])

    def plan(self, target: FixTarget) -> None:
        first = target.locations[0] if target.locations else None
        if target.target is None:
            names = target.unfixed_advisories or target.advisories or target.rule_ids
            self.skip(target, "no fixed release is known for " + ", ".join(names), first)
            return
        if target.unfixed_advisories:
            reason = (
                "no release fixes " + ", ".join(target.unfixed_advisories) + f"; the upgrade to "
                f"{target.target} fixes the others, not these"
            )
            self.skip(target, reason, first)
        pins, locks = _pinned_places(self.inputs, target.package, target.version)
        handled = False
        for item, line_no, req in pins:
            handled = self.plan_pin(target, item, line_no, req) or handled
        for lock in locks:
            reason = (
                f"{lock.path} locks {target.version}: re-lock with your locking tool so it "
                f"resolves {target.display_name}>={target.target}"
            )
            self.skip(target, reason, Location(path=lock.path))
        if not handled and not locks:
            reason = (
                "no exact pin of this version in a manifest; require "
                f"{target.display_name}>={target.target} where it is declared"
            )
            self.skip(target, reason, first)

    def plan_pin(
        self, target: FixTarget, item: ParsedInput, line_no: int, req: Requirement
    ) -> bool:
        """Plan the edit of one pin; return whether the pin was dealt with (edited or told)."""
        where = Location(path=item.path, line=line_no)
        if item.kind not in _EDITABLE_KINDS:
            reason = (
                f"{item.path}:{line_no}: auditor does not rewrite {item.kind} files; "
                f"require {target.display_name}=={target.target} there by hand"
            )
            self.skip(target, reason, where)
            return True
        lines = self.lines(item.path)
        if lines is None:
            self.skip(target, f"{item.path}: cannot read as UTF-8 text", where)
            return False
        if not 1 <= line_no <= len(lines):
            return False
        text = self.current.get((item.path, line_no), lines[line_no - 1])
        edit = _edit_line(item, lines, line_no, text, target, req)
        if edit is None:
            reason = f"{item.path}:{line_no}: could not find the pin on that line; edit it by hand"
            self.skip(target, reason, where)
            return False
        self.edits.append(edit)
        self.current[(item.path, line_no)] = edit.new_text
        return True

    def remove_stdlib(self, finding: Finding) -> None:
        """Plan the removal of each requirement line an AUD409 finding points at."""
        name = normalize_name(finding.package or "")
        version = finding.version or ""
        display = finding.package or name
        if finding.evidence.get("backport_until") is not None:
            for where in finding.locations:
                reason = f"a backport: {finding.fix or 'limit it with a marker'}"
                self.skipped.append(Skipped(package=display, version=version, reason=reason,
                                            location=where))  # fmt: skip
            return
        by_path = {item.path: item for item in self.inputs if item.status is InputStatus.OK}
        for where in finding.locations:
            item = by_path.get(where.path)
            if item is None or where.line is None or item.kind not in _EDITABLE_KINDS:
                reason = "not in a manifest auditor edits; remove it by hand"
                self.skipped.append(Skipped(package=display, version=version, reason=reason,
                                            location=where))  # fmt: skip
                continue
            lines = self.lines(item.path)
            text = self.current.get((item.path, where.line))
            if lines is not None and text is not None:
                lines[where.line - 1] = text
            found = None
            if lines is not None and 1 <= where.line <= len(lines):
                found = removal(lines, where.line, name, item.kind)
            if lines is None or found is None:
                reason = "could not find the requirement on that line; remove it by hand"
                self.skipped.append(Skipped(package=display, version=version, reason=reason,
                                            location=where))  # fmt: skip
                continue
            end, new_text = found
            self.edits.append(
                Edit(
                    path=item.path,
                    line=where.line,
                    end_line=end,
                    package=display,
                    old_version=version,
                    new_version="",
                    old_text="".join(lines[where.line - 1 : end]),
                    new_text=new_text,
                    rule_ids=(STDLIB_RULE,),
                    action="remove",
                )
            )
            self.current[(item.path, where.line)] = new_text


def plan_fixes(findings: Iterable[Finding], inputs: Iterable[ParsedInput], root: Path) -> FixPlan:
    """Plan the edits that fix `findings` (AUD201, AUD404, AUD409) in the manifests of `inputs`."""
    planner = _Planner(root=root, inputs=tuple(inputs))
    findings = list(findings)
    for target in fix_targets(findings):
        planner.plan(target)
    for finding in findings:
        if finding.rule_id == STDLIB_RULE and finding.package:
            planner.remove_stdlib(finding)
    ordered = tuple(sorted(planner.edits, key=lambda e: (e.path, e.line)))
    used = {e.path for e in ordered}
    return FixPlan(
        root=root,
        edits=ordered,
        skipped=tuple(planner.skipped),
        originals={p: t for p, t in planner.originals.items() if p in used},
    )


def _edit_line(
    item: ParsedInput,
    lines: list[str],
    line_no: int,
    text: str,
    target: FixTarget,
    req: Requirement,
) -> Edit | None:
    """Rewrite the pin on `text` (line `line_no`, maybe already edited for another package).

    The parser's `version_span` says where the version is; where it does not know (TOML
    tables, continuation lines) or the text there changed, `find_pin` looks for it.
    """
    assert target.target is not None  # noqa: S101 - callers filter unfixable targets
    span = req.version_span
    if span is None or not same_version(text[span[0] : span[1]], target.version):
        span = find_pin(text, target.package, target.version, item.kind)
    if span is None:
        return None
    new_text = text[: span[0]] + target.target + text[span[1] :]
    warnings: list[str] = []
    if req.hashes or (item.kind is InputKind.REQUIREMENTS and has_hashes(lines, line_no - 1)):
        warnings.append(
            f"{item.path}:{line_no}: the --hash values belong to {target.version}; regenerate "
            f"them for {target.target} (e.g. pip-compile --generate-hashes; pip refuses the "
            "install until you do)"
        )
    return Edit(
        path=item.path,
        line=line_no,
        package=target.display_name,
        old_version=target.version,
        new_version=target.target,
        old_text=text,
        new_text=new_text,
        rule_ids=target.rule_ids,
        advisories=target.advisories,
        warnings=tuple(warnings),
    )


def apply_plan(plan: FixPlan) -> list[str]:
    """Write every changed file atomically; return the paths written.

    A file that changed on disk since the plan was made is left alone (it is missing from the
    returned list) so a concurrent edit is never overwritten.
    """
    written: list[str] = []
    for path in plan.files():
        current = read_text(plan.root, path)
        if current != plan.originals[path]:
            continue
        atomic_write_bytes(plan.root / path, plan.new_text(path).encode("utf-8"))
        written.append(path)
    return written


__all__ = [
    "Edit",
    "FixPlan",
    "FixTarget",
    "Skipped",
    "apply_plan",
    "find_pin",
    "fix_targets",
    "named_fix",
    "plan_fixes",
]
