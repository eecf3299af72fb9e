"""Baselines: a repository's accepted findings, by fingerprint, so a gate fails only on new ones.

A baseline file is JSON::

    {"schema_version": 1, "created": "...", "updated": "...", "target": "...",
     "fingerprints": {"<fingerprint>": {"rule_id", "rule_name", "package", "version",
                                       "message", "location"}}}

Only the keys of ``fingerprints`` count for matching; the rest is there for people reading a
diff of the file. Fingerprints leave out line numbers, so moving a line keeps a finding matched.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.atomic import atomic_write_text
from auditor.errors import ConfigError
from auditor.model import Finding, Suppressed
from auditor.result import AuditResult, BaselineState

BASELINE_SCHEMA_VERSION = 1
BASELINE_BY = "baseline"


@dataclass(frozen=True, slots=True, kw_only=True)
class Baseline:
    """The accepted findings: fingerprint -> a description for people."""

    entries: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    created: str = ""
    updated: str = ""
    target: str = ""

    def __contains__(self, fingerprint: object) -> bool:
        return fingerprint in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    @classmethod
    def from_json(cls, data: Any, where: str) -> Baseline:
        """Validate the parsed JSON of a baseline file and build it."""
        if not isinstance(data, dict):
            raise ConfigError(f"{where}: a baseline must be a JSON object")
        version = data.get("schema_version")
        if version != BASELINE_SCHEMA_VERSION:
            raise ConfigError(
                f"{where}: /schema_version: expected {BASELINE_SCHEMA_VERSION}, got {version!r}"
            )
        fingerprints = data.get("fingerprints")
        if not isinstance(fingerprints, dict):
            raise ConfigError(f"{where}: /fingerprints: expected an object")
        entries: dict[str, Mapping[str, Any]] = {}
        for key, value in fingerprints.items():
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: /fingerprints/{key}: expected an object")
            entries[str(key)] = value
        return cls(
            entries=entries,
            created=str(data.get("created", "")),
            updated=str(data.get("updated", "")),
            target=str(data.get("target", "")),
        )

    def to_json(self) -> dict[str, Any]:
        """Return the file's JSON form (sorted so diffs stay small)."""
        return {
            "schema_version": BASELINE_SCHEMA_VERSION,
            "created": self.created,
            "updated": self.updated,
            "target": self.target,
            "fingerprints": {k: dict(self.entries[k]) for k in sorted(self.entries)},
        }


def describe(finding: Finding) -> dict[str, Any]:
    """Return the human-readable entry of a finding in a baseline file."""
    return {
        "rule_id": finding.rule_id,
        "rule_name": finding.rule_name,
        "package": finding.package,
        "version": finding.version,
        "message": finding.message,
        "location": str(finding.locations[0]) if finding.locations else None,
    }


def load_baseline(path: Path) -> Baseline:
    """Read a baseline file (ConfigError naming the file when missing or invalid)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read baseline: {exc.strerror or exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from exc
    return Baseline.from_json(data, str(path))


def save_baseline(path: Path, baseline: Baseline) -> None:
    """Write a baseline file atomically."""
    atomic_write_text(path, json.dumps(baseline.to_json(), indent=2, ensure_ascii=False) + "\n")


def _now() -> str:
    return dt.datetime.now(tz=dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def create_baseline(findings: Iterable[Finding], *, target: str = "") -> Baseline:
    """Return a new baseline accepting every given finding."""
    now = _now()
    return Baseline(
        entries={f.fingerprint: describe(f) for f in findings},
        created=now,
        updated=now,
        target=target,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class BaselineUpdate:
    """The outcome of updating a baseline: the new baseline and what changed."""

    baseline: Baseline
    kept: int
    added: int
    dropped: int


def update_baseline(
    old: Baseline, findings: Iterable[Finding], *, target: str = ""
) -> BaselineUpdate:
    """Keep entries still found, add new findings, drop the ones that are fixed."""
    current = {f.fingerprint: f for f in findings}
    kept = {fp: entry for fp, entry in old.entries.items() if fp in current}
    added = {fp: describe(f) for fp, f in current.items() if fp not in old.entries}
    baseline = Baseline(
        entries={**kept, **added},
        created=old.created or _now(),
        updated=_now(),
        target=target or old.target,
    )
    return BaselineUpdate(
        baseline=baseline,
        kept=len(kept),
        added=len(added),
        dropped=len(old.entries) - len(kept),
    )


def apply_baseline(result: AuditResult, baseline: Baseline, *, file: str) -> AuditResult:
    """Move findings already in the baseline to ``suppressed`` and record the counts.

    The result gains an extras section ``baseline`` = {"file", "matched", "new"} (it becomes a
    top-level key of the JSON report); the gate then sees only the new findings.
    """
    new: list[Finding] = []
    matched: list[Suppressed] = []
    for finding in result.findings:
        if finding.fingerprint in baseline:
            matched.append(
                Suppressed(finding=finding, reason=f"accepted in baseline {file}", by=BASELINE_BY)
            )
        else:
            new.append(finding)
    suppressed = sorted((*result.suppressed, *matched), key=lambda s: s.finding.sort_key())
    return dataclasses.replace(
        result,
        findings=tuple(new),
        suppressed=tuple(suppressed),
        baseline=BaselineState(file=file, matched=len(matched), new=len(new)),
    )


__all__ = [
    "BASELINE_BY",
    "BASELINE_SCHEMA_VERSION",
    "Baseline",
    "BaselineUpdate",
    "apply_baseline",
    "create_baseline",
    "describe",
    "load_baseline",
    "save_baseline",
    "update_baseline",
]
