"""``auditor vet``: names and files vetted against a loopback index (real wheels) and OSV API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli, shared_data
from fakes import FakeOsv, LoopbackServer
from wheelhouse import Wheelhouse, house_as_index, sample_house

from auditor.guard.vet import VetPolicy
from auditor.resolve.uv import find_uv

pytestmark = pytest.mark.skipif(find_uv() is None, reason="uv is not installed")

MARKUPSAFE_VULN = {
    "id": "PYSEC-2099-7",
    "modified": "2024-01-01T00:00:00Z",
    "summary": "markupsafe escapes nothing",
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "markupsafe"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.2.0"}]}],
        }
    ],
}


@pytest.fixture
def house() -> Wheelhouse:
    house = sample_house()
    house.add("brandnew", "0.1", uploaded="2021-05-30T00:00:00Z")
    house.add("oldpin", "1.0", yanked="broken build").add("oldpin", "1.1")
    house.add("jailed", "1.0")
    house.statuses["jailed"] = "quarantined"
    return house


@pytest.fixture(autouse=True)
def index(house: Wheelhouse, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("AUDITOR_TODAY", "2021-06-01")
    with house_as_index(house, monkeypatch) as simple:
        yield simple


@pytest.fixture(autouse=True)
def osv(osv_server: tuple[FakeOsv, LoopbackServer]) -> FakeOsv:
    fake, _ = osv_server
    fake.add(MARKUPSAFE_VULN)
    return fake


def _vet(*args: str) -> tuple[int, dict[str, Any]]:
    done = run_cli("vet", "--format", "json", *args)
    assert done.out, done.err
    return done.code, json.loads(done.out)


def _rules(data: dict[str, Any]) -> set[tuple[str, str]]:
    return {(f["rule_id"], f["package"]) for f in data["findings"]}


def test_clean_names_pass(osv: FakeOsv) -> None:
    osv.vulns.clear()
    code, data = _vet("flask", "requests[socks]")
    assert code == 0, data["findings"]
    assert data["vet"]["verdict"] == "allow"
    assert data["vet"]["resolver"].startswith("uv ")
    resolved = {p["name"] for p in data["vet"]["resolved"]}
    assert {"flask", "werkzeug", "markupsafe", "pysocks"} <= resolved


def test_invented_and_typosquatted_names_block() -> None:
    code, data = _vet("reqeusts")
    assert code == 1
    assert {("AUD401", "reqeusts"), ("AUD402", "reqeusts")} <= _rules(data)
    assert data["vet"]["verdict"] == "block"
    assert data["findings"][0]["locations"] == [{"path": "<command line>", "line": 1}]


def test_vulnerable_transitive_package_blocks_with_its_path() -> None:
    code, data = _vet("flask")
    assert code == 1
    [finding] = [f for f in data["findings"] if f["rule_id"] == "AUD201"]
    assert (finding["package"], finding["version"]) == ("markupsafe", "2.1.0")
    assert finding["path_from_root"][0] == "flask"
    code, data = _vet("flask", "--no-deps")
    assert code == 0
    assert data["vet"]["resolved"] is None


def test_vulnerable_version_named_directly_blocks(osv: FakeOsv) -> None:
    code, data = _vet("markupsafe==2.1.0")
    assert code == 1
    assert ("AUD201", "markupsafe") in _rules(data)


def test_new_package_warns_and_fail_on_makes_it_block() -> None:
    code, data = _vet("brandnew")
    assert ("AUD406", "brandnew") in _rules(data)
    assert code == 0
    assert data["vet"]["verdict"] == "warn"
    code, _ = _vet("brandnew", "--fail-on", "low")
    assert code == 1


def test_yanked_and_quarantined() -> None:
    code, data = _vet("oldpin==1.0", "jailed")
    assert {("AUD404", "oldpin"), ("AUD403", "jailed")} <= _rules(data)
    assert code == 1


def test_requirements_file_findings_point_at_its_lines(tmp_path: Path) -> None:
    req = tmp_path / "req.txt"
    req.write_text("idna\nreqeusts==1.0\n")
    code, data = _vet("-r", str(req))
    assert code == 1
    [finding] = [f for f in data["findings"] if f["rule_id"] == "AUD401"]
    assert finding["locations"] == [{"path": "req.txt", "line": 2}]


def test_sdist_only_dependency_is_incomplete_fail_closed() -> None:
    code, data = _vet("needs-tripwire")
    assert code == 3
    assert data["vet"]["verdict"] == "incomplete"
    [gap] = [g for g in data["incomplete"] if g["source"] == "resolve"]
    assert gap["packages"] == ["tripwire"]
    code, _ = _vet("needs-tripwire", "--allow-incomplete")
    assert code == 0


def test_unreachable_sources_fail_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDITOR_OSV_URL", "http://127.0.0.1:9")
    code, data = _vet("idna")
    assert code == 3
    assert any(g["source"] == "osv" for g in data["incomplete"])


def test_known_malicious_name_from_the_shared_list_blocks(house: Wheelhouse) -> None:
    manifest = shared_data("malicious", "datadog-pypi-manifest.json")
    assert run_cli("db", "import", str(manifest)).code == 0
    house.add("auto-scrubber", "1.0")  # listed as malicious, every version
    code, data = _vet("auto-scrubber")
    assert code == 1
    assert ("AUD202", "auto-scrubber") in _rules(data)


def test_console_output_names_verdict_and_path() -> None:
    done = run_cli("vet", "flask")
    assert done.code == 1
    assert "BLOCK high     AUD201 markupsafe 2.1.0 (via flask -> " in done.out
    assert "verdict: block" in done.out


def test_usage_errors() -> None:
    assert run_cli("vet").code == 2
    done = run_cli("vet", "not a requirement!!")
    assert done.code == 2
    assert "is not a package requirement" in done.err


def test_policy_selects_license_rules_by_prefix() -> None:
    policy = VetPolicy()
    assert policy.selects("AUD301")  # the license stage's rules join without a change here
    assert policy.selects("AUD401")
    assert not policy.selects("AUD203")
    assert not policy.selects("AUD101")


def test_transitive_typosquat_and_new_dependency_are_judged(house: Wheelhouse) -> None:
    house.add("nicelib", "1.0", ["requestss"])
    house.add("requestss", "1.0", uploaded="2021-05-29T00:00:00Z")
    code, data = _vet("nicelib")
    assert code == 1
    found = {f["rule_id"]: f for f in data["findings"] if f["package"] == "requestss"}
    assert {"AUD402", "AUD406"} <= set(found)
    # placed at the line that brings it
    assert found["AUD402"]["locations"] == [{"path": "<command line>", "line": 1}]
    assert not any(f["rule_id"] == "AUD407" for f in data["findings"])  # not for resolved ones


def test_target_python_decides_what_is_brought(house: Wheelhouse) -> None:
    house.add("markerlib", "1.0", ['oldonly; python_version < "3.10"'])
    house.add("oldonly", "1.0")
    _, new = _vet("markerlib", "--python-version", "3.12")
    _, old = _vet("markerlib", "--python-version", "3.9", "--python-platform", "linux")
    assert {p["name"] for p in new["vet"]["resolved"]} == {"markerlib"}
    assert {p["name"] for p in old["vet"]["resolved"]} == {"markerlib", "oldonly"}
    assert any("Python 3.9, linux" in note for note in old["notes"])


def test_pyproject_dependencies_are_vetted(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "1"\ndependencies = ["idna", "reqeusts"]\n'
    )
    code, data = _vet("-r", str(tmp_path / "pyproject.toml"))
    assert code == 1
    [finding] = [f for f in data["findings"] if f["rule_id"] == "AUD401"]
    assert finding["locations"][0]["path"] == "pyproject.toml"
