"""Plan and apply pin upgrades that fix findings: the smallest fixing version, written in place.

`plan_fixes` turns AUD201 (known vulnerability) and AUD404 (yanked version) findings into edits
of the exact pins (``==X`` / ``===X``) that manifests declare: requirements files (constraints
files too), ``pyproject.toml`` (PEP 621 dependencies, optional-dependencies, dependency-groups,
Poetry dependency tables), ``setup.cfg`` and ``Pipfile``. Only the version text on the pin's own
line changes, so comments, markers, extras, spacing and line endings stay as written. A pin with
``--hash`` options is still upgraded, with a warning that its hashes must be regenerated (pip
refuses the install until they are, so nothing breaks silently). Versions locked only in a
lockfile are reported as "re-lock" items: lockfiles are the locker's to rewrite.

For AUD201, the target is the smallest version that fixes every advisory reported for that
package version: each advisory's fixed versions come from the finding's `AdvisoryEvidence`
(``fixed_by_advisory``, built from each parsed advisory's ``fixed`` versions; else ``fixed_in``;
only a finding carrying neither falls back on the ``>= X`` of its ``fix`` text). A candidate is
accepted for an advisory when some fix of it is at or below the candidate and no fix of it lies
above the candidate within the candidate's major series (a later fix there means the candidate
sits in a still-vulnerable range of that series).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from auditor.advisories.evidence import AdvisoryEvidence
from auditor.atomic import atomic_write_bytes
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
FIX_RULES = (VULN_RULE, YANKED_RULE)
_EDITABLE_KINDS = frozenset(
    {InputKind.REQUIREMENTS, InputKind.PYPROJECT, InputKind.SETUP_CFG, InputKind.PIPFILE}
)
_TOML_KINDS = frozenset({InputKind.PYPROJECT, InputKind.PIPFILE})
_VERSION_TOKEN = r"[A-Za-z0-9][A-Za-z0-9.+!_-]*"  # noqa: S105 - a regex, not a secret
_FIX_TEXT = re.compile(r">=\s*(" + _VERSION_TOKEN + ")")
_NO_NEWLINE = "\\ No newline at end of file\n"
_VERSION_END = re.compile(r"[A-Za-z0-9.+!_*-]")


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
    """One line rewritten: the pin of `package` goes from `old_version` to `new_version`."""

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

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form used by ``auditor fix --format json``."""
        return {
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
        for edit in self.edits:
            if edit.path == path:
                lines[edit.line - 1] = edit.new_text
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


def split_lines(text: str) -> list[str]:
    r"""Split on ``\n`` only (as the parsers count lines), keeping the line endings."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


# -- choosing versions -----------------------------------------------------------------------


def _parse(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _fix_sets(finding: Finding) -> dict[str, list[str]]:
    """Return {advisory id: fixed versions} for one AUD201 finding (its advisory evidence)."""
    evidence = AdvisoryEvidence.from_json(finding.evidence)
    if evidence.fixed_by_advisory:
        return {k: list(v) for k, v in evidence.fixed_by_advisory.items()}
    key = finding.key or (evidence.advisories[0] if evidence.advisories else "advisory")
    versions = list(evidence.fixed_in)
    if not versions and finding.fix and (match := _FIX_TEXT.search(finding.fix)):
        # Only findings that carry no fixed versions at all (hand-made, or older reports):
        # Auditor's own AUD201 findings always list them per advisory.
        versions = [match.group(1)]
    return {key: versions}


def _fixes_advisory(candidate: Version, fixes: Sequence[Version]) -> bool:
    if not any(f <= candidate for f in fixes):
        return False
    return not any(f > candidate and f.major == candidate.major for f in fixes)


def smallest_fixing_version(
    current: str, advisories: Mapping[str, Sequence[str]]
) -> tuple[str | None, tuple[str, ...]]:
    """Return the smallest version above `current` that fixes every advisory that has a fix.

    Returns the version (None when nothing qualifies) and the advisories no version fixes.
    """
    base = _parse(current)
    parsed: dict[str, list[Version]] = {}
    for advisory, versions in advisories.items():
        fixes = [v for v in (_parse(x) for x in versions) if v is not None]
        parsed[advisory] = [f for f in fixes if base is None or f > base]
    unfixed = tuple(sorted(a for a, fixes in parsed.items() if not fixes))
    fixable = {a: fixes for a, fixes in parsed.items() if fixes}
    if not fixable:
        return None, unfixed
    candidates = sorted({f for fixes in fixable.values() for f in fixes})
    for candidate in candidates:
        if all(_fixes_advisory(candidate, fixes) for fixes in fixable.values()):
            return str(candidate), unfixed
    return str(candidates[-1]), unfixed


def fix_targets(findings: Iterable[Finding]) -> list[FixTarget]:
    """Merge the fixable findings into one target per (package, version)."""
    grouped: dict[tuple[str, str], list[Finding]] = {}
    for finding in findings:
        if finding.rule_id not in FIX_RULES or not finding.package or not finding.version:
            continue
        key = (normalize_name(finding.package), finding.version)
        grouped.setdefault(key, []).append(finding)
    targets: list[FixTarget] = []
    for (name, version), items in sorted(grouped.items()):
        advisories: dict[str, list[str]] = {}
        wanted: list[str] = []
        unfixed: tuple[str, ...] = ()
        for finding in items:
            if finding.rule_id == VULN_RULE:
                for advisory, fixes in _fix_sets(finding).items():
                    advisories.setdefault(advisory, []).extend(fixes)
            else:
                replacement = finding.evidence.get("replacement")
                if isinstance(replacement, str) and replacement:
                    wanted.append(replacement)
        if advisories:
            chosen, unfixed = smallest_fixing_version(version, advisories)
            if chosen is not None:
                wanted.append(chosen)
        parsed = [(v, text) for text in wanted if (v := _parse(text)) is not None]
        locations = tuple(sorted({loc for f in items for loc in f.locations}))
        targets.append(
            FixTarget(
                package=name,
                display_name=items[0].package or name,
                version=version,
                target=max(parsed)[1] if parsed else None,
                rule_ids=tuple(sorted({f.rule_id for f in items})),
                advisories=tuple(sorted(advisories)),
                unfixed_advisories=unfixed,
                locations=locations,
            )
        )
    return targets


# -- finding and rewriting pins in text ------------------------------------------------------


def _name_pattern(name: str) -> str:
    return r"[-_.]+".join(re.escape(part) for part in normalize_name(name).split("-"))


def _same_version(text: str, version: str) -> bool:
    if text == version:
        return True
    left, right = _parse(text), _parse(version)
    return left is not None and left == right


def _toml_code_end(line: str) -> int:
    """Return where a TOML comment starts on `line` (outside strings), or len(line)."""
    quote: str | None = None
    index = 0
    while index < len(line):
        char = line[index]
        if quote is None:
            if char == "#":
                return index
            if char in "\"'":
                quote = char
        elif char == "\\" and quote == '"':
            index += 1
        elif char == quote:
            quote = None
        index += 1
    return len(line)


def _requirements_code_end(line: str) -> int:
    """Return where a requirements-file comment starts (``#`` at start or after whitespace)."""
    match = re.search(r"(^|\s)#", line)
    return match.start() if match else len(line)


def find_pin(line: str, name: str, version: str, kind: InputKind) -> tuple[int, int] | None:
    """Return the span of the pinned version text of `name` == `version` on `line`, if any."""
    code_end = _toml_code_end(line) if kind in _TOML_KINDS else _requirements_code_end(line)
    code = line[:code_end]
    name_re = _name_pattern(name)
    # A PEP 508 requirement: name, optional extras, other clauses, then ==/=== version.
    pep508 = re.compile(
        rf"(?<![A-Za-z0-9._-]){name_re}(?![A-Za-z0-9._-])\s*(?:\[[^\]]*\])?\s*"
        rf"(?:[<>!~]=?\s*[^,;\s\"'\]]*\s*,\s*)*(?:===|==)\s*(?P<ver>{_VERSION_TOKEN})",
        re.IGNORECASE,
    )
    for match in pep508.finditer(code):
        end = match.end("ver")
        if end < len(code) and (_VERSION_END.match(code, end) or code.startswith(".*", end)):
            continue
        if _same_version(match.group("ver"), version):
            return match.start("ver"), end
    if kind in _TOML_KINDS:
        # Poetry / Pipfile tables: name = "==1.2" (or "1.2" in Poetry), or {version = "..."}.
        table = re.compile(
            rf"^\s*(?P<q>[\"']?){name_re}(?P=q)\s*=\s*(?:\{{[^}}]*?\bversion\s*=\s*)?"
            rf"[\"'](?P<op>===|==)?\s*(?P<ver>{_VERSION_TOKEN})[\"']",
            re.IGNORECASE,
        )
        found = table.search(code)
        exact = found is not None and (found.group("op") or kind is InputKind.PYPROJECT)
        if found is not None and exact and _same_version(found.group("ver"), version):
            return found.start("ver"), found.end("ver")
    return None


def _has_hashes(lines: Sequence[str], index: int) -> bool:
    """Whether the logical requirement starting at `index` carries ``--hash`` options."""
    position = index
    while position < len(lines):
        text = lines[position]
        if "--hash" in text:
            return True
        if not text.rstrip("\r\n").endswith("\\"):
            return False
        position += 1
    return False


def _read(root: Path, path: str) -> str | None:
    try:
        data = (root / path).read_bytes()
    except OSError:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


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
            if req.pinned is not None and _same_version(str(req.pinned), version):
                pins.append((item, req.location.line, req))
        if any(
            normalize_name(p.name) == name and p.version and _same_version(p.version, version)
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
            text = _read(self.root, path)
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


def plan_fixes(findings: Iterable[Finding], inputs: Iterable[ParsedInput], root: Path) -> FixPlan:
    """Plan the edits that fix `findings` (AUD201, AUD404) in the manifests of `inputs`."""
    planner = _Planner(root=root, inputs=tuple(inputs))
    for target in fix_targets(findings):
        planner.plan(target)
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
    if span is None or not _same_version(text[span[0] : span[1]], target.version):
        span = find_pin(text, target.package, target.version, item.kind)
    if span is None:
        return None
    new_text = text[: span[0]] + target.target + text[span[1] :]
    warnings: list[str] = []
    if req.hashes or (item.kind is InputKind.REQUIREMENTS and _has_hashes(lines, line_no - 1)):
        warnings.append(
            f"{item.path}:{line_no}: the --hash values belong to {target.version}; regenerate "
            f"them for {target.target} (pip refuses the install until you do)"
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
        current = _read(plan.root, path)
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
    "plan_fixes",
    "smallest_fixing_version",
]
