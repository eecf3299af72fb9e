"""``auditor fleet``: audit many repositories at once; ``auditor fleet query`` asks the results."""

from __future__ import annotations

import argparse
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TextIO

from auditor.cli.options import add_gate_options, add_scan_options, config_from_args

if TYPE_CHECKING:
    from auditor.cli.main import Streams
    from auditor.config import Config
    from auditor.fleet.model import RepoOutcome
    from auditor.fleet.sources import RepoSource
    from auditor.fleet.summary import FleetReport

# The scan options a repository's config is resolved with (as `auditor scan` reads them).
_SCAN_KEYS = (
    "config",
    "offline",
    "allow_incomplete",
    "cache_dir",
    "timeout",
    "index_url",
    "osv_url",
    "enable",
    "disable",
    "fail_on",
)


_ENV_LOCK = threading.Lock()


def client_environment() -> tuple[tuple[str, str], ...]:
    """The variables config resolution reads (AUDITOR_*, PIP_*), as the client sees them."""
    return tuple(
        sorted((k, v) for k, v in os.environ.items() if k.startswith(("AUDITOR_", "PIP_")))
    )


@contextmanager
def _environment(env: tuple[tuple[str, str], ...]) -> Iterator[None]:
    """Resolve with the client's AUDITOR_*/PIP_* variables, not the worker's own."""
    with _ENV_LOCK:
        saved = {k: v for k, v in os.environ.items() if k.startswith(("AUDITOR_", "PIP_"))}
        for key in saved:
            del os.environ[key]
        os.environ.update(dict(env))
        try:
            yield
        finally:
            for key in dict(env):
                os.environ.pop(key, None)
            os.environ.update(saved)


@dataclass(frozen=True, slots=True)
class ScanConfigResolver:
    """Resolves a checkout's Config with the scan command's own `config_from_args` (picklable).

    It carries the client's options and AUDITOR_*/PIP_* environment, so a worker on another
    machine resolves each repository's config as ``auditor scan`` would on the client.
    """

    values: tuple[tuple[str, Any], ...]
    env: tuple[tuple[str, str], ...] = ()

    def __call__(self, root: Path) -> Config:
        """Return the Config ``auditor scan ROOT`` would use with these options."""
        with _environment(self.env):
            return config_from_args(argparse.Namespace(path=root, **dict(self.values)))

    def describe(self) -> str:
        """A stable text of the options and environment (part of the fleet fingerprint)."""
        return repr((sorted((k, str(v)) for k, v in self.values), self.env))


