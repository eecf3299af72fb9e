"""The installed environment's license metadata is read once per environment state."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from auditor.cache import Cache
from auditor.licenses import lookup


def test_second_run_reads_no_metadata_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = Cache(tmp_path / "cache")
    first = lookup.cached_installed_metadata(cache, ["packaging", "no-such-dist-here"])
    assert "packaging" in first
    assert "no-such-dist-here" not in first
    version, meta = first["packaging"]
    assert version
    assert not meta.empty

    def refuse(wanted: object = None) -> None:
        raise AssertionError("metadata was read again")

    monkeypatch.setattr(lookup, "installed_metadata", refuse)
    again = lookup.cached_installed_metadata(cache, ["no-such-dist-here", "packaging"])
    assert again == first  # license texts included


def test_a_changed_environment_is_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = Cache(tmp_path / "cache")
    lookup.cached_installed_metadata(cache, ["packaging"])
    monkeypatch.setattr("auditor.imports.mapping.environment_fingerprint", lambda: "changed")
    calls: list[list[str]] = []

    def record(wanted: list[str]) -> dict[str, object]:
        calls.append(list(wanted))
        return {}

    monkeypatch.setattr(lookup, "installed_metadata", record)
    assert lookup.cached_installed_metadata(cache, ["packaging"]) == {}
    assert calls == [["packaging"]]


def test_a_damaged_entry_is_read_again(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    from auditor.imports.mapping import environment_fingerprint

    cache.set("env-licenses:v1", f"{environment_fingerprint()} packaging", {"version": 3})
    found = lookup.cached_installed_metadata(cache, ["packaging"])
    assert "packaging" in found


def test_a_report_written_into_the_working_folder_keeps_the_fingerprint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from auditor.imports.mapping import environment_fingerprint

    work, site = tmp_path / "work", tmp_path / "site-packages"
    work.mkdir()
    site.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setattr("sys.path", [str(work), str(site)])
    before = environment_fingerprint()
    (work / "report.json").write_text("{}")  # the working folder's mtime changes
    assert environment_fingerprint() == before
    (site / "demo-1.0.dist-info").mkdir()  # an install changes the site folder's mtime
    os.utime(site, ns=(1, 1))
    assert environment_fingerprint() != before
