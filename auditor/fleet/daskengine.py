"""The Dask engine: fleet tasks on a dask.distributed cluster (optional extra ``auditor[fleet]``).

Only this module imports Dask, and only ``auditor fleet --engine dask`` imports this module.
Without a scheduler address it starts a `LocalCluster` of worker processes. The advisory store
is read from the shared cache folder, or with `ship_store` sent once to every worker as a
read-only snapshot. Dask cannot interrupt a running task: a task past its timeout is answered
as failed at once and its thread left to end on its own (its network calls end at their
deadlines).
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any
from uuid import uuid4

from auditor.errors import ConfigError
from auditor.fleet.model import RepoOutcome, RepoTask, failed


def audit_with_timeout(task: RepoTask) -> RepoOutcome:
    """Run one task on a Dask worker, answering FAILED when it passes its timeout."""
    from auditor.fleet.task import audit_repository

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fleet-task")
    try:
        return pool.submit(audit_repository, task).result(timeout=task.task_timeout)
    except FutureTimeout:
        return failed(
            task.source.key,
            f"timed out after {task.task_timeout:g} s",
            retriable=True,
            seconds=task.task_timeout,
        )
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


class DaskEngine:
    """Runs tasks on a Dask cluster.

    Args:
        workers: worker processes of the LocalCluster started when `scheduler` is None.
        scheduler: address of a running scheduler (``tcp://host:8786``).
        memory_mb: memory limit per LocalCluster worker (None: Dask's default).
        ship_store: store file to send to every worker as a snapshot (None: shared path).
    """

    name = "dask"

    def __init__(
        self,
        workers: int,
        *,
        scheduler: str | None = None,
        memory_mb: int | None = None,
        tasks_per_worker: int = 0,
        ship_store: Path | None = None,
    ) -> None:
        try:
            # Typed as Any: dask.distributed ships no annotations for these calls.
            dist: Any = importlib.import_module("distributed")
        except ImportError as exc:
            raise ConfigError(
                "--engine dask needs the fleet extra: pip install 'auditor[fleet]'"
            ) from exc
        del tasks_per_worker  # Dask restarts workers on its own memory limits
        self._cluster: Any = None
        if scheduler:
            self._client: Any = dist.Client(scheduler, timeout=30)
        else:
            self._cluster = dist.LocalCluster(
                n_workers=max(1, workers),
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                host="127.0.0.1",
                memory_limit=f"{memory_mb}MiB" if memory_mb else "auto",
            )
            self._client = dist.Client(self._cluster)
        self.snapshot: str | None = None
        if ship_store is not None:
            self.snapshot = self._ship(ship_store)

    def _ship(self, store: Path) -> str:
        """Send the store to every worker once; return the snapshot's digest."""
        from auditor.fleet.snapshot import install_snapshot, snapshot_digest

        data = store.read_bytes() if store.is_file() else b""
        digest = snapshot_digest(data)
        if data:
            self._client.run(install_snapshot, data, digest)
        return digest

    def run(self, tasks: Sequence[RepoTask]) -> Iterator[RepoOutcome]:
        """Submit every task; yield outcomes as they complete, releasing each result."""
        as_completed: Any = importlib.import_module("distributed").as_completed
        if self.snapshot is not None:
            tasks = [dataclasses.replace(t, snapshot=self.snapshot) for t in tasks]
        run_id = uuid4().hex[:8]
        keys = [f"auditor-fleet-{t.source.key}-{run_id}" for t in tasks]
        futures = self._client.map(audit_with_timeout, tasks, key=keys, pure=False)
        by_key = {f.key: t for f, t in zip(futures, tasks, strict=True)}
        pending = {f.key: f for f in futures}
        done = as_completed(futures)
        del futures  # each future is held by `pending` until it is handed out, then dropped
        try:
            for future in done:
                task = by_key.pop(future.key)
                pending.pop(future.key)
                try:
                    outcome: RepoOutcome = future.result()
                except Exception as exc:  # noqa: BLE001 - a killed worker, a task that would not run
                    outcome = failed(
                        task.source.key,
                        f"worker failed: {type(exc).__name__}: {exc}",
                        retriable=True,
                    )
                # Only the small outcome comes back; drop the result on the cluster at once.
                future.release()
                yield outcome
        finally:
            if pending:  # stopped early: drop what has not run
                self._client.cancel(list(pending.values()))

    def close(self) -> None:
        """Close the client and the LocalCluster it started."""
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


__all__ = ["DaskEngine", "audit_with_timeout"]
