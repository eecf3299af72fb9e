"""Engines that run fleet tasks, and the retry loop every engine shares.

An engine runs each task once, enforces its timeout and yields outcomes as they finish; a
task that times out, whose worker dies, or that fails for a reason worth retrying comes back as
a FAILED outcome. `run_fleet` retries those rounds at a time and hands every final outcome to
the caller as it arrives, so nothing accumulates in the client.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

from auditor.errors import ConfigError
from auditor.fleet.model import RepoOutcome, RepoStatus, RepoTask, failed


class Engine(Protocol):
    """Runs tasks (each once, within its timeout) and yields their outcomes as they finish."""

    name: str

    def run(self, tasks: Sequence[RepoTask]) -> Iterator[RepoOutcome]:
        """Yield one outcome per task, in completion order."""
        ...

    def close(self) -> None:
        """Release the workers."""
        ...


def _memory_limit(megabytes: int | None) -> None:
    """Pool initializer: cap the worker's address space (a runaway task fails, not the host)."""
    if megabytes:
        import resource

        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


class LocalEngine:
    """A process pool on this machine (pebble): a task past its timeout has its worker killed.

    Args:
        workers: processes.
        memory_mb: address-space cap per worker (None: none).
        tasks_per_worker: a worker is replaced after this many tasks, bounding its memory.
    """

    name = "local"

    def __init__(
        self, workers: int, *, memory_mb: int | None = None, tasks_per_worker: int = 200
    ) -> None:
        import multiprocessing

        from pebble import ProcessPool

        # spawn: the client holds threads (progress bar); forking those can deadlock.
        self._pool = ProcessPool(
            max_workers=max(1, workers),
            max_tasks=tasks_per_worker,
            initializer=_memory_limit,
            initargs=(memory_mb,),
            context=multiprocessing.get_context("spawn"),
        )

    def run(self, tasks: Sequence[RepoTask]) -> Iterator[RepoOutcome]:
        """Schedule every task with its timeout; yield outcomes as they complete."""
        from concurrent.futures import Future, as_completed
        from concurrent.futures import TimeoutError as FutureTimeout

        from pebble import ProcessExpired

        from auditor.fleet.task import audit_repository

        futures: dict[Future[RepoOutcome], RepoTask] = {
            self._pool.schedule(audit_repository, args=(task,), timeout=task.task_timeout): task
            for task in tasks
        }
        try:
            for future in as_completed(futures):
                task = futures.pop(future)
                key = task.source.key
                try:
                    yield future.result()
                except FutureTimeout:
                    yield failed(
                        key,
                        f"timed out after {task.task_timeout:g} s",
                        retriable=True,
                        seconds=task.task_timeout,
                    )
                except ProcessExpired as exc:
                    yield failed(key, f"worker died (exit code {exc.exitcode})", retriable=True)
                except Exception as exc:  # noqa: BLE001 - e.g. a task that cannot be pickled
                    yield failed(key, f"crashed: {type(exc).__name__}: {exc}", retriable=True)
        finally:
            # Stopped early (Ctrl-C, an error in the caller): a cancelled running task has
            # its worker killed, so closing the pool does not wait for the rest.
            for future in futures:
                future.cancel()

    def close(self) -> None:
        """Stop the pool and wait for its processes."""
        self._pool.close()  # type: ignore[no-untyped-call]  # pebble leaves close unannotated
        self._pool.join()


EngineFactory = Callable[..., Engine]


def _dask(**options: object) -> Engine:
    from auditor.fleet.daskengine import DaskEngine

    return DaskEngine(**options)  # type: ignore[arg-type]  # options checked by the CLI


def _local(**options: object) -> Engine:
    options.pop("scheduler", None)
    options.pop("ship_store", None)
    return LocalEngine(**options)  # type: ignore[arg-type]  # options checked by the CLI


ENGINES: dict[str, EngineFactory] = {"local": _local, "dask": _dask}


def make_engine(name: str, **options: object) -> Engine:
    """Build the engine called `name` (``local`` or ``dask``)."""
    factory = ENGINES.get(name)
    if factory is None:
        raise ConfigError(f"unknown engine {name!r} (known: {', '.join(sorted(ENGINES))})")
    return factory(**options)


def run_fleet(
    engine: Engine,
    tasks: Sequence[RepoTask],
    *,
    retries: int,
    on_outcome: Callable[[RepoOutcome], None],
) -> None:
    """Run every task, retrying retriable failures up to `retries` times; report each final one."""
    by_key = {task.source.key: task for task in tasks}
    pending: list[RepoTask] = list(tasks)
    attempt = 1
    while pending:
        again: list[RepoTask] = []
        for outcome in engine.run(pending):
            final = dataclasses.replace(outcome, attempts=attempt)
            if final.status is RepoStatus.FAILED and final.retriable and attempt <= retries:
                again.append(by_key[final.key])
                continue
            on_outcome(final)
        pending = again
        attempt += 1


__all__ = ["ENGINES", "Engine", "LocalEngine", "make_engine", "run_fleet"]
