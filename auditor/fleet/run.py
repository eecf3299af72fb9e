"""A whole fleet run: tasks out to an engine, outcomes into the inventory, one fleet report out."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from auditor import __version__
from auditor.fleet.engine import make_engine, run_fleet
from auditor.fleet.inventory import Inventory
from auditor.fleet.model import ConfigResolver, RepoOutcome, RepoTask
from auditor.fleet.sources import RepoSource
from auditor.fleet.summary import FleetReport, build_fleet_report


@dataclass(frozen=True, slots=True, kw_only=True)
class FleetOptions:
    """How to run a fleet (the CLI fills it from its options).

    Attributes:
        state_dir: reports and the inventory (every worker must be able to write here).
        work_dir: where URLs are cloned.
        cache_dir: the one cache and advisory store.
        resolve: the scan command's config resolution for one checkout.
        settings: a stable text of the options that change reports (part of the fingerprint).
        engine: ``local`` or ``dask``.
        workers: processes (local) or LocalCluster workers (dask).
        scheduler: a Dask scheduler address (None: a LocalCluster).
        memory_mb: memory cap per worker.
        ship_store: send the store to the workers as a snapshot instead of a shared path.
        task_timeout: seconds one repository may take.
        git_timeout: seconds one git command may take.
        retries: further attempts for a failed repository.
        force: audit even repositories whose report for this revision is stored.
        allow_incomplete: a failed or incomplete repository does not fail the fleet.
    """

    state_dir: Path
    work_dir: Path
    cache_dir: Path
    resolve: ConfigResolver
    settings: str = ""
    engine: str = "local"
    workers: int = 2
    scheduler: str | None = None
    memory_mb: int | None = None
    ship_store: bool = False
    task_timeout: float = 900.0
    git_timeout: float = 120.0
    retries: int = 1
    force: bool = False
    allow_incomplete: bool = False


def _file_stamp(path: Path) -> list[int]:
    try:
        stat = path.stat()
    except OSError:
        return [0, 0]
    return [stat.st_size, stat.st_mtime_ns]


def _rules_digest() -> str:
    from auditor.config import rules_dir

    digest = hashlib.sha256()
    for path in sorted(rules_dir().rglob("*")):
        if path.is_file():
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def fleet_fingerprint(options: FleetOptions) -> str:
    """Hash what besides a repository's content decides its report.

    The tool version, the options, the rules and the advisory store's file: when any of them
    changes, every repository is audited again; otherwise only changed repositories are.
    """
    from auditor.advisories.store import STORE_FILE

    parts = {
        "version": __version__,
        "settings": options.settings,
        "rules": _rules_digest(),
        "store": _file_stamp(options.cache_dir / STORE_FILE),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def run_fleet_sources(
    sources: Sequence[RepoSource],
    options: FleetOptions,
    *,
    on_outcome: Callable[[RepoSource, RepoOutcome], None] | None = None,
) -> FleetReport:
    """Audit every repository (changed ones only), index the reports, return the fleet report."""
    from auditor.advisories.store import STORE_FILE

    started = time.monotonic()
    fingerprint = fleet_fingerprint(options)
    tasks = [
        RepoTask(
            source=source,
            state_dir=options.state_dir,
            work_dir=options.work_dir,
            fingerprint=fingerprint,
            resolve=options.resolve,
            cache_dir=options.cache_dir,
            git_timeout=options.git_timeout,
            task_timeout=options.task_timeout,
            force=options.force,
        )
        for source in sources
    ]
    by_key = {source.key: source for source in sources}
    ship = options.cache_dir / STORE_FILE if options.ship_store else None
    engine_options: dict[str, object] = {"workers": options.workers, "memory_mb": options.memory_mb}
    if options.engine == "dask":
        engine_options.update(scheduler=options.scheduler, ship_store=ship)
    engine = make_engine(options.engine, **engine_options)
    with Inventory(options.state_dir) as inventory:

        def record(outcome: RepoOutcome) -> None:
            source = by_key[outcome.key]
            inventory.record(source, outcome)
            if on_outcome is not None:
                on_outcome(source, outcome)

        try:
            run_fleet(engine, tasks, retries=options.retries, on_outcome=record)
        finally:
            engine.close()
        inventory.prune(by_key)
        run = {
            "fingerprint": fingerprint,
            "seconds": round(time.monotonic() - started, 3),
            "workers": options.workers,
        }
        return build_fleet_report(
            inventory, allow_incomplete=options.allow_incomplete, engine=options.engine, run=run
        )


__all__ = ["FleetOptions", "fleet_fingerprint", "run_fleet_sources"]