def _env(name: str) -> str | None:
    return os.environ.get(f"AUDITOR_{name}")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the fleet command."""
    parser = sub.add_parser(
        "fleet",
        help="audit many repositories (local pool or Dask); 'fleet query' asks the stored results",
        description="auditor fleet SOURCES audits every repository of SOURCES (a folder of "
        "checkouts, a file listing folders or git URLs, or a glob) as 'auditor scan' would. "
        "auditor fleet query --advisory ID | --package NAME [--version V] answers from the "
        "stored reports.",
    )
    parser.add_argument(
        "sources",
        metavar="SOURCES",
        help="folder of checkouts, list file (paths or git URLs), glob; or 'query'",
    )
    add_scan_options(parser, target=False)
    add_gate_options(parser)
    group = parser.add_argument_group("fleet")
    group.add_argument(
        "--engine",
        choices=("local", "dask"),
        default=_env("FLEET_ENGINE") or "local",
        help="local process pool (default) or dask.distributed (pip install 'auditor[fleet]')",
    )
    group.add_argument(
        "--scheduler",
        default=_env("FLEET_SCHEDULER"),
        metavar="ADDRESS",
        help="Dask scheduler address (default: a LocalCluster)",
    )
    group.add_argument(
        "--workers", type=int, default=None, help="worker processes (default: the CPUs available)"
    )
    group.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="stored reports and the inventory (default <cache dir>/fleet); "
        "every worker must reach it",
    )
    group.add_argument(
        "--work-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="where git URLs are cloned (default <state dir>/checkouts)",
    )
    group.add_argument(
        "--task-timeout",
        type=float,
        default=900.0,
        metavar="SECONDS",
        help="time limit per repository (default 900)",
    )
    group.add_argument(
        "--git-timeout",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="time limit per git command (default 120)",
    )
    group.add_argument(
        "--retries",
        type=int,
        default=1,
        help="further attempts for a failed repository (default 1)",
    )
    group.add_argument(
        "--worker-memory", type=int, default=None, metavar="MB", help="memory cap per worker"
    )
    group.add_argument(
        "--ship-store",
        action="store_true",
        help="dask: send the advisory store to each worker once instead of "
        "reading it from the shared cache folder",
    )
    group.add_argument(
        "--rescan", action="store_true", help="audit every repository even if its report is stored"
    )
    group.add_argument(
        "-f",
        "--format",
        choices=("console", "json", "markdown", "html"),
        default="console",
        help="what to print (default console)",
    )
    group.add_argument(
        "-o", "--output", type=Path, default=None, help="write the printed report to this file"
    )
    group.add_argument(
        "--output-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="where fleet.json, fleet.md and fleet.html go (default <state dir>/report)",
    )
    group.add_argument("--exit-zero", action="store_true", help="exit 0 even with findings")
    query = parser.add_argument_group("query (auditor fleet query ...)")
    query.add_argument("--advisory", metavar="ID", help="who is affected by this advisory")
    query.add_argument("--package", metavar="NAME", help="who uses this package")
    query.add_argument(
        "--version",
        dest="package_version",
        metavar="VERSION",
        help="with --package: only this version",
    )
    parser.set_defaults(run=run)


def _cache_dir(args: argparse.Namespace) -> Path:
    from auditor.cache import default_cache_dir

    chosen = args.cache_dir or _env("CACHE_DIR")
    return Path(chosen).resolve() if chosen else default_cache_dir()


def run(args: argparse.Namespace, streams: Streams) -> int:
    """Run the fleet (or a query) and return the exit code."""
    from auditor.errors import ConfigError

    cache_dir = _cache_dir(args)
    state_dir: Path = (args.state_dir or cache_dir / "fleet").resolve()
    if args.sources == "query":
        return _query(args, streams, state_dir, cache_dir)
    if args.advisory or args.package:
        raise ConfigError("--advisory and --package belong to 'auditor fleet query'")
    for name in ("task_timeout", "git_timeout"):
        if not getattr(args, name) > 0:
            raise ConfigError(f"--{name.replace('_', '-')}: expected a positive number")
    if args.retries < 0 or (args.workers is not None and args.workers < 1):
        raise ConfigError("--retries must be >= 0 and --workers >= 1")
    if args.environment:
        raise ConfigError(
            "--environment reads this machine's installed packages: not a fleet option"
        )
    if args.scheduler and args.engine != "dask":
        raise ConfigError("--scheduler needs --engine dask")
    if args.engine == "dask" and args.verbose < 2:
        _quiet_dask()
    report = _audit(args, streams, state_dir, cache_dir)
    _write(args, streams, state_dir, report)
    return 0 if args.exit_zero else report.exit_code


def _quiet_dask() -> None:
    """Keep Dask's start-up and shut-down chatter (INFO lines) off stderr unless -vv."""
    import importlib
    import logging

    try:
        importlib.import_module("distributed")  # it sets its loggers' levels when imported
    except ImportError:
        return  # the engine reports the missing extra
    logging.getLogger("distributed").setLevel(logging.WARNING)


def _audit(args: argparse.Namespace, streams: Streams, state: Path, cache: Path) -> FleetReport:
    from auditor.fleet.run import FleetOptions, run_fleet_sources
    from auditor.fleet.sources import parse_sources

    sources = parse_sources(args.sources)
    values = {key: getattr(args, key, None) for key in _SCAN_KEYS}
    values["cache_dir"] = cache
    for key in ("enable", "disable"):
        chosen = values[key]
        values[key] = list(chosen) if isinstance(chosen, list) and chosen else None
    resolver = ScanConfigResolver(tuple(sorted(values.items())), client_environment())
    from auditor.imports.scanner import default_workers  # the usable CPUs, on every platform

    workers = args.workers or default_workers()
    options = FleetOptions(
        state_dir=state,
        work_dir=(args.work_dir or state / "checkouts").resolve(),
        cache_dir=cache,
        resolve=resolver,
        settings=resolver.describe(),
        engine=args.engine,
        workers=workers,
        scheduler=args.scheduler,
        memory_mb=args.worker_memory,
        ship_store=args.ship_store,
        task_timeout=args.task_timeout,
        git_timeout=args.git_timeout,
        retries=args.retries,
        force=args.rescan,
        allow_incomplete=bool(args.allow_incomplete)
        or (_env("ALLOW_INCOMPLETE") or "").strip().lower() in {"1", "true", "yes", "on"},
    )
    with FleetProgress(streams.err, len(sources)) as progress:
        return run_fleet_sources(sources, options, on_outcome=progress.update)


