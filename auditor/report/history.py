"""The reports folder: timestamped runs, a ``latest/`` copy and ``history.json`` (the trend).

Every file is written atomically: a run is rendered into a hidden temporary folder and renamed
into place, ``latest/`` is replaced by a rename swap, and ``history.json`` goes through
`auditor.atomic`. Readers see a whole run or none.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.atomic import atomic_write_text
from auditor.report.base import OutputFormat
from auditor.result import AuditResult

HISTORY_FILE = "history.json"
LATEST = "latest"
REPORT_FORMATS = (
    OutputFormat.HTML,
    OutputFormat.MARKDOWN,
    OutputFormat.JSON,
    OutputFormat.SARIF,
    OutputFormat.CYCLONEDX,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class PublishedRun:
    """Where one run's reports went."""

    folder: Path
    latest: Path
    files: tuple[Path, ...]
    history: tuple[Mapping[str, Any], ...]


def timestamp_name(now: dt.datetime) -> str:
    """Return the folder name of a run: ``2026-11-21T083000Z`` (UTC, sortable, no colons)."""
    return now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H%M%SZ")


def load_history(reports_dir: Path) -> list[dict[str, Any]]:
    """Read history.json (an empty history when absent or unreadable)."""
    path = reports_dir / HISTORY_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return []
    runs = data.get("runs") if isinstance(data, dict) else None
    if not isinstance(runs, list):
        return []
    return [r for r in runs if isinstance(r, dict) and isinstance(r.get("counts"), dict)]


def history_entry(result: AuditResult, name: str, now: dt.datetime) -> dict[str, Any]:
    """Return one run's history entry: timestamp, folder, counts per severity, totals."""
    entry: dict[str, Any] = {
        "timestamp": now.astimezone(dt.UTC)
        .replace(microsecond=0)
        .isoformat()
        .replace("+00:00", "Z"),
        "folder": name,
        "counts": result.summary(),
        "total": len(result.findings),
        "suppressed": len(result.suppressed),
        "incomplete": len(result.incomplete),
        "packages": len({p.name for p in result.packages}),
    }
    if result.baseline is not None:
        entry["baseline"] = result.baseline.to_json()
    return entry


def _unique_folder(reports_dir: Path, name: str) -> Path:
    folder = reports_dir / name
    suffix = 1
    while folder.exists():
        folder = reports_dir / f"{name}-{suffix}"
        suffix += 1
    return folder


def _replace_latest(reports_dir: Path, source: Path) -> Path:
    latest = reports_dir / LATEST
    staging = Path(tempfile.mkdtemp(prefix=".latest-", dir=reports_dir))
    copy = staging / "copy"
    shutil.copytree(source, copy)
    old = staging / "old"
    if latest.exists():
        latest.replace(old)
    copy.replace(latest)
    shutil.rmtree(staging, ignore_errors=True)
    return latest


def publish_run(
    result: AuditResult,
    reports_dir: Path,
    *,
    keep: int = 50,
    now: dt.datetime | None = None,
) -> PublishedRun:
    """Write every report of `result` into a new timestamped folder, update latest/ and history."""
    from auditor.report.bundle import write_bundle

    now = now or dt.datetime.now(tz=dt.UTC)
    reports_dir.mkdir(parents=True, exist_ok=True)
    folder = _unique_folder(reports_dir, timestamp_name(now))
    entry = history_entry(result, folder.name, now)
    history = [*load_history(reports_dir), entry][-keep:]
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=reports_dir))
    staging.chmod(0o755)  # mkdtemp makes 0700; a report folder is meant to be shared
    try:
        write_bundle(result, staging, REPORT_FORMATS, history=history)
        staging.replace(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    latest = _replace_latest(reports_dir, folder)
    atomic_write_text(
        reports_dir / HISTORY_FILE,
        json.dumps({"schema_version": 1, "runs": history}, indent=2, ensure_ascii=False) + "\n",
    )
    files = tuple(sorted(folder.iterdir()))
    return PublishedRun(folder=folder, latest=latest, files=files, history=tuple(history))


__all__ = [
    "HISTORY_FILE",
    "LATEST",
    "REPORT_FORMATS",
    "PublishedRun",
    "history_entry",
    "load_history",
    "publish_run",
    "timestamp_name",
]
