"""The scan cache: one entry per folder, keyed by stat; a warm scan reads no file contents."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
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


class Repo:
    """A folder ``repo`` of `count` modules (see `_tree`) and the cache its scans share."""

    def __init__(self, tmp_path: Path, count: int) -> None:
        self.root = tmp_path / "repo"
        self.root.mkdir()
        self.files = _tree(self.root, count)
        self.cache = Cache(tmp_path / "cache")

    def scan(self, files: list[str] | None = None) -> scanner.ScanResult:
        """Scan `files` (all of them by default) serially with the shared cache."""
        return scan_files(
            self.root, self.files if files is None else files, cache=self.cache, workers=1
        )


MakeRepo = Callable[[int], Repo]


@pytest.fixture
def make_repo(tmp_path: Path) -> Iterator[MakeRepo]:
    """Build the `Repo` of a test (once); its cache is closed when the test ends."""
    made: list[Repo] = []

    def make(count: int) -> Repo:
        made.append(Repo(tmp_path, count))
        return made[-1]

    yield make
    for repo in made:
        repo.cache.close()


def test_warm_scan_reads_nothing(make_repo: MakeRepo, trust_now: None) -> None:
    repo = make_repo(20)
    cold = repo.scan()
    assert (cold.read, cold.parsed, cold.cached) == (20, 20, 0)
    warm = repo.scan()
    assert (warm.read, warm.parsed, warm.cached) == (0, 0, 20)
    assert _modules(warm) == _modules(cold)


def test_changed_files_are_read_again(make_repo: MakeRepo, trust_now: None) -> None:
    repo = make_repo(5)
    repo.scan()
    # Another size.
    (repo.root / "m0.py").write_text("import json\n", encoding="utf-8")
    # The same size and the old mtime put back (as `touch -r` or rsync -t would): the ctime moves.
    target = repo.root / "m1.py"
    before = target.stat()
    target.write_text("import mod9\n" + "#" * (before.st_size - 12), encoding="utf-8")
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert target.stat().st_size == before.st_size
    again = repo.scan()
    assert again.read == 2
    modules = {p: m for p, m in _modules(again) if m != "os"}
    assert modules["m0.py"] == "json"
    assert modules["m1.py"] == "mod9"


def test_recently_changed_files_are_not_trusted_by_stat(make_repo: MakeRepo) -> None:
    """Files changed within the last RECENT_SECONDS may change again in the same tick."""
    repo = make_repo(3)
    repo.scan()
    warm = repo.scan()
    assert warm.read == 3  # just written: read (and hashed) again
    assert warm.parsed == 0  # but the content cache still saves the parse


def test_a_dropped_cache_reads_and_parses_again(make_repo: MakeRepo, trust_now: None) -> None:
    repo = make_repo(3)
    repo.scan()
    repo.cache.delete_namespace(scanner.CACHE_NAMESPACE)
    again = repo.scan()
    assert (again.read, again.parsed) == (3, 3)
    assert len([s for s in again.sites if s.module == "os"]) == 3


def test_touched_file_with_the_same_bytes_is_read_not_parsed(
    make_repo: MakeRepo, trust_now: None
) -> None:
    repo = make_repo(4)
    cold = repo.scan()
    target = repo.root / "m2.py"
    target.write_bytes(target.read_bytes())  # as a git checkout of the same content would
    stat = target.stat()
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    again = repo.scan()
    assert (again.read, again.parsed, again.cached) == (1, 0, 4)
    assert again.sites == cold.sites


def test_one_entry_per_folder_rewritten_only_where_something_changed(
    make_repo: MakeRepo, trust_now: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(0)
    for folder in ("a", "b"):
        (repo.root / folder).mkdir(parents=True)
        for i in range(3):
            (repo.root / folder / f"m{i}.py").write_text(f"import {folder}{i}\n", encoding="utf-8")
    repo.files = [f"{folder}/m{i}.py" for folder in ("a", "b") for i in range(3)]
    written: list[list[str]] = []
    original = repo.cache.set_many

    def spy(namespace: str, items: dict[str, object], **kw: object) -> None:
        written.append(sorted(Path(k).name for k in items))
        original(namespace, items)

    monkeypatch.setattr(repo.cache, "set_many", spy)
    repo.scan()
    assert written == [["a", "b"]]
    repo.scan()
    assert written == [["a", "b"]]  # unchanged: nothing written
    (repo.root / "b" / "m1.py").write_text("import changed_b\n", encoding="utf-8")
    again = repo.scan()
    assert written[-1] == ["b"]
    assert (again.read, again.parsed, again.cached) == (1, 1, 5)
    # A file no longer scanned (deleted) drops out of its folder's entry.
    (repo.root / "a" / "m2.py").unlink()
    fewer = repo.scan(repo.files[:2] + repo.files[3:])
    assert written[-1] == ["a"]
    assert (fewer.read, fewer.cached) == (0, 5)
    stored = repo.cache.get(scanner.CACHE_NAMESPACE, str((repo.root / "a").resolve()))
    assert stored is not None
    assert sorted(stored["files"]) == ["m0.py", "m1.py"]


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
    make_repo: MakeRepo, trust_now: None, damaged: object
) -> None:
    repo = make_repo(2)
    cold = repo.scan()
    repo.cache.set(scanner.CACHE_NAMESPACE, str(repo.root.resolve()), damaged)
    again = repo.scan()
    assert again.sites == cold.sites
    assert again.parsed == 2
    warm = repo.scan()
    assert (warm.read, warm.parsed) == (0, 0)


def test_damaged_form_with_a_matching_stat_is_parsed_again(
    make_repo: MakeRepo, trust_now: None
) -> None:
    repo = make_repo(1)
    cold = repo.scan()
    key = str(repo.root.resolve())
    entry = repo.cache.get(scanner.CACHE_NAMESPACE, key)
    assert entry is not None
    entry["files"]["m0.py"][5] = {"imports": [["os", 1, 9999, []]]}  # flags out of range
    repo.cache.set(scanner.CACHE_NAMESPACE, key, entry)
    again = repo.scan()
    assert again.sites == cold.sites
    assert again.parsed == 1


def test_entries_of_the_per_file_layout_are_dropped(make_repo: MakeRepo, trust_now: None) -> None:
    repo = make_repo(2)
    repo.cache.set("imports:v2", "5:py:abc", {"imports": []})
    repo.cache.set("imports:stat:v1", str(repo.root / "m0.py"), [1, 2, 3, 4, "5:py:abc"])
    repo.scan()
    assert repo.cache.get("imports:v2", "5:py:abc") is None
    assert repo.cache.get("imports:stat:v1", str(repo.root / "m0.py")) is None
