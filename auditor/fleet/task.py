"""One fleet task: fetch a repository, audit it as ``auditor scan`` does, store the report.

Runs on a worker (a pool process or a Dask worker). It returns a small `RepoOutcome`; the JSON
report goes straight to the report store on disk, so the client never holds reports.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.errors import AuditorError, ConfigError
from auditor.fleet.git import GitError, head_commit, remote_head, shallow_clone
from auditor.fleet.indexshare import SharedIndexLookup
from auditor.fleet.model import RepoOutcome, RepoStatus, RepoTask, failed
from auditor.fleet.reportstore import ReportStore
from auditor.fleet.revision import content_hash

if TYPE_CHECKING:
    from auditor.rules.catalog import RuleCatalog

log = logging.getLogger(__name__)


def _checkout(task: RepoTask, store: ReportStore) -> tuple[Path | None, str, RepoOutcome | None]:
    """Return (folder, revision, stored outcome); the folder is None when the stored one serves."""
    source = task.source
    if source.is_url:
        commit = remote_head(source.location, timeout=task.git_timeout)
        if not task.force and (hit := store.stored(source.key, commit, task.fingerprint)):
            return None, commit, hit
        folder = task.work_dir / source.key
        if head_commit(folder, timeout=task.git_timeout) != commit:
            commit = shallow_clone(source.location, folder, timeout=task.git_timeout) or commit
        return folder, commit, None
    folder = Path(source.location)
    if not folder.is_dir():
        raise ConfigError(f"{source.origin}: {source.location}: no such folder")
    revision = head_commit(folder, timeout=task.git_timeout) or content_hash(folder)
    if not task.force and (hit := store.stored(source.key, revision, task.fingerprint)):
        return None, revision, hit
    return folder, revision, None


def _cache_dir(task: RepoTask) -> Path | None:
    if task.snapshot is None:
        return task.cache_dir
    from auditor.fleet.snapshot import snapshot_dir

    return snapshot_dir(task.snapshot)


_RULES: dict[Path | None, RuleCatalog] = {}


def _rules(cache_dir: Path | None) -> RuleCatalog:
    """The rule catalogue, read once per worker process (what `run_audit` would load itself)."""
    if cache_dir not in _RULES:
        from auditor.cache import default_cache_dir
        from auditor.rules.catalog import load_rules

        _RULES[cache_dir] = load_rules(validated_dir=cache_dir or default_cache_dir())
    return _RULES[cache_dir]


def audit_folder(task: RepoTask, folder: Path) -> tuple[str, int, dict[str, int]]:
    """Audit one checkout as ``auditor scan --format json`` does: (report text, exit code, counts).

    The config comes from the scan command's own resolution (`task.resolve`); the fleet only
    points every repository at the one shared cache and store.
    """
    from auditor.pipeline import exit_code, run_audit
    from auditor.report.json import REPORTER

    config = task.resolve(folder)
    cache_dir = _cache_dir(task)
    if cache_dir is not None:
        config = dataclasses.replace(config, cache_dir=cache_dir)
    rules = _rules(config.cache_dir)
    result = run_audit(config, rules=rules, index_lookup=SharedIndexLookup(config))
    return REPORTER.render(result), exit_code(result, config), result.summary()


def audit_repository(task: RepoTask) -> RepoOutcome:
    """Run one task; every failure becomes a FAILED outcome naming its cause."""
    start = time.monotonic()
    key = task.source.key
    store = ReportStore(task.state_dir)
    try:
        folder, revision, hit = _checkout(task, store)
        if hit is not None:
            return dataclasses.replace(
                hit, status=RepoStatus.UNCHANGED, seconds=time.monotonic() - start, attempts=1
            )
        assert folder is not None  # noqa: S101 - _checkout returns one or the other
        try:
            text, code, summary = audit_folder(task, folder)
        finally:
            if task.source.is_url:
                # The report is what is kept: a clone is only read once, so disk stays bounded.
                shutil.rmtree(folder, ignore_errors=True)
    except GitError as exc:
        return failed(key, str(exc), retriable=True, seconds=time.monotonic() - start)
    except ConfigError as exc:
        return failed(
            key, f"configuration error: {exc}", retriable=False, seconds=time.monotonic() - start
        )
    except AuditorError as exc:
        return failed(key, str(exc), retriable=True, seconds=time.monotonic() - start)
    except Exception as exc:  # noqa: BLE001 - one repository's crash must not end the fleet
        log.debug("fleet task %s crashed:\n%s", key, traceback.format_exc())
        where = traceback.extract_tb(exc.__traceback__)[-1:]
        at = f" at {Path(where[0].filename).name}:{where[0].lineno}" if where else ""
        return failed(
            key,
            f"crashed: {type(exc).__name__}: {exc}{at}",
            retriable=True,
            seconds=time.monotonic() - start,
        )
    outcome = RepoOutcome(
        key=key,
        status=RepoStatus.SCANNED,
        revision=revision,
        exit_code=code,
        summary=summary,
        seconds=time.monotonic() - start,
    )
    return store.write(outcome, text, task.fingerprint)


__all__ = ["audit_folder", "audit_repository"]
