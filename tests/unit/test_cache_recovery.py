"""A damaged cache is moved aside and rebuilt, never a traceback; a killed run's temp files go."""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from pathlib import Path

import pytest
from conftest import run_cli

from auditor.cache import CACHE_FILE, Cache, remove_stale_temp_files


def _filled(folder: Path, count: int = 2000) -> Path:
    cache = Cache(folder)
    cache.set_many("ns", {f"key-{i:05d}": {"value": "x" * 200, "i": i} for i in range(count)})
    cache.close()
    path = folder / CACHE_FILE
    assert not path.with_name(CACHE_FILE + "-wal").exists()  # closing checkpointed the log
    assert path.stat().st_size > 100_000
    return path


def _assert_rebuilt(folder: Path, caplog: pytest.LogCaptureFixture, why: str) -> Cache:
    with caplog.at_level(logging.WARNING, logger="auditor.cache"):
        cache = Cache(folder)
    assert cache.get("ns", "key-00001") is None  # the old entries are gone ...
    cache.set("ns", "fresh", [1, 2])
    assert cache.get("ns", "fresh") == [1, 2]  # ... and the new file works
    assert (folder / (CACHE_FILE + ".corrupt")).is_file()
    (message,) = [r.getMessage() for r in caplog.records if r.name == "auditor.cache"]
    assert f"is damaged ({why}" in message
    assert "rebuilding it" in message
    return cache


def test_garbage_file_is_rebuilt(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / CACHE_FILE).write_bytes(os.urandom(5000))
    _assert_rebuilt(tmp_path, caplog, "not an SQLite database")


def test_text_file_is_rebuilt(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / CACHE_FILE).write_text("{'this': 'is not a database'}\n")
    _assert_rebuilt(tmp_path, caplog, "not an SQLite database")


