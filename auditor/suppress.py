"""Hide findings: inline ``# auditor: ignore[AUD501]`` comments and configured ignores.

An inline comment on the line a finding points at hides it (all rules when the brackets are
left out); text after the brackets is the reason. A configured ignore matches by rule id or
advisory id, package and path glob; once its expiry date has passed it stops hiding, and the
finding says so in ``evidence.expired_ignore``. Ignores that hid nothing are reported as unused.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from auditor.config import Ignore
from auditor.model import Finding, Suppressed, normalize_name

_INLINE = re.compile(
    r"#\s*auditor:\s*ignore(?:\[(?P<ids>[A-Za-z0-9_,\s-]*)\])?(?P<reason>[^#]*)", re.IGNORECASE
)


@dataclass(slots=True)
class InlineIgnores:
    """Reads source lines on demand and answers whether a line carries an inline ignore."""

    root: Path
    _lines: dict[str, list[str]] = field(default_factory=dict)

    def _line(self, path: str, line: int) -> str:
        if path not in self._lines:
            try:
                text = (self.root / path).read_text(encoding="utf-8", errors="replace")
            except OSError:
                text = ""
            self._lines[path] = text.splitlines()
        lines = self._lines[path]
        return lines[line - 1] if 0 < line <= len(lines) else ""

    def reason_for(self, finding: Finding) -> str | None:
        """Return the reason text when an inline comment hides `finding`, else None."""
        for loc in finding.locations:
            if loc.line is None or not loc.path:
                continue
            match = _INLINE.search(self._line(loc.path, loc.line))
            if match is None:
                continue
            ids = match.group("ids")
            wanted = {i.strip().upper() for i in ids.split(",") if i.strip()} if ids else set()
            if not wanted or finding.rule_id in wanted or finding.rule_name.upper() in wanted:
                return match.group("reason").strip(" :-") or "inline ignore"
        return None


def _matches(ignore: Ignore, finding: Finding) -> bool:
    if ignore.id is not None:
        ids = {finding.rule_id.upper(), finding.rule_name.upper()}
        ids.update(str(a).upper() for a in finding.evidence.get("advisories", ()))
        if ignore.id.upper() not in ids:
            return False
    if ignore.package is not None and (
        finding.package is None or normalize_name(ignore.package) != normalize_name(finding.package)
    ):
        return False
    return ignore.path is None or any(
        fnmatch.fnmatch(loc.path, ignore.path) for loc in finding.locations
    )


def apply_ignores(
    findings: Iterable[Finding], ignores: tuple[Ignore, ...], *, root: Path, today: dt.date
) -> tuple[list[Finding], list[Suppressed], list[str]]:
    """Split findings into kept and suppressed; return the descriptions of unused ignores."""
    inline = InlineIgnores(root)
    kept: list[Finding] = []
    suppressed: list[Suppressed] = []
    used: set[int] = set()
    for finding in findings:
        reason = inline.reason_for(finding)
        if reason is not None:
            suppressed.append(Suppressed(finding=finding, reason=reason, by="inline"))
            continue
        hidden = False
        expired_note: str | None = None
        for index, ignore in enumerate(ignores):
            if not _matches(ignore, finding):
                continue
            used.add(index)
            if ignore.expired(today):
                expired_note = f"{ignore.describe()} expired on {ignore.expires}"
                continue
            suppressed.append(
                Suppressed(finding=finding, reason=ignore.reason or "ignored", by=ignore.describe())
            )
            hidden = True
            break
        if hidden:
            continue
        if expired_note is not None:
            finding = dataclasses.replace(
                finding, evidence={**finding.evidence, "expired_ignore": expired_note}
            )
        kept.append(finding)
    unused = [ign.describe() for i, ign in enumerate(ignores) if i not in used]
    return kept, suppressed, unused


__all__ = ["InlineIgnores", "apply_ignores"]
