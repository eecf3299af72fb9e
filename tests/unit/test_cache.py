"""The SQLite cache: TTLs, batches, threads."""

from __future__ import annotations

import os
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from auditor.cache import CACHE_FILE, Cache, default_cache_dir


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


def test_failed_batch_stores_nothing(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    cache.set("ns", "kept", 1)
    with pytest.raises(TypeError):
        cache.set_many("ns", {"a": 1, "b": object()})
    assert cache.get_many("ns", ["a", "b", "kept"]) == {"kept": 1}
    cache.set_many("ns", {"a": 2})  # the connection is usable after the rollback
    assert cache.get("ns", "a") == 2


def test_expired_entries_are_left_out_of_get_many(tmp_path: Path) -> None:
    clock = Clock()
    cache = Cache(tmp_path, clock=clock)
    cache.set_many("ns", {"short": 1}, ttl=5)
    cache.set_many("ns", {"long": 2}, ttl=50)
    cache.set("ns", "forever", 3)
    clock.now += 10
    assert cache.get_many("ns", ["short", "long", "forever", "absent"]) == {"long": 2, "forever": 3}
    assert cache.get_many("ns", []) == {}


def test_get_many_reads_past_one_sql_chunk(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    items = {f"k{i}": i for i in range(1201)}
    cache.set_many("ns", items)
    assert cache.get_many("ns", list(items)) == items


def test_delete_namespace_and_close_reopen(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    cache.set("a", "k", [1, "x"])
    cache.set("b", "k", {"y": None})
    cache.delete_namespace("a")
    assert cache.get("a", "k") is None
    cache.close()
    cache.close()  # closing twice is harmless
    assert cache.get("b", "k") == {"y": None}  # a closed cache reconnects on use
    assert Cache(tmp_path).get("b", "k") == {"y": None}  # the data is on disk


def test_default_directory_is_the_user_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "auditor"
    cache = Cache()
    assert cache.path == tmp_path / "xdg" / "auditor" / "cache.sqlite3"
    cache.set("ns", "k", True)
    assert cache.path.is_file()


def test_expired_entries_are_deleted_once_a_day(tmp_path: Path) -> None:
    now = [1_000_000.0]
    cache = Cache(tmp_path, clock=lambda: now[0])
    cache.set("ns", "old", 1, ttl=10)
    cache.set("ns", "kept", 2, ttl=10_000)
    cache.set("ns", "forever", 3)
    cache.close()
    now[0] += 100  # "old" has expired

    def rows() -> set[str]:
        with sqlite3.connect(tmp_path / CACHE_FILE) as conn:
            return {key for (key,) in conn.execute("SELECT key FROM entries")}

    Cache(tmp_path, clock=lambda: now[0]).close()  # pruned already today (at creation)
    assert rows() == {"old", "kept", "forever"}
    stamp = tmp_path / (CACHE_FILE + ".pruned")
    os.utime(stamp, (0, 0))  # a day and more ago
    Cache(tmp_path, clock=lambda: now[0]).close()
    assert rows() == {"kept", "forever"}
