"""Where a fleet keeps its per-repository reports: one file per repository, revision and settings.

Layout under the state folder::

    reports/<repo key>/<revision>.<fingerprint>.json       the `auditor scan --format json` text
    reports/<repo key>/<revision>.<fingerprint>.meta.json  its outcome (exit code, counts)
    fleet.sqlite3                                          the inventory (`auditor.fleet.inventory`)

The meta file is written after the report, both atomically, so a meta file means a whole report.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from auditor.atomic import atomic_write_text
from auditor.fleet.model import RepoOutcome

_SAFE = re.compile(r"[^A-Za-z0-9._-]")


def _safe(text: str) -> str:
    return _SAFE.sub("_", text)[:100]


class ReportStore:
    """The stored reports of one fleet state folder."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.reports_dir = state_dir / "reports"

    def report_path(self, key: str, revision: str, fingerprint: str) -> Path:
        """Return where the report of `key` at `revision` under `fingerprint` lives."""
        return self.reports_dir / _safe(key) / f"{_safe(revision)}.{_safe(fingerprint)}.json"

    def _meta_path(self, report: Path) -> Path:
        return report.with_suffix(".meta.json")

    def stored(self, key: str, revision: str, fingerprint: str) -> RepoOutcome | None:
        """Return the stored outcome for this revision and settings, None when there is none."""
        report = self.report_path(key, revision, fingerprint)
        meta = self._meta_path(report)
        try:
            data = json.loads(meta.read_text(encoding="utf-8"))
            outcome = RepoOutcome.from_json(data)
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return outcome if report.is_file() else None

    def write(self, outcome: RepoOutcome, text: str, fingerprint: str) -> RepoOutcome:
        """Store a report and its outcome; return the outcome naming the report's path."""
        assert outcome.revision is not None  # noqa: S101 - a scanned repository has one
        report = self.report_path(outcome.key, outcome.revision, fingerprint)
        atomic_write_text(report, text)
        from dataclasses import replace

        stored = replace(outcome, report=str(report))
        atomic_write_text(self._meta_path(report), json.dumps(stored.to_json(), indent=1) + "\n")
        return stored


__all__ = ["ReportStore"]
