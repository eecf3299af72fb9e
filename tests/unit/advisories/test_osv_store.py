"""The offline store and the importer (auditor.advisories.store / importer)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import shared_data

from auditor.advisories.importer import (
    JsonShape,
    classify,
    collect_dir,
    collect_zip,
    manifest_records,
    unsafe_member,
)
from auditor.advisories.matching import record_affects
from auditor.advisories.store import KIND_MALICIOUS, KIND_OSV, OsvStore
from auditor.advisories.store_writer import write_store


def rec(rid: str, name: str = "demo", fixed: str = "2.0", **extra: Any) -> dict[str, Any]:
    return {"id": rid, "modified": "2024-01-01T00:00:00Z",
            "affected": [{"package": {"ecosystem": "PyPI", "name": name},
                          "ranges": [{"type": "ECOSYSTEM",
                                      "events": [{"introduced": "0"}, {"fixed": fixed}]}]}],
            **extra}  # fmt: skip


def test_write_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "osv.sqlite3"
    with write_store(path) as writer:
        outcome = writer.replace_source(
            "src", KIND_OSV, "test",
            [rec("PYSEC-1", "Demo_Pkg"), rec("PYSEC-2", withdrawn="2024-02-01T00:00:00Z"),
             {"id": "NOPKG", "modified": "x", "affected": []}],
        )  # fmt: skip
    assert (outcome.records, outcome.withdrawn, outcome.skipped) == (2, 1, 1)
    with OsvStore(path) as store:
        found = store.records_for(["demo-pkg", "demo", "absent"])
        assert [r["id"] for r in found["demo-pkg"]] == ["PYSEC-1"]
        assert found["demo"] == []  # withdrawn records are dropped on read
        assert found["absent"] == []
        (info,) = store.sources()
        assert (info.name, info.kind, info.records, info.withdrawn) == ("src", "osv", 2, 1)
        assert info.newest_modified == "2024-01-01T00:00:00Z"
        assert store.has_kind(KIND_OSV)
        assert not store.has_kind(KIND_MALICIOUS)


def test_missing_store_is_empty(tmp_path: Path) -> None:
    with OsvStore(tmp_path / "none.sqlite3") as store:
        assert store.sources() == []
        assert store.records_for(["x"]) == {"x": []}
        assert store.record_count() == 0


def test_reimport_replaces_only_that_source(tmp_path: Path) -> None:
    path = tmp_path / "osv.sqlite3"
    with write_store(path) as writer:
        writer.replace_source("a", KIND_OSV, "t", [rec("PYSEC-1")])
        writer.replace_source("b", KIND_OSV, "t", [rec("GHSA-1")])
    with write_store(path) as writer:
        writer.replace_source("a", KIND_OSV, "t", [rec("PYSEC-3")])
    with OsvStore(path) as store:
        assert [r["id"] for r in store.records_for(["demo"])["demo"]] == ["GHSA-1", "PYSEC-3"]
        assert [r["id"] for r in store.records_for(["demo"], kinds=["x"])["demo"]] == []


def test_same_id_in_two_sources_newest_wins(tmp_path: Path) -> None:
    path = tmp_path / "osv.sqlite3"
    newer = {**rec("PYSEC-1", fixed="3.0"), "modified": "2025-01-01T00:00:00Z"}
    with write_store(path) as writer:
        writer.replace_source("a", KIND_OSV, "t", [rec("PYSEC-1")])
        writer.replace_source("b", KIND_OSV, "t", [newer])
    with OsvStore(path) as store:
        (found,) = store.records_for(["demo"])["demo"]
        assert found["modified"] == "2025-01-01T00:00:00Z"


def test_failed_write_leaves_store_untouched(tmp_path: Path) -> None:
    path = tmp_path / "osv.sqlite3"
    with write_store(path) as writer:
        writer.replace_source("a", KIND_OSV, "t", [rec("PYSEC-1")])
    before = path.read_bytes()

    def broken() -> Any:
        yield rec("PYSEC-9")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError), write_store(path) as writer:
        writer.replace_source("a", KIND_OSV, "t", broken())
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_reader_keeps_its_snapshot_while_a_writer_swaps(tmp_path: Path) -> None:
    path = tmp_path / "osv.sqlite3"
    with write_store(path) as writer:
        writer.replace_source("a", KIND_OSV, "t", [rec("PYSEC-1")])
    reader = OsvStore(path)
    errors: list[BaseException] = []

    def write_many() -> None:
        try:
            for n in range(10):
                with write_store(path) as w:
                    w.replace_source("a", KIND_OSV, "t", [rec(f"PYSEC-{n + 100}")])
        except BaseException as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)

    thread = threading.Thread(target=write_many)
    thread.start()
    seen = [reader.records_for(["demo"])["demo"] for _ in range(50)]
    thread.join()
    assert errors == []
    assert all([r["id"] for r in found] == ["PYSEC-1"] for found in seen)
    reader.close()
    with OsvStore(path) as fresh:
        assert [r["id"] for r in fresh.records_for(["demo"])["demo"]] == ["PYSEC-109"]


def test_concurrent_writers_in_threads_both_land(tmp_path: Path) -> None:
    path = tmp_path / "osv.sqlite3"

    def write(name: str) -> None:
        for n in range(5):
            with write_store(path) as w:
                w.replace_source(name, KIND_OSV, "t", [rec(f"{name.upper()}-{n}")])

    threads = [threading.Thread(target=write, args=(n,)) for n in ("a", "b", "c")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with OsvStore(path) as store:
        assert {s.name for s in store.sources()} == {"a", "b", "c"}
        ids = sorted(r["id"] for r in store.records_for(["demo"])["demo"])
        assert ids == ["A-4", "B-4", "C-4"]


def test_concurrent_db_import_processes(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    files = []
    for name in ("one", "two", "three"):
        file = tmp_path / f"{name}.json"
        file.write_text(json.dumps([rec(f"PYSEC-{name}", name=name)]))
        files.append(file)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "auditor", "db", "import", str(f), "--cache-dir", str(cache)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=tmp_path,
        )
        for f in files
    ]
    for proc in procs:
        _out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    with OsvStore(cache / "osv.sqlite3") as store:
        assert {s.name for s in store.sources()} == {"one", "two", "three"}


# -- importer ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "problem"),
    [("../evil.json", "path traversal (..)"), ("a/../../evil.json", "path traversal (..)"),
     ("/etc/evil.json", "absolute path"), ("C:\\evil.json", "absolute path"),
     ("..\\evil.json", "path traversal (..)"), ("PYSEC-1.json", None), ("dir/x..y.json", None)],
)  # fmt: skip
def test_unsafe_member_names(name: str, problem: str | None) -> None:
    assert unsafe_member(name) == problem


def test_zip_rejects_traversal_and_oversized_members(tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("PYSEC-1.json", json.dumps(rec("PYSEC-1")))
        z.writestr("../escape.json", json.dumps(rec("PYSEC-2")))
        z.writestr("/abs.json", json.dumps(rec("PYSEC-3")))
        z.writestr("big.json", json.dumps(rec("PYSEC-4", details="x" * 5000)))
        z.writestr("broken.json", "{not json")
        z.writestr("README.txt", "ignored")
        z.writestr("list.json", json.dumps({"hello": 1}))
    collected = collect_zip(archive, "evil", max_member_bytes=2000)
    assert [r["id"] for r in collected.records] == ["PYSEC-1"]
    text = "\n".join(collected.rejected)
    assert "evil.zip:../escape.json: rejected: path traversal (..)" in text
    assert "evil.zip:/abs.json: rejected: absolute path" in text
    assert "evil.zip:big.json: rejected:" in text
    assert "evil.zip:broken.json: invalid JSON" in text
    assert "evil.zip:list.json: not an OSV record" in text
    assert len(collected.rejected) == 5
    assert not (tmp_path.parent / "escape.json").exists()


def test_collect_dir_reads_json_and_nested_zips(tmp_path: Path) -> None:
    (tmp_path / "PyPI").mkdir()
    (tmp_path / "PyPI" / "a.json").write_text(json.dumps(rec("PYSEC-1")))
    (tmp_path / "b.json").write_text(json.dumps([rec("GHSA-1"), rec("MAL-1")]))
    with zipfile.ZipFile(tmp_path / "more.zip", "w") as z:
        z.writestr("c.json", json.dumps(rec("PYSEC-3")))
    (tmp_path / "notes.md").write_text("ignored")
    collected = collect_dir(tmp_path, "dir", 10_000)
    assert sorted(r["id"] for r in collected.records) == ["GHSA-1", "MAL-1", "PYSEC-1", "PYSEC-3"]
    assert collected.rejected == []


def test_classify_shapes() -> None:
    assert classify(rec("PYSEC-1")) is JsonShape.OSV
    assert classify([rec("PYSEC-1")]) is JsonShape.OSV
    assert classify({"a": None, "b": ["1.0"]}) is JsonShape.MANIFEST
    assert classify({"rows": [{"project": "x", "download_count": 1}]}) is JsonShape.POPULAR
    assert classify({"a": 1}) is JsonShape.UNKNOWN
    assert classify([]) is JsonShape.UNKNOWN
    assert classify("text") is JsonShape.UNKNOWN


def test_manifest_records_null_and_versions() -> None:
    records = {r["id"]: r for r in manifest_records({"Evil_Pkg": None, "num2words":
                                                     ["0.5.16", "0.5.15"]}, "feed")}  # fmt: skip
    evil = records["feed:evil-pkg"]
    assert record_affects(evil, "evil-pkg", "1.0")
    assert record_affects(evil, "evil-pkg", "not-a-version")
    n2w = records["feed:num2words"]
    assert record_affects(n2w, "num2words", "0.5.15")
    assert not record_affects(n2w, "num2words", "0.5.14")


def test_shared_zip_imports_every_record(tmp_path: Path) -> None:
    archive = shared_data("osv", "pypi-advisory-database.zip")
    collected = collect_zip(archive, "pysec", 10_000_000)
    assert collected.rejected == []
    assert len(collected.records) == 2661
    path = tmp_path / "osv.sqlite3"
    with write_store(path) as writer:
        outcome = writer.replace_source("pysec", KIND_OSV, str(archive), collected.records)
    assert (outcome.records, outcome.withdrawn) == (2661, 10)
    with OsvStore(path) as store:
        redis = store.records_for(["redis"])["redis"]
        assert "PYSEC-2023-73" not in {r["id"] for r in redis}  # withdrawn
        assert redis  # but redis has other advisories