def _write(args: argparse.Namespace, streams: Streams, state: Path, report: FleetReport) -> None:
    from auditor.cli.options import write_report
    from auditor.fleet.render import render, write_all

    folder = args.output_dir or state / "report"
    written = write_all(report, folder)
    text = _console(report) if args.format == "console" else render(report, args.format)
    write_report(text, args.output, streams.out)
    streams.say(f"fleet report: {', '.join(str(p) for p in written)}")


def _console(report: FleetReport) -> str:
    from auditor.cli.terminal import one_line

    data = report.data
    status = data["status"]
    sev = data["findings"]
    lines = [
        f"{data['repositories_total']} repositories: {status['scanned']} scanned, "
        f"{status['unchanged']} unchanged, {status['failed']} failed",
        "findings: " + ", ".join(f"{n} {s}" for s, n in sev.items()),
    ]
    lines.extend(
        f"  failed: {one_line(repo['name'])}: {one_line(repo['error'] or '')}"
        for repo in data["repositories"]
        if repo["status"] == "failed"
    )
    lines.extend(
        f"  risky shared dependency: {one_line(row['package'])} "
        f"({row['worst_severity']}, {row['repositories_with_findings']} of "
        f"{row['repositories_using']} repositories with findings)"
        for row in data["riskiest_shared_dependencies"][:10]
    )
    return "\n".join(lines) + "\n"


def _query(args: argparse.Namespace, streams: Streams, state: Path, cache: Path) -> int:
    import json

    from auditor.advisories.store import STORE_FILE
    from auditor.cli.terminal import one_line
    from auditor.errors import ConfigError
    from auditor.fleet.inventory import INVENTORY_FILE, Inventory
    from auditor.fleet.query import affected_by, who_uses

    if bool(args.advisory) == bool(args.package):
        raise ConfigError("fleet query: give --advisory ID or --package NAME [--version V]")
    if not (state / INVENTORY_FILE).is_file():
        raise ConfigError(f"{state}: no fleet results (run 'auditor fleet SOURCES' first)")
    with Inventory(state) as inventory:
        if args.advisory:
            answer = affected_by(inventory, args.advisory, store=cache / STORE_FILE)
        else:
            answer = who_uses(inventory, args.package, args.package_version)
    if args.format == "json":
        streams.out.write(json.dumps(answer.to_json(), indent=2, ensure_ascii=False) + "\n")
    else:
        repos = sorted({h.repo for h in answer.hits})
        streams.out.write(
            f"{one_line(answer.question)}: {len(repos)} of {answer.repositories} repositories\n"
        )
        for hit in answer.hits:
            extra = f" {hit.severity} {hit.rule_id} at {hit.location}" if hit.rule_id else ""
            stale = " (last report; the latest run failed)" if hit.stale else ""
            streams.out.write(
                f"  {one_line(hit.repo)}: {one_line(hit.package)} "
                f"{one_line(hit.version or '-')} [{hit.how}]{one_line(extra)}"
                f"{stale}\n"
            )
        if answer.note:
            streams.say(f"note: {answer.note}")
    return 0


class FleetProgress:
    """A rich progress bar with counts (scanned, unchanged, failed) on a terminal; else nothing."""

    def __init__(self, stream: TextIO, total: int) -> None:
        from auditor.cli.progress import wants_progress

        self.counts = {"scanned": 0, "unchanged": 0, "failed": 0}
        self._progress: Any = None
        if wants_progress(stream):
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self._progress = Progress(
                TextColumn("repositories"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[counts]}"),
                TimeElapsedColumn(),
                console=Console(file=stream),
                transient=True,
            )
            self._task = self._progress.add_task("fleet", total=total, counts=self._text())

    def _text(self) -> str:
        return ", ".join(f"{n} {k}" for k, n in self.counts.items())

    def __enter__(self) -> FleetProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def update(self, source: RepoSource, outcome: RepoOutcome) -> None:
        """Count one finished repository."""
        del source
        self.counts[str(outcome.status)] += 1
        if self._progress is not None:
            self._progress.update(self._task, advance=1, counts=self._text())


__all__ = ["FleetProgress", "ScanConfigResolver", "register", "run"]
