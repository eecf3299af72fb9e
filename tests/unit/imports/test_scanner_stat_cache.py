"""The scan cache: one entry per folder, keyed by stat; a warm scan reads no file contents."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from auditor.cache import Cache
from auditor.imports import scanner
from auditor.imports.scanner import scan_files


@pytest.fixture
def trust_now(monkeypatch: pytest.MonkeyPatch) -> None:
    """Treat files written just now as old enough to remember by stat (no sleeping)."""
    monkeypatch.setattr(scanner, "RECENT_SECONDS", -60.0)


def _tree(root: Path, count: int) -> list[str]:
    names = []
    for i in range(count):
        (root / f"m{i}.py").write_text(f"import os\nimport mod{i}\n", encoding="utf-8")
        names.append(f"m{i}.py")
    return names


def _modules(result: scanner.ScanResult) -> list[tuple[str, str]]:
    return sorted((s.path, s.module) for s in result.sites)


def test_warm_scan_reads_nothing(tmp_path: Path, trust_now: None) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    files = _tree(repo, 20)
    cache = Cache(tmp_path / "cache")
    cold = scan_files(repo, files, cache=cache, workers=1)
    assert (cold.read, cold.parsed, cold.cached) == (20, 20, 0)
    warm = scan_files(repo, files, cache=cache, workers=1)
    assert (warm.read, warm.parsed, warm.cached) == (0, 0, 20)
    assert _modules(warm) == _modules(cold)
    cache.close()


def test_changed_files_are_read_again(tmp_path: Path, trust_now: None) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    files = _tree(repo, 5)
    cache = Cache(tmp_path / "cache")
    scan_files(repo, files, cache=cache, workers=1)
    # Another size.
    (repo / "m0.py").write_text("import json\n", encoding="utf-8")
    # The same size and the old mtime put back (as `touch -r` or rsync -t would): the ctime moves.
    target = repo / "m1.py"
    before = target.stat()
    target.write_text("import mod9\n" + "#" * (before.st_size - 12), encoding="utf-8")
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert target.stat().st_size == before.st_size
    again = scan_files(repo, files, cache=cache, workers=1)
    assert again.read == 2
    modules = {p: m for p, m in _modules(again) if m != "os"}
    assert modules["m0.py"] == "json"
    assert modules["m1.py"] == "mod9"
    cache.close()


def test_recently_changed_files_are_not_trusted_by_stat(tmp_path: Path) -> None:
    """Files changed within the last RECENT_SECONDS may change again in the same tick."""
    repo = tmp_path / "repo"
    repo.mkdir()
    files = _tree(repo, 3)
    cache = Cache(tmp_path / "cache")
    scan_files(repo, files, cache=cache, workers=1)
    warm = scan_files(repo, files, cache=cache, workers=1)
    assert warm.read == 3  # just written: read (and hashed) again
    assert warm.parsed == 0  # but the content cache still saves the parse
    cache.close()


def test_a_dropped_cache_reads_and_parses_again(tmp_path: Path, trust_now: None) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    files = _tree(repo, 3)
    cache = Cache(tmp_path / "cache")
    scan_files(repo, files, cache=cache, workers=1)
    cache.delete_namespace(scanner.CACHE_NAMESPACE)
    again = scan_files(repo, files, cache=cache, workers=1)
    assert (again.read, again.parsed) == (3, 3)
    assert len([s for s in again.sites if s.module == "os"]) == 3
    cache.close()


def test_touched_file_with_the_same_bytes_is_read_not_parsed(
    tmp_path: Path, trust_now: None
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    files = _tree(repo, 4)
    cache = Cache(tmp_path / "cache")
    cold = scan_files(repo, files, cache=cache, workers=1)
    target = repo / "m2.py"
    target.write_bytes(target.read_bytes())  # as a git checkout of the same content would
    stat = target.stat()
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    again = scan_files(repo, files, cache=cache, workers=1)
    assert (again.read, again.parsed, again.cached) == (1, 0, 4)
    assert again.sites == cold.sites
    cache.close()


def test_one_entry_per_folder_rewritten_only_where_something_changed(
    tmp_path: Path, trust_now: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    for folder in ("a", "b"):
        (repo / folder).mkdir(parents=True)
        for i in range(3):
            (repo / folder / f"m{i}.py").write_text(f"import {folder}{i}\n", encoding="utf-8")
    files = [f"{folder}/m{i}.py" for folder in ("a", "b") for i in range(3)]
    cache = Cache(tmp_path / "cache")
    written: list[list[str]] = []
    original = cache.set_many

    def spy(namespace: str, items: dict[str, object], **kw: object) -> None:
        written.append(sorted(Path(k).name for k in items))
        original(namespace, items)

    monkeypatch.setattr(cache, "set_many", spy)
    scan_files(repo, files, cache=cache, workers=1)
    assert written == [["a", "b"]]
    scan_files(repo, files, cache=cache, workers=1)
    assert written == [["a", "b"]]  # unchanged: nothing written
    (repo / "b" / "m1.py").write_text("import changed_b\n", encoding="utf-8")
    again = scan_files(repo, files, cache=cache, workers=1)
    assert written[-1] == ["b"]
    assert (again.read, again.parsed, again.cached) == (1, 1, 5)
    # A file no longer scanned (deleted) drops out of its folder's entry.
    (repo / "a" / "m2.py").unlink()
    fewer = scan_files(repo, files[:2] + files[3:], cache=cache, workers=1)
    assert written[-1] == ["a"]
    assert (fewer.read, fewer.cached) == (0, 5)
    stored = cache.get(scanner.CACHE_NAMESPACE, str((repo / "a").resolve()))
    assert stored is not None
    assert sorted(stored["files"]) == ["m0.py", "m1.py"]
    cache.close()


@pytest.mark.parametrize(
    "damaged",
    [
        "not an entry",
        {"v": "0", "files": {}},
        {"v": scanner.SCANNER_VERSION, "files": []},
        {"v": scanner.SCANNER_VERSION, "files": {"m0.py": [1, 2]}},
        {"v": scanner.SCANNER_VERSION, "files": {"m0.py": "x", "m1.py": [0, 0, 0, 0, "d", 7]}},
    ],
)
def test_a_damaged_or_foreign_folder_entry_is_rebuilt(
    tmp_path: Path, trust_now: None, damaged: object
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    files = _tree(repo, 2)
    cache = Cache(tmp_path / "cache")
    cold = scan_files(repo, files, cache=cache, workers=1)
    cache.set(scanner.CACHE_NAMESPACE, str(repo.resolve()), damaged)
    again = scan_files(repo, files, cache=cache, workers=1)
    assert again.sites == cold.sites
    assert again.parsed == 2
    warm = scan_files(repo, files, cache=cache, workers=1)
    assert (warm.read, warm.parsed) == (0, 0)
    cache.close()


def test_damaged_form_with_a_matching_stat_is_parsed_again(tmp_path: Path, trust_now: None) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    files = _tree(repo, 1)
    cache = Cache(tmp_path / "cache")
    cold = scan_files(repo, files, cache=cache, workers=1)
    key = str(repo.resolve())
    entry = cache.get(scanner.CACHE_NAMESPACE, key)
    assert entry is not None
    entry["files"]["m0.py"][5] = {"imports": [["os", 1, 9999, []]]}  # flags out of range
    cache.set(scanner.CACHE_NAMESPACE, key, entry)
    again = scan_files(repo, files, cache=cache, workers=1)
    assert again.sites == cold.sites
    assert again.parsed == 1
    cache.close()


def test_entries_of_the_per_file_layout_are_dropped(tmp_path: Path, trust_now: None) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    files = _tree(repo, 2)
    cache = Cache(tmp_path / "cache")
    cache.set("imports:v2", "5:py:abc", {"imports": []})
    cache.set("imports:stat:v1", str(repo / "m0.py"), [1, 2, 3, 4, "5:py:abc"])
    scan_files(repo, files, cache=cache, workers=1)
    assert cache.get("imports:v2", "5:py:abc") is None
    assert cache.get("imports:stat:v1", str(repo / "m0.py")) is None
    cache.close()
