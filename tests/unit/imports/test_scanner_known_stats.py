"""The discovery walk's stat of each file is the import scan's cache key: no second stat."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from auditor.cache import Cache
from auditor.discover import discover
from auditor.imports.scanner import scan_files


def _tree(root: Path) -> None:
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("import requests\n")
    (root / "pkg" / "util.py").write_text("import yaml\n")
    old = 1_600_000_000_000_000_000  # older than the scanner's "just written" window
    for path in root.rglob("*.py"):
        os.utime(path, ns=(old, old))


def test_a_warm_scan_with_the_walks_stats_stats_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tree(tmp_path / "repo")
    cache = Cache(tmp_path / "cache")
    found = discover(tmp_path / "repo")
    assert set(found.stats) == {"pkg/__init__.py", "pkg/util.py"}
    first = scan_files(found.root, found.python_files, cache=cache, stats=found.stats)
    assert first.parsed == 2
    calls: list[str] = []
    real_stat = os.stat

    def counting(path: object, *args: object, **kwargs: object) -> os.stat_result:
        calls.append(str(path))
        return real_stat(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("auditor.imports.scanner.os.stat", counting)
    again = scan_files(found.root, found.python_files, cache=cache, stats=found.stats)
    assert again.cached == 2
    assert sorted(s.module for s in again.sites) == ["requests", "yaml"]
    assert not [c for c in calls if c.endswith(".py")]


def test_without_the_walks_stats_each_file_is_stat_ed(tmp_path: Path) -> None:
    _tree(tmp_path / "repo")
    cache = Cache(tmp_path / "cache")
    found = discover(tmp_path / "repo")
    scan_files(found.root, found.python_files, cache=cache)
    again = scan_files(found.root, found.python_files, cache=cache)
    assert again.cached == 2
