"""The SQLite cache: TTLs, batches, threads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from auditor.cache import Cache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_ttl_and_max_age(tmp_path: Path) -> None:
    clock = Clock()
    cache = Cache(tmp_path, clock=clock)
    cache.set("ns", "k", {"a": 1}, ttl=10)
    assert cache.get("ns", "k") == {"a": 1}
    clock.now += 5
    assert cache.get("ns", "k", max_age=2) is None
    clock.now += 6
    assert cache.get("ns", "k") is None


def test_many_and_namespaces(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    cache.set_many("a", {str(i): i for i in range(1200)})
    cache.set("b", "1", "other")
    got = cache.get_many("a", [str(i) for i in range(0, 1300, 100)])
    assert got == {str(i): i for i in range(0, 1200, 100)}
    cache.delete_namespace("a")
    assert cache.get("a", "5") is None
    assert cache.get("b", "1") == "other"


def test_threads_share_one_file(tmp_path: Path) -> None:
    cache = Cache(tmp_path)

    def work(i: int) -> object:
        cache.set("t", str(i), i)
        return cache.get("t", str(i))

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(work, range(100))) == list(range(100))
    assert Cache(tmp_path).get("t", "42") == 42
