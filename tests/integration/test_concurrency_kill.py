"""Many processes on one cache and store; SIGKILL in the middle of writes.

Real subprocesses (``python -m auditor``): 20 offline scans sharing a ``--cache-dir`` while a
``db import`` replaces the store; ``db import``, ``db update`` (a loopback server dripping the
bulk zip) and ``fix --apply`` killed with SIGKILL once they have started writing (seen by their
temporary file). Afterwards the store or file is the old or the new version, never a part, and
the leftovers go at the next run.
"""

from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, run_cli
from fakes import Fault, LoopbackServer

from auditor.advisories.store import OsvStore

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")


def rec(rid: str, name: str, fixed: str = "2.0") -> dict[str, Any]:
    events = [{"introduced": "0"}, {"fixed": fixed}]
    affected = {"package": {"ecosystem": "PyPI", "name": name},
                "ranges": [{"type": "ECOSYSTEM", "events": events}]}  # fmt: skip
    return {"id": rid, "modified": "2024-01-01T00:00:00Z", "affected": [affected]}


def _zip(path: Path, count: int, prefix: str) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for i in range(count):
            archive.writestr(f"{prefix}-{i}.json", json.dumps(rec(f"{prefix}-{i}", f"pkg{i % 50}")))
    return path


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO)
    env.pop("AUDITOR_CACHE_DIR", None)
    return env


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "auditor", *args]


