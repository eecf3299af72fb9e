"""End to end: ``auditor scan`` with the OSV API (loopback), the offline store, and ``auditor db``.

The scans enable only the AUD2xx rules so other sources (the package index) stay out of the way.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli, shared_data
from fakes import FakeOsv, Fault, LoopbackServer

V3_CRITICAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"


def rec(rid: str, name: str, fixed: str | None = "2.0", **extra: Any) -> dict[str, Any]:
    events: list[dict[str, str]] = [{"introduced": "0"}]
    if fixed:
        events.append({"fixed": fixed})
    package = {"ecosystem": "PyPI", "name": name}
    ranges = [{"type": "ECOSYSTEM", "events": events}]
    return {"id": rid, "modified": "2024-01-01T00:00:00Z",
            "affected": [{"package": package, "ranges": ranges}], **extra}  # fmt: skip


def repo(tmp_path: Path, requirements: str) -> Path:
    folder = tmp_path / "repo"
    folder.mkdir(exist_ok=True)
    (folder / "requirements.txt").write_text(requirements)
    return folder


def scan(folder: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    done = run_cli("scan", str(folder), "--format", "json", "--enable", "AUD2", *args)
    assert done.out, done.err
    return done.code, json.loads(done.out), done.err


def by_rule(data: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [f for f in data["findings"] if f["rule_id"] == rule]


@pytest.fixture
def osv(osv_server: tuple[FakeOsv, LoopbackServer]) -> tuple[FakeOsv, LoopbackServer]:
    fake, server = osv_server
    fake.add(
        rec(
            "PYSEC-2018-28",
            "requests",
            "2.20.0",
            aliases=["CVE-2018-18074", "GHSA-x84v-xcm2-53pg"],
            summary="Requests sends Authorization headers on https-to-http redirects",
        )
    )
    fake.add(
        rec(
            "GHSA-x84v-xcm2-53pg",
            "requests",
            "2.20.0",
            aliases=["CVE-2018-18074"],
            severity=[{"type": "CVSS_V3", "score": V3_CRITICAL}],
        )
    )
    return fake, server


def test_online_known_vulnerability_is_one_merged_finding(
    osv: tuple[FakeOsv, LoopbackServer], tmp_path: Path
) -> None:
    _fake, server = osv
    code, data, _err = scan(repo(tmp_path, "requests==2.19.0\nclick==8.0\n"))
    assert code == 1
    (finding,) = by_rule(data, "AUD201")
    assert finding["package"] == "requests"
    assert finding["version"] == "2.19.0"
    assert finding["severity"] == "critical"  # from the GHSA copy's CVSS vector
    assert finding["evidence"]["advisories"] == [
        "PYSEC-2018-28", "GHSA-x84v-xcm2-53pg", "CVE-2018-18074"]  # fmt: skip
    assert finding["evidence"]["fixed_in"] == ["2.20.0"]
    assert finding["evidence"]["cvss"]["score"] == 9.8
    assert finding["fix"] == "upgrade requests to >= 2.20.0"
    assert finding["locations"] == [{"path": "requirements.txt", "line": 1}]
    assert data["incomplete"] == []
    assert [s["name"] for s in data["data_sources"] if s["name"].startswith("osv")] == ["osv-api"]
    assert [r.path for r in server.requests].count("/v1/querybatch") == 1


def test_online_range_admits_vulnerable_versions(
    osv: tuple[FakeOsv, LoopbackServer], tmp_path: Path
) -> None:
    fake, _server = osv
    fake.add({**rec("PYSEC-2023-62", "flask", "2.3.2"),
              "affected": [{"package": {"ecosystem": "PyPI", "name": "flask"},
                            "ranges": [{"type": "ECOSYSTEM",
                                        "events": [{"introduced": "0"}, {"fixed": "2.3.2"}]}],
                            "versions": ["2.2.0", "2.3.0", "2.3.1"]}]})  # fmt: skip
    code, data, _err = scan(repo(tmp_path, "flask>=2.2\n"), "--fail-on", "critical")
    assert code == 0
    (finding,) = by_rule(data, "AUD203")
    assert "admits 3 vulnerable version(s) (2.2.0, 2.3.0, 2.3.1)" in finding["message"]
    assert finding["evidence"]["admitted_vulnerable_versions"] == ["2.2.0", "2.3.0", "2.3.1"]
    assert "PYSEC-2023-62" in finding["evidence"]["advisories"]
    assert finding["fix"].startswith("require flask>=2.3.2")
    _code, data, _err = scan(repo(tmp_path, "flask>=2.3.2\n"))
    assert by_rule(data, "AUD203") == []


FAULTS = {
    "500": Fault(status=500),
    "429-retry-after": Fault(status=429, retry_after="0"),
    "truncated-json": Fault(truncate=True),
    "timeout": Fault(delay=1.5),
}


@pytest.mark.parametrize("fault", list(FAULTS), ids=list(FAULTS))
def test_api_faults_are_reported_as_not_checked(
    osv: tuple[FakeOsv, LoopbackServer],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fault: str,
) -> None:
    _fake, server = osv
    monkeypatch.setenv("AUDITOR_TIMEOUT", "0.5")
    server.faults["/v1/querybatch"] = FAULTS[fault]
    folder = repo(tmp_path, "requests==2.19.0\nflask>=2\n")
    code, data, err = scan(folder)
    assert code == 3
    assert "INCOMPLETE" in err
    (entry,) = [i for i in data["incomplete"] if i["source"] == "osv"]
    assert entry["packages"] == ["flask", "requests==2.19.0"]
    assert "no offline advisory data" in entry["reason"]
    assert by_rule(data, "AUD201") == []
    if fault == "truncated-json":  # fails fast (no retries), so check the gate option here
        code, _data, _err = scan(folder, "--allow-incomplete")
        assert code == 0


def test_failed_record_fetch_marks_only_that_package(
    osv: tuple[FakeOsv, LoopbackServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, server = osv
    fake.add(rec("PYSEC-3000-1", "click", "9.0"))
    server.faults["/v1/vulns/PYSEC-3000-1"] = Fault(truncate=True)
    code, data, _err = scan(repo(tmp_path, "requests==2.19.0\nclick==8.0\n"))
    assert code == 1  # the requests finding still gates
    (entry,) = data["incomplete"]
    assert entry["packages"] == ["click==8.0"]
    assert "vulns/PYSEC-3000-1: invalid or truncated JSON" in entry["reason"]
    assert [f["package"] for f in by_rule(data, "AUD201")] == ["requests"]


def test_slow_server_completes(osv: tuple[FakeOsv, LoopbackServer], tmp_path: Path) -> None:
    _fake, server = osv
    server.faults["/v1/"] = Fault(delay=0.3)
    code, data, _err = scan(repo(tmp_path, "requests==2.19.0\n"))
    assert code == 1
    assert data["incomplete"] == []


def _import_shared(*extra: str) -> None:
    archive = shared_data("osv", "pypi-advisory-database.zip")
    done = run_cli("db", "import", str(archive), *extra)
    assert done.code == 0, done.err
    assert "imported 2661 osv records as source 'pypi-advisory-database', 10 withdrawn" in done.out


def test_offline_with_the_real_database(tmp_path: Path) -> None:
    _import_shared()
    folder = repo(tmp_path, "requests==2.19.0\nredis==4.5.3\n")
    code, data, _err = scan(folder, "--offline")
    assert code == 1
    requests_ids = [f["evidence"]["advisories"] for f in by_rule(data, "AUD201")
                    if f["package"] == "requests"]  # fmt: skip
    assert ["PYSEC-2018-28", "GHSA-x84v-xcm2-53pg", "CVE-2018-18074"] in requests_ids
    all_ids = {i for f in by_rule(data, "AUD201") for i in f["evidence"]["advisories"]}
    assert "PYSEC-2023-73" not in all_ids  # withdrawn (redis)
    assert not [i for i in data["incomplete"] if i["source"] == "osv"]
    (source,) = [s for s in data["data_sources"] if s["name"] == "osv-store"]
    assert "offline mode: 2661 records from pypi-advisory-database" in source["detail"]
    assert source["updated"]


def test_api_failure_falls_back_to_the_store(tmp_path: Path) -> None:
    _import_shared()
    # AUDITOR_OSV_URL points at a dead loopback port (conftest).
    code, data, _err = scan(repo(tmp_path, "requests==2.19.0\n"))
    assert code == 1
    assert not [i for i in data["incomplete"] if i["source"] == "osv"]
    (source,) = [s for s in data["data_sources"] if s["name"] == "osv-store"]
    assert source["detail"].startswith("OSV API failed for 1 queries (querybatch: connection")
    assert by_rule(data, "AUD201")


def test_offline_with_an_empty_store_is_incomplete(tmp_path: Path) -> None:
    code, data, _err = scan(repo(tmp_path, "requests==2.19.0\n"), "--offline")
    assert code == 3
    (entry,) = [i for i in data["incomplete"] if i["source"] == "osv"]
    assert entry["reason"] == "no offline advisory data; run auditor db update/import"
    assert entry["packages"] == ["requests==2.19.0"]


def test_malicious_manifest(tmp_path: Path) -> None:
    manifest = shared_data("malicious", "datadog-pypi-manifest.json")
    done = run_cli("db", "import", str(manifest))
    assert done.code == 0, done.err
    assert "malicious records as source 'datadog-pypi-manifest'" in done.out
    folder = repo(tmp_path, "num2words==0.5.15\nreuquests\ncolurama==0.1\n")
    _code, data, _err = scan(folder, "--offline", "--allow-incomplete")
    flagged = {(f["package"], f["version"]) for f in by_rule(data, "AUD202")}
    assert flagged == {("num2words", "0.5.15"), ("reuquests", None), ("colurama", "0.1")}
    assert all(f["severity"] == "critical" for f in by_rule(data, "AUD202"))
    _code, data, _err = scan(repo(tmp_path, "num2words==0.5.14\n"), "--offline",
                             "--allow-incomplete")  # fmt: skip
    assert by_rule(data, "AUD202") == []


def test_mal_record_from_the_api(osv: tuple[FakeOsv, LoopbackServer], tmp_path: Path) -> None:
    fake, _server = osv
    fake.add(rec("MAL-2024-1", "evilpkg", fixed=None, summary="Malicious code in evilpkg"))
    code, data, _err = scan(repo(tmp_path, "evilpkg==1.0\nevilpkg2\n"))
    assert code == 1
    (finding,) = by_rule(data, "AUD202")
    assert (finding["package"], finding["severity"]) == ("evilpkg", "critical")
    assert by_rule(data, "AUD201") == []


def test_uv_lock_versions_are_checked(osv: tuple[FakeOsv, LoopbackServer], tmp_path: Path) -> None:
    folder = tmp_path / "proj"
    folder.mkdir()
    (folder / "pyproject.toml").write_text(
        '[project]\nname = "proj"\nversion = "0.1"\ndependencies = ["requests>=2"]\n'
    )
    (folder / "uv.lock").write_text(
        'version = 1\nrequires-python = ">=3.11"\n\n'
        '[[package]]\nname = "proj"\nversion = "0.1"\nsource = { editable = "." }\n'
        'dependencies = [{ name = "requests" }]\n\n'
        '[[package]]\nname = "requests"\nversion = "2.19.0"\n'
        'source = { registry = "https://index.example/simple" }\n'
    )
    code, data, _err = scan(folder)
    assert code == 1
    (finding,) = by_rule(data, "AUD201")
    assert finding["version"] == "2.19.0"
    assert {"path": "uv.lock", "line": 11} in finding["locations"]
    assert by_rule(data, "AUD203") == []  # the lockfile pins it


# -- auditor db ---------------------------------------------------------------------------------


def test_db_import_rejects_traversal_and_reports(tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("PYSEC-1.json", json.dumps(rec("PYSEC-1", "demo")))
        z.writestr("../../escape.json", json.dumps(rec("PYSEC-2", "demo")))
    done = run_cli("db", "import", str(archive))
    assert done.code == 3
    assert "imported 1 osv records as source 'evil'" in done.out
    assert "evil.zip:../../escape.json: rejected: path traversal (..)" in done.err
    assert not (tmp_path.parent / "escape.json").exists()


def test_db_import_usage_errors(tmp_path: Path) -> None:
    assert run_cli("db", "import", str(tmp_path / "missing.zip")).code == 2
    odd = tmp_path / "odd.json"
    odd.write_text('{"hello": 1}')
    done = run_cli("db", "import", str(odd))
    assert done.code == 3
    assert "not OSV records, a malicious-package manifest" in done.err


def test_db_import_top_packages_list(tmp_path: Path) -> None:
    top = tmp_path / "top.json"
    top.write_text(json.dumps({"rows": [{"project": "requests", "download_count": 10},
                                        {"project": "flask", "download_count": 5}]}))  # fmt: skip
    done = run_cli("db", "import", str(top))
    assert done.code == 0, done.err
    assert "imported 2 popular package names" in done.out
    status = json.loads(run_cli("db", "status", "--format", "json").out)
    assert status["popular"]["count"] == 2


def test_db_status(tmp_path: Path) -> None:
    empty = run_cli("db", "status")
    assert empty.code == 0
    assert "empty: run `auditor db update`" in empty.out
    (tmp_path / "one.json").write_text(json.dumps(rec("PYSEC-1", "demo")))
    assert run_cli("db", "import", str(tmp_path / "one.json"), "--source", "mine").code == 0
    data = json.loads(run_cli("db", "status", "--format", "json").out)
    assert data["records"] == 1
    (source,) = data["sources"]
    assert (source["name"], source["kind"], source["records"]) == ("mine", "osv", 1)
    assert source["age_days"] is not None
    assert data["stale"] is False
    text = run_cli("db", "status").out
    assert "mine" in text
    assert "1 records" in text


def _zip_bytes(records: list[dict[str, Any]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for item in records:
            z.writestr(f"{item['id']}.json", json.dumps(item))
    return buffer.getvalue()


def test_db_update_swaps_in_the_bulk_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    payload = _zip_bytes([rec("PYSEC-1", "demo"), rec("GHSA-1", "demo")])

    def handle(method: str, path: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        if path == "/PyPI/all.zip":
            return 200, payload, {"Content-Type": "application/zip"}
        return 404, {"message": "not found"}, {}

    server = LoopbackServer(handle).start()
    try:
        monkeypatch.setenv("AUDITOR_OSV_BULK_URL", f"{server.url}/PyPI/all.zip")
        done = run_cli("db", "update")
    finally:
        server.stop()
    # The popular list's URL is a dead port: reported, exit 3, but the OSV data stays.
    assert done.code == 3
    assert "imported 2 osv records as source 'osv-pypi'" in done.out
    assert "popular packages not updated" in done.err
    data = json.loads(run_cli("db", "status", "--format", "json").out)
    assert [(s["name"], s["records"]) for s in data["sources"]] == [("osv-pypi", 2)]


def test_db_update_failure_keeps_the_old_store(tmp_path: Path) -> None:
    (tmp_path / "one.json").write_text(json.dumps(rec("PYSEC-1", "demo")))
    assert run_cli("db", "import", str(tmp_path / "one.json")).code == 0
    done = run_cli("db", "update")  # the bulk URL is a dead loopback port
    assert done.code == 3
    assert "osv-bulk" in done.err
    data = json.loads(run_cli("db", "status", "--format", "json").out)
    assert [s["name"] for s in data["sources"]] == ["one"]


def test_db_update_offline_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDITOR_OFFLINE", "1")
    done = run_cli("db", "update")
    assert done.code == 3
    assert "offline mode forbids requests" in done.err


def test_an_offline_store_older_than_the_policy_is_flagged_stale(tmp_path: Path) -> None:
    (tmp_path / "one.json").write_text(json.dumps(rec("PYSEC-1", "demo")))
    assert run_cli("db", "import", str(tmp_path / "one.json"), "--source", "mine").code == 0
    folder = repo(tmp_path, "demo==1.0\n")
    (folder / "pyproject.toml").write_text(
        "[tool.auditor.policy.advisories]\nstale_after_days = 0\n", encoding="utf-8"
    )
    _code, data, _err = scan(folder, "--offline")
    (source,) = [s for s in data["data_sources"] if s["name"] == "osv-store"]
    assert source["stale"] is True
    assert "stale: run auditor db update" in source["detail"]
    text = run_cli("scan", str(folder), "--offline", "--enable", "AUD2").out
    assert "data: osv-store:" in text


def test_db_status_names_the_bundled_popular_list_when_none_was_imported() -> None:
    data = json.loads(run_cli("db", "status", "--format", "json").out)
    assert data["popular"]["bundled"] is True
    assert data["popular"]["count"] >= 1000
