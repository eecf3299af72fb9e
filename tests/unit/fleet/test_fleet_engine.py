"""The retry loop and the local engine: timeouts, dead workers, retries, streaming outcomes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from fleet_helpers import DyingResolver, SlowResolver

from auditor.fleet.engine import LocalEngine, run_fleet
from auditor.fleet.model import ConfigResolver, RepoOutcome, RepoStatus, RepoTask, failed
from auditor.fleet.sources import RepoSource


def _task(tmp_path: Path, name: str, resolve: ConfigResolver, timeout: float = 60.0) -> RepoTask:
    folder = tmp_path / name
    folder.mkdir(exist_ok=True)
    (folder / "requirements.txt").write_text("click==8.1.0\n")
    source = RepoSource(name=name, location=str(folder), is_url=False, origin="test")
    return RepoTask(
        source=source,
        state_dir=tmp_path / "state",
        work_dir=tmp_path / "work",
        fingerprint="f",
        resolve=resolve,
        cache_dir=tmp_path / "cache",
        task_timeout=timeout,
    )


class FlakyEngine:
    """Fails each task `failures` times (retriable unless the name says 'fatal'), then passes."""

    name = "flaky"

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls: dict[str, int] = {}

    def run(self, tasks: Sequence[RepoTask]) -> Iterator[RepoOutcome]:
        for task in tasks:
            key = task.source.key
            self.calls[key] = self.calls.get(key, 0) + 1
            if "fatal" in key:
                yield failed(key, "bad config", retriable=False)
            elif self.calls[key] <= self.failures:
                yield failed(key, "timed out", retriable=True)
            else:
                yield RepoOutcome(key=key, status=RepoStatus.SCANNED, revision="r")

    def close(self) -> None:
        return None


def test_retriable_failures_are_retried_then_reported(tmp_path: Path) -> None:
    tasks = [_task(tmp_path, n, SlowResolver(0)) for n in ("a", "b", "fatal")]
    engine = FlakyEngine(failures=1)
    seen: list[RepoOutcome] = []
    run_fleet(engine, tasks, retries=1, on_outcome=seen.append)
    by_name = {o.key.split("-")[0]: o for o in seen}
    assert by_name["a"].status is RepoStatus.SCANNED
    assert by_name["a"].attempts == 2
    assert by_name["fatal"].status is RepoStatus.FAILED
    assert by_name["fatal"].attempts == 1
    assert len(seen) == 3
    engine = FlakyEngine(failures=5)
    seen.clear()
    run_fleet(engine, tasks[:1], retries=2, on_outcome=seen.append)
    (only,) = seen
    assert (only.status, only.attempts, only.error) == (RepoStatus.FAILED, 3, "timed out")


def test_local_engine_kills_a_task_past_its_timeout(tmp_path: Path) -> None:
    resolver = SlowResolver(30)
    tasks = [_task(tmp_path, "slow", resolver, timeout=2), _task(tmp_path, "fast", resolver)]
    engine = LocalEngine(2)
    try:
        outcomes = {o.key.split("-")[0]: o for o in engine.run(tasks)}
    finally:
        engine.close()
    assert outcomes["slow"].status is RepoStatus.FAILED
    assert outcomes["slow"].error == "timed out after 2 s"
    assert outcomes["slow"].retriable
    assert outcomes["fast"].status is RepoStatus.SCANNED
    assert outcomes["fast"].report is not None
    assert Path(outcomes["fast"].report).is_file()


def test_local_engine_survives_a_dying_worker(tmp_path: Path) -> None:
    tasks = [_task(tmp_path, "dies", DyingResolver()), _task(tmp_path, "lives", DyingResolver())]
    engine = LocalEngine(1)
    try:
        outcomes = {o.key.split("-")[0]: o for o in engine.run(tasks)}
    finally:
        engine.close()
    assert outcomes["dies"].status is RepoStatus.FAILED
    assert outcomes["dies"].error == "worker died (exit code 9)"
    assert outcomes["lives"].status is RepoStatus.SCANNED


def test_a_dask_task_past_its_timeout_is_answered_at_once(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    import time

    from auditor.fleet.daskengine import audit_with_timeout

    task = _task(tmp_path, "slow", SlowResolver(2), timeout=0.5)
    start = time.monotonic()
    outcome = audit_with_timeout(task)
    assert time.monotonic() - start < 1.5
    assert (outcome.status, outcome.error) == (RepoStatus.FAILED, "timed out after 0.5 s")
    assert outcome.retriable
    fast = audit_with_timeout(_task(tmp_path, "fast", SlowResolver(0)))
    assert fast.status is RepoStatus.SCANNED
