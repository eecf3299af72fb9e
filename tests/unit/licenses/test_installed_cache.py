"""The installed environment's license metadata is read once per environment state."""

from __future__ import annotations

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
