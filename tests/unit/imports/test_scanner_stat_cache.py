"""The scan cache keyed by stat: a warm scan of an unchanged tree reads no file contents."""

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


def test_a_stat_entry_whose_content_entry_is_gone_reads_the_file(
    tmp_path: Path, trust_now: None
) -> None:
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