@pytest.mark.parametrize("cut", ["half-pages", "mid-page", "header-only"])
def test_truncated_file_is_rebuilt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, cut: str
) -> None:
    path = _filled(tmp_path)
    size = path.stat().st_size
    keep = {
        "half-pages": (size // 2) // 4096 * 4096,
        "mid-page": size // 2 + 123,
        "header-only": 60,
    }
    with path.open("r+b") as handle:
        handle.truncate(keep[cut])
    reason = "not an SQLite database" if cut == "header-only" else "truncated"
    _assert_rebuilt(tmp_path, caplog, reason)


def test_wrong_columns_are_rebuilt(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    conn = sqlite3.connect(tmp_path / CACHE_FILE)
    conn.execute("CREATE TABLE entries (name TEXT, data BLOB)")
    conn.execute("INSERT INTO entries VALUES ('a', x'00')")
    conn.commit()
    conn.close()
    _assert_rebuilt(tmp_path, caplog, "a different schema")


def test_missing_primary_key_is_a_different_schema(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    conn = sqlite3.connect(tmp_path / CACHE_FILE)
    conn.execute(
        "CREATE TABLE entries (namespace TEXT, key TEXT, value TEXT, stored REAL, expires REAL)"
    )
    conn.commit()
    conn.close()
    _assert_rebuilt(tmp_path, caplog, "a different schema")


def test_entries_as_a_view_is_a_different_schema(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    conn = sqlite3.connect(tmp_path / CACHE_FILE)
    conn.execute("CREATE VIEW entries AS SELECT 1 AS namespace")
    conn.commit()
    conn.close()
    _assert_rebuilt(tmp_path, caplog, "")


def test_a_sound_cache_is_kept(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    _filled(tmp_path)
    with caplog.at_level(logging.WARNING, logger="auditor.cache"):
        cache = Cache(tmp_path)
    assert cache.get("ns", "key-01999") == {"value": "x" * 200, "i": 1999}
    assert not (tmp_path / (CACHE_FILE + ".corrupt")).exists()
    assert caplog.records == []


def test_an_empty_file_is_a_new_cache(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / CACHE_FILE).touch()
    with caplog.at_level(logging.WARNING, logger="auditor.cache"):
        cache = Cache(tmp_path)
    cache.set("ns", "k", 1)
    assert cache.get("ns", "k") == 1
    assert caplog.records == []


def test_corruption_found_mid_run_switches_the_cache_off_then_rebuilds(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = _filled(tmp_path)
    with caplog.at_level(logging.WARNING, logger="auditor.cache"):
        cache = Cache(tmp_path)  # sound when opened; damaged while the run goes on
        with path.open("r+b") as handle:  # keep the header, smash the b-tree pages after it
            handle.seek(4096 * 2)
            handle.write(b"\xa5" * 4096 * 8)
        keys = [f"key-{i:05d}" for i in range(2000)]
        assert cache.get_many("ns", keys) == {}
        assert cache.get("ns", "key-00001") is None  # off for the rest of the run
        cache.set("ns", "k", 1)
        assert cache.get("ns", "k") is None
    assert any("running without it" in r.getMessage() for r in caplog.records)
    assert (tmp_path / (CACHE_FILE + ".rebuild")).exists()
    cache.close()
    caplog.clear()
    reopened = _assert_rebuilt(tmp_path, caplog, "marked damaged by an earlier run")
    assert not (tmp_path / (CACHE_FILE + ".rebuild")).exists()
    reopened.close()


def test_a_damaged_value_reads_as_a_miss(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    cache.set("ns", "good", 1)
    conn = sqlite3.connect(tmp_path / CACHE_FILE)
    conn.execute("INSERT INTO entries VALUES ('ns', 'bad', '{not json', 0, NULL)")
    conn.commit()
    conn.close()
    assert cache.get("ns", "bad") is None
    assert cache.get_many("ns", ["good", "bad"]) == {"good": 1}


def test_an_unusable_folder_runs_without_the_cache(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with caplog.at_level(logging.WARNING, logger="auditor.cache"):
        cache = Cache(blocker / "cache")
    cache.set("ns", "k", 1)
    assert cache.get("ns", "k") is None
    assert cache.get_many("ns", ["k"]) == {}
    assert "running without the cache" in caplog.text


def test_leftover_temp_files_of_a_killed_run_are_removed(tmp_path: Path) -> None:
    old = time.time() - 2 * 3600
    leftovers = [
        ".cache.sqlite3.abc123.tmp",
        ".osv.sqlite3.x1.tmp",
        ".osv.sqlite3.x1.tmp-journal",
        ".top-packages.json.q.tmp",
        ".osv-bulk.k2.zip",
    ]
    for name in leftovers:
        (tmp_path / name).write_bytes(b"partial")
        os.utime(tmp_path / name, (old, old))
    (tmp_path / ".osv-bulk.now.zip").write_bytes(b"a download in progress")
    (tmp_path / "top-packages.json").write_text("{}")
    (tmp_path / "osv.sqlite3.tmp").write_text("not hidden: not ours")
    os.utime(tmp_path / "osv.sqlite3.tmp", (old, old))
    Cache(tmp_path).close()
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(CACHE_FILE)) == [
        ".osv-bulk.now.zip",
        "osv.sqlite3.tmp",
        "top-packages.json",
    ]
    assert remove_stale_temp_files(tmp_path) == 0


def test_scan_with_a_garbage_cache_runs_and_says_so(tmp_path: Path) -> None:
    cache = Path(os.environ["AUDITOR_CACHE_DIR"])
    (cache / CACHE_FILE).write_bytes(b"\x00garbage" * 1000)
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "requirements.txt").write_text("requests==2.32.3\n")
    (repo / "app.py").write_text("import requests\n")
    result = run_cli("scan", str(repo), "--format", "json", "--enable", "AUD5", "--offline")
    assert result.code in (0, 1), result.err
    assert "Traceback" not in result.err
    assert "is damaged (not an SQLite database); rebuilding it" in result.err
    assert (cache / (CACHE_FILE + ".corrupt")).is_file()