def _wait_for(predicate: Callable[[], bool], proc: subprocess.Popen[Any], limit: float) -> bool:
    """Poll until `predicate` holds (True) or the process ends or `limit` s pass (False)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if predicate():
            return True
        if proc.poll() is not None:
            return predicate()
        time.sleep(0.002)
    return False


def _kill(proc: subprocess.Popen[Any]) -> bool:
    """SIGKILL the process if it still runs; return whether it was killed."""
    if proc.poll() is not None:
        return False
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    return True


def _store_ids(cache: Path) -> set[str]:
    with OsvStore(cache / "osv.sqlite3") as store:
        assert store.problem is None, store.problem
        conn = sqlite3.connect(cache / "osv.sqlite3")
        try:
            return {row[0] for row in conn.execute("SELECT id FROM records")}
        finally:
            conn.close()


def _store_tmp(cache: Path) -> list[Path]:
    return list(cache.glob(".osv.sqlite3.*.tmp*"))


def _downloads(cache: Path) -> list[Path]:
    return list(cache.glob(".osv-bulk.*.zip"))


def _backdate(paths: list[Path]) -> None:
    old = time.time() - 7200
    for path in paths:
        os.utime(path, (old, old))


def test_twenty_scans_and_an_import_share_one_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    repo = tmp_path / "repo"
    (repo / "app").mkdir(parents=True)
    (repo / "requirements.txt").write_text("pkg1==1.0\npkg2==1.0\nrequests==2.0\n")
    for i in range(30):
        (repo / "app" / f"m{i}.py").write_text(f"import pkg1\nimport pkg2\nimport mod{i}\n")
    old = _zip(tmp_path / "old.zip", 500, "OLD")
    new = _zip(tmp_path / "new.zip", 3000, "NEW")
    assert run_cli("db", "import", str(old), "--source", "s", "--cache-dir", str(cache)).code == 0
    env = _env()
    importer = subprocess.Popen(
        _cli("db", "import", str(new), "--source", "s", "--cache-dir", str(cache)),
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    scans = [
        subprocess.Popen(
            _cli("scan", str(repo), "--offline", "--format", "json", "--cache-dir", str(cache)),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(20)
    ]
    outcomes = [proc.communicate(timeout=120) for proc in scans]
    _out, import_err = importer.communicate(timeout=120)
    assert importer.returncode == 0, import_err
    counts = set()
    for proc, (out, err) in zip(scans, outcomes, strict=True):
        assert proc.returncode in (0, 1, 3), err  # 3: offline, the index is not checked
        report = json.loads(out)
        assert report["schema_version"] == 1
        osv = [i for i in report["incomplete"] if i["source"] in ("osv", "osv-store")]
        assert not osv, osv
        assert "Traceback" not in err
        assert "damaged" not in err
        found = {f["rule_id"] for f in report["findings"]}
        assert "AUD201" in found
        detail = next(d["detail"] for d in report["data_sources"] if d["name"] == "osv-store")
        counts.add(detail.split(" records")[0].rsplit(" ", 1)[-1])
    assert counts <= {"500", "3000"}  # each scan saw the old store or the new one, whole
    ids = _store_ids(cache)
    assert len(ids) == 3000
    assert all(i.startswith("NEW-") for i in ids)
    assert not _store_tmp(cache)
    with sqlite3.connect(cache / "cache.sqlite3") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_sigkill_during_db_import_leaves_the_old_store(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    old = _zip(tmp_path / "old.zip", 100, "OLD")
    big = _zip(tmp_path / "big.zip", 20000, "NEW")
    assert run_cli("db", "import", str(old), "--source", "s", "--cache-dir", str(cache)).code == 0
    proc = subprocess.Popen(
        _cli("db", "import", str(big), "--source", "s", "--cache-dir", str(cache)),
        env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    started = _wait_for(lambda: bool(_store_tmp(cache)), proc, 60)
    killed = _kill(proc)
    assert started
    ids = _store_ids(cache)
    if killed:  # the usual case: mid-write, the old store stands
        assert ids == {f"OLD-{i}" for i in range(100)} or len(ids) == 20000
        assert _store_tmp(cache)  # the killed writer's copy is left behind ...
    small = _zip(tmp_path / "small.zip", 10, "NEXT")
    assert run_cli("db", "import", str(small), "--source", "t", "--cache-dir", str(cache)).code == 0
    assert not _store_tmp(cache)  # ... and the next writer removes it (under the lock)
    assert len(_store_ids(cache)) in (110, 20010)


def test_sigkill_during_db_update_leaves_the_old_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    old = _zip(tmp_path / "old.zip", 100, "OLD")
    assert (
        run_cli("db", "import", str(old), "--source", "osv-pypi", "--cache-dir", str(cache)).code
        == 0
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i in range(200):
            archive.writestr(f"NEW-{i}.json", json.dumps(rec(f"NEW-{i}", "pkg1")))
    body = buffer.getvalue()

    def handle(method: str, path: str, payload: Any) -> tuple[int, Any, dict[str, str]]:
        return 200, body, {"Content-Type": "application/zip"}

    server = LoopbackServer(handle).start()
    server.faults["/all.zip"] = Fault(drip=0.05)  # a slow bulk download: minutes in all
    env = _env()
    env.update(AUDITOR_OSV_BULK_URL=f"{server.url}/all.zip", AUDITOR_TIMEOUT="60",
               AUDITOR_REQUEST_DEADLINE="120")  # fmt: skip
    try:
        proc = subprocess.Popen(
            _cli("db", "update", "--cache-dir", str(cache)),
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        assert _wait_for(lambda: bool(_downloads(cache)) and bool(server.requests), proc, 60)
        assert _kill(proc)
    finally:
        server.stop()
    assert _store_ids(cache) == {f"OLD-{i}" for i in range(100)}
    leftover = _downloads(cache)
    assert leftover  # the partial download stays until it is stale ...
    young = cache / ".osv-bulk.concurrent.zip"
    young.write_bytes(b"a concurrent update's download")
    _backdate(leftover)
    nxt = _zip(tmp_path / "next.zip", 5, "NEXT")
    assert run_cli("db", "import", str(nxt), "--source", "t", "--cache-dir", str(cache)).code == 0
    assert not any(p.exists() for p in leftover)  # ... then the next run removes it
    assert young.exists()  # a young one may be a concurrent run's: kept


def test_sigkill_during_fix_apply_leaves_old_or_new_file(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    source = tmp_path / "adv.json"
    source.write_text(json.dumps(rec("PYSEC-1", "demo", fixed="2.0")))
    assert run_cli("db", "import", str(source), "--cache-dir", str(cache)).code == 0
    repo = tmp_path / "repo"
    repo.mkdir()
    filler = "".join(f"pkg{i}==1.0  # {'x' * 300}\n" for i in range(3000))
    original = "demo==1.0\n" + filler
    target = repo / "requirements.txt"
    target.write_text(original)
    proc = subprocess.Popen(
        _cli("fix", str(repo), "--apply", "--offline", "--allow-incomplete",
             "--cache-dir", str(cache)),
        env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip

    def tmps() -> list[Path]:
        return list(repo.glob(".requirements.txt.*.tmp"))

    started = _wait_for(lambda: bool(tmps()), proc, 90)
    killed = _kill(proc)
    print(f"fix --apply: temporary file seen {started}, killed {killed}")
    text = target.read_text()
    assert text in (original, original.replace("demo==1.0", "demo==2.0", 1))
    if not killed:
        assert proc.returncode in (0, 1, 3)
        assert text != original  # it finished: the new file, whole
    if started and killed:
        leftover = tmps()
        _backdate(leftover)
        done = subprocess.run(
            _cli("fix", str(repo), "--apply", "--offline", "--allow-incomplete",
                 "--cache-dir", str(cache)),
            env=_env(), capture_output=True, text=True, check=False, timeout=120,
        )  # fmt: skip
        assert done.returncode in (0, 1), done.stderr
        assert target.read_text() == original.replace("demo==1.0", "demo==2.0", 1)
        assert not any(p.exists() for p in leftover)
