"""A damaged advisory store: found at open, reported as not checked, rebuilt by db import/update."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli

from auditor.advisories.importer import collect_zip
from auditor.advisories.store import (
    KIND_OSV,
    REPAIR,
    OsvStore,
    StoreDamagedError,
)
from auditor.advisories.store_writer import write_store


def rec(rid: str, name: str = "demo", fixed: str = "2.0") -> dict[str, Any]:
    events = [{"introduced": "0"}, {"fixed": fixed}]
    affected = {"package": {"ecosystem": "PyPI", "name": name},
                "ranges": [{"type": "ECOSYSTEM", "events": events}]}  # fmt: skip
    return {"id": rid, "modified": "2024-01-01T00:00:00Z", "affected": [affected]}


def _good_store(path: Path, *ids: str) -> None:
    with write_store(path) as writer:
        writer.replace_source("src", KIND_OSV, "test", [rec(i) for i in ids or ("PYSEC-1",)])


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2 + 100])


def _garbage(path: Path) -> None:
    path.write_bytes(os.urandom(8192))


def _wrong_schema(path: Path) -> None:
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE entries (namespace TEXT, key TEXT, value TEXT)")
    conn.commit()
    conn.close()


def _old_version(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value='0' WHERE key='schema'")
    conn.commit()
    conn.close()


def _bad_pages(path: Path) -> None:
    """Keep a valid header and schema page, scribble over every page after the first two."""
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    for offset in range(2 * page, len(data)):
        data[offset] = 0xA5
    path.write_bytes(bytes(data))


DAMAGE = {
    "truncated": _truncate,
    "garbage": _garbage,
    "wrong-schema": _wrong_schema,
    "old-version": _old_version,
    "bad-pages": _bad_pages,
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_damage_is_found_and_reads_raise_nothing(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "osv.sqlite3"
    _good_store(path)
    DAMAGE[damage](path)
    with OsvStore(path) as store:
        store.sources()
        with pytest.raises(StoreDamagedError):
            store.advisories_for(["demo"])
        assert store.problem is not None, damage
        assert store.damaged is not None
        assert REPAIR in store.damaged
        assert str(path) in store.damaged


def _scan_dir(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "requirements.txt").write_text("demo==1.0\n", encoding="utf-8")
    return repo


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_scan_reports_a_damaged_store_as_not_checked(tmp_path: Path, damage: str) -> None:
    cache = tmp_path / "cache"
    _good_store(cache / "osv.sqlite3")
    DAMAGE[damage](cache / "osv.sqlite3")
    repo = _scan_dir(tmp_path)
    result = run_cli("scan", str(repo), "--offline", "--format", "json", "--cache-dir", str(cache))
    assert result.code == 3, result.err
    report = json.loads(result.out)
    reasons = [i["reason"] for i in report["incomplete"]]
    hits = [r for r in reasons if "is damaged" in r]
    assert hits, reasons
    assert "auditor db update" in hits[0]
    assert "auditor db import FILE" in hits[0]
    assert "Traceback" not in result.err


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_db_import_rebuilds_a_damaged_store(tmp_path: Path, damage: str) -> None:
    cache = tmp_path / "cache"
    path = cache / "osv.sqlite3"
    _good_store(path, "PYSEC-OLD")
    DAMAGE[damage](path)
    status = run_cli("db", "status", "--format", "json", "--cache-dir", str(cache))
    assert status.code == 3
    assert "is damaged" in json.loads(status.out)["damaged"]
    source = tmp_path / "new.json"
    source.write_text(json.dumps(rec("PYSEC-NEW")), encoding="utf-8")
    result = run_cli("db", "import", str(source), "--cache-dir", str(cache))
    assert result.code == 0, result.err
    assert (cache / "osv.sqlite3.corrupt").is_file()
    with OsvStore(path) as store:
        assert store.problem is None
        assert [r["id"] for r in store.records_for(["demo"])["demo"]] == ["PYSEC-NEW"]
    assert run_cli("db", "status", "--cache-dir", str(cache)).code == 0


def test_db_update_rebuilds_a_damaged_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fakes import LoopbackServer

    cache = tmp_path / "cache"
    path = cache / "osv.sqlite3"
    _good_store(path)
    _garbage(path)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("PYSEC-9.json", json.dumps(rec("PYSEC-9")))
    body = buffer.getvalue()

    def handle(method: str, path: str, payload: Any) -> tuple[int, Any, dict[str, str]]:
        return 200, body, {"Content-Type": "application/zip"}

    server = LoopbackServer(handle).start()
    try:
        monkeypatch.setenv("AUDITOR_OSV_BULK_URL", f"{server.url}/all.zip")
        result = run_cli("db", "update", "--cache-dir", str(cache))
    finally:
        server.stop()
    assert "imported 1 osv records" in result.out, result.err
    with OsvStore(path) as store:
        assert store.problem is None
        assert store.record_count() == 1


def test_stale_writer_copies_are_removed_by_the_next_writer(tmp_path: Path) -> None:
    path = tmp_path / "osv.sqlite3"
    killed = tmp_path / ".osv.sqlite3.abc123.tmp"
    killed.write_bytes(b"half a store")
    (tmp_path / ".osv.sqlite3.abc123.tmp-journal").write_bytes(b"j")
    old = time.time() - 7200
    stale_download = tmp_path / ".osv-bulk.x1.zip"
    stale_download.write_bytes(b"zip")
    os.utime(stale_download, (old, old))
    young_download = tmp_path / ".osv-bulk.x2.zip"  # a concurrent update's: kept
    young_download.write_bytes(b"zip")
    _good_store(path)
    assert not killed.exists()
    assert not (tmp_path / ".osv.sqlite3.abc123.tmp-journal").exists()
    assert not stale_download.exists()
    assert young_download.exists()


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_zip_over_the_total_limit_is_refused_whole(tmp_path: Path) -> None:
    member = json.dumps(rec("PYSEC-1")).encode() + b" " * 5000
    archive = _zip(tmp_path / "bomb.zip", {f"m{i}.json": member for i in range(10)})
    fine = collect_zip(archive, "s", max_member_bytes=10_000, max_total_bytes=100_000)
    assert len(fine.records) == 10
    refused = collect_zip(archive, "s", max_member_bytes=10_000, max_total_bytes=20_000)
    assert refused.records == []
    assert len(refused.rejected) == 1
    assert "total limit" in refused.rejected[0]
    assert "max_total_bytes" in refused.rejected[0]


def test_zip_lying_about_sizes_cannot_inflate_past_them(tmp_path: Path) -> None:
    """zipfile stops at the declared size (then fails the CRC), so declared sizes bound it."""
    member = json.dumps(rec("PYSEC-1")).encode() + b" " * 5000
    archive = _zip(tmp_path / "liar.zip", {f"m{i}.json": member for i in range(3)})
    data = bytearray(archive.read_bytes())
    true_size = len(member).to_bytes(4, "little")
    at = data.find(true_size)
    while at != -1:  # every declared size (local headers and central directory) -> 10 bytes
        data[at : at + 4] = (10).to_bytes(4, "little")
        at = data.find(true_size, at + 1)
    archive.write_bytes(bytes(data))
    collected = collect_zip(archive, "s", max_member_bytes=100_000, max_total_bytes=20_000)
    assert collected.records == []
    assert len(collected.rejected) == 3
    assert all("unreadable" in r for r in collected.rejected)


def test_db_import_refuses_a_bomb_by_policy(tmp_path: Path) -> None:
    member = json.dumps(rec("PYSEC-1")).encode() + b" " * 5000
    archive = _zip(tmp_path / "bomb.zip", {f"m{i}.json": member for i in range(10)})
    (tmp_path / ".auditor.toml").write_text(
        "[policy.advisories]\nmax_total_bytes = 20000\n", encoding="utf-8"
    )
    cache = tmp_path / "cache"
    result = run_cli(
        "db", "import", str(archive), "--cache-dir", str(cache),
        "--config", str(tmp_path / ".auditor.toml"),
    )  # fmt: skip
    assert result.code == 3
    assert "total limit" in result.err
    assert not (cache / "osv.sqlite3").exists()
