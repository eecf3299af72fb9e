"""Which records affect a version is remembered per store version: same answers, less parsing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_advisory_service import broken, rec, store_at

from auditor.advisories import store as store_module
from auditor.advisories.client import Query
from auditor.advisories.match_memo import NAMESPACE, store_version
from auditor.advisories.service import StoreSource
from auditor.advisories.store import KIND_OSV, OsvStore
from auditor.advisories.store_writer import write_store
from auditor.cache import Cache

OLD = Query(name="demo", version="1.0")
NEW = Query(name="demo", version="3.0")
EVERY = Query(name="demo")


def _records() -> list[dict[str, Any]]:
    return [rec("PYSEC-1"), rec("PYSEC-2", fixed="1.0"), rec("PYSEC-3", name="other"),
            broken("PYSEC-9")]  # fmt: skip


def _answer(path: Path, cache: Cache, queries: list[Query]) -> dict[Query, Any]:
    with OsvStore(path) as store:
        source = StoreSource(
            store=store, kind=KIND_OSV, why="offline mode", stale_after_days=7.0, memo=cache
        )
        answer = source.query(queries)
    return {
        q: ([a.id for a in answer.advisories[q]], [m.id for m in answer.malformed.get(q, ())])
        for q in queries
    }


def _count_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    parsed: list[str] = []
    real = store_module._parse_stored

    def counting(rid: str, modified: str, data: str) -> Any:
        parsed.append(rid)
        return real.__wrapped__(rid, modified, data)

    monkeypatch.setattr(store_module, "_parse_stored", counting)
    return parsed


def test_a_second_run_gives_the_same_answers_parsing_only_what_matched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = store_at(tmp_path, KIND_OSV, *_records())
    cache = Cache(tmp_path / "cache")
    first = _answer(path, cache, [OLD, NEW])
    assert first == {OLD: (["PYSEC-1"], ["PYSEC-9"]), NEW: ([], ["PYSEC-9"])}
    parsed = _count_parses(monkeypatch)
    assert _answer(path, cache, [OLD, NEW]) == first
    assert sorted(parsed) == ["PYSEC-1", "PYSEC-9"]  # PYSEC-2 affects neither: not parsed


def test_an_unversioned_or_new_query_parses_every_record_of_its_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = store_at(tmp_path, KIND_OSV, *_records())
    cache = Cache(tmp_path / "cache")
    _answer(path, cache, [OLD])
    parsed = _count_parses(monkeypatch)
    assert _answer(path, cache, [EVERY]) == {EVERY: (["PYSEC-1", "PYSEC-2"], ["PYSEC-9"])}
    assert sorted(parsed) == ["PYSEC-1", "PYSEC-2", "PYSEC-9"]
    parsed.clear()
    newer = Query(name="demo", version="0.5")  # not remembered: every record is parsed
    assert _answer(path, cache, [OLD, newer])[newer] == (["PYSEC-1", "PYSEC-2"], ["PYSEC-9"])
    assert sorted(parsed) == ["PYSEC-1", "PYSEC-2", "PYSEC-9"]


def test_new_store_data_is_matched_afresh(tmp_path: Path) -> None:
    path = store_at(tmp_path, KIND_OSV, *_records())
    cache = Cache(tmp_path / "cache")
    with OsvStore(path) as store:
        before = store_version(store, KIND_OSV)
    assert _answer(path, cache, [NEW]) == {NEW: ([], ["PYSEC-9"])}
    with write_store(path) as writer:  # a db update: PYSEC-4 now affects 3.0
        writer.replace_source(f"src-{KIND_OSV}", KIND_OSV, "test",
                              [*_records(), rec("PYSEC-4", fixed="4.0")])  # fmt: skip
    with OsvStore(path) as store:
        assert store_version(store, KIND_OSV) != before
    assert _answer(path, cache, [NEW]) == {NEW: (["PYSEC-4"], ["PYSEC-9"])}


def test_a_damaged_memo_entry_is_matched_again(tmp_path: Path) -> None:
    path = store_at(tmp_path, KIND_OSV, *_records())
    cache = Cache(tmp_path / "cache")
    with OsvStore(path) as store:
        key = f"{store_version(store, KIND_OSV)} demo 1.0"
    cache.set(NAMESPACE, key, {"affecting": "PYSEC-2", "malformed": []})
    assert _answer(path, cache, [OLD]) == {OLD: (["PYSEC-1"], ["PYSEC-9"])}
