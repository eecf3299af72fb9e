"""The remembered answers of the guard: keyed by everything they depend on."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from auditor.cache import Cache
from auditor.config import load_config
from auditor.guard.commands import InstallCommand
from auditor.guard.verdicts import CachedVerdict, cached_verdict, remember, verdict_key


def _command(**changes: object) -> InstallCommand:
    base = InstallCommand(installer="pip install", argv=("pip", "install", "-r", "r.txt"),
                          files=("r.txt",))  # fmt: skip
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]  # test values


def test_key_follows_names_file_contents_sources_and_store(tmp_path: Path) -> None:
    (tmp_path / "r.txt").write_text("idna\n")
    config = load_config(tmp_path).with_overrides(cache_dir=tmp_path / "cache")
    key = verdict_key([_command()], config, tmp_path, "hook")
    assert key == verdict_key([_command()], config, tmp_path, "hook")
    assert key != verdict_key([_command()], config, tmp_path, "guard")
    assert key != verdict_key([_command(requirements=("x",))], config, tmp_path, "hook")
    assert key != verdict_key([_command()], config.with_overrides(osv_url="http://127.0.0.1:1"),
                              tmp_path, "hook")  # fmt: skip
    (tmp_path / "r.txt").write_text("idna\nreqeusts\n")
    changed = verdict_key([_command()], config, tmp_path, "hook")
    assert changed != key
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "osv.sqlite3").write_bytes(b"new store")
    assert verdict_key([_command()], config, tmp_path, "hook") != changed


def test_answers_round_trip_and_expire(tmp_path: Path) -> None:
    now = [1000.0]
    cache = Cache(tmp_path, clock=lambda: now[0])
    answer = CachedVerdict(allow=False, code=2, lines=("Auditor blocked ...",))
    remember(cache, "k", answer, ttl=60)
    assert cached_verdict(cache, "k") == answer
    now[0] += 61
    assert cached_verdict(cache, "k") is None
    remember(cache, "z", answer, ttl=0)
    assert cached_verdict(cache, "z") is None
    assert CachedVerdict.from_json({"allow": "yes", "code": 0, "lines": []}) is None
    cache.close()
