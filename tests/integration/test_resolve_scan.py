"""``auditor scan --resolve``: an unlocked requirements file's whole tree joins the graph.

A loopback index serves real wheels (built in the tests) and a loopback OSV API knows an
advisory for a package only reachable transitively; uv resolves against the loopback index only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli
from fakes import FakeOsv, LoopbackServer
from wheelhouse import Wheelhouse, house_as_index, sample_house

from auditor.resolve.uv import find_uv

pytestmark = pytest.mark.skipif(find_uv() is None, reason="uv is not installed")

MARKUPSAFE_VULN = {
    "id": "PYSEC-2099-7",
    "modified": "2024-01-01T00:00:00Z",
    "summary": "markupsafe escapes nothing",
    "affected": [{"package": {"ecosystem": "PyPI", "name": "markupsafe"},
                  "ranges": [{"type": "ECOSYSTEM",
                              "events": [{"introduced": "0"}, {"fixed": "2.2.0"}]}]}],
}  # fmt: skip


@pytest.fixture
def house() -> Wheelhouse:
    return sample_house()


@pytest.fixture
def index(house: Wheelhouse, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with house_as_index(house, monkeypatch) as simple:
        yield simple


@pytest.fixture
def osv(osv_server: tuple[FakeOsv, LoopbackServer]) -> FakeOsv:
    fake, _ = osv_server
    fake.add(MARKUPSAFE_VULN)
    return fake


def _repo(tmp_path: Path, text: str, config: str = "") -> Path:
    folder = tmp_path / "repo"
    folder.mkdir()
    (folder / "requirements.txt").write_text(text)
    if config:
        (folder / ".auditor.toml").write_text(config)
    return folder


def _scan(folder: Path, *args: str) -> tuple[int, dict[str, Any]]:
    done = run_cli("scan", str(folder), "--format", "json", "--enable", "AUD2", *args)
    assert done.out, done.err
    return done.code, json.loads(done.out)


def test_transitive_vulnerability_is_found_only_with_resolve(
    tmp_path: Path, index: str, osv: FakeOsv
) -> None:
    folder = _repo(tmp_path, "flask>=2\n")
    code, plain = _scan(folder)
    assert [p["name"] for p in plain["packages"]] == ["flask"]
    assert not plain["findings"]
    code, data = _scan(folder, "--resolve")
    assert code == 1
    names = {p["name"]: p["version"] for p in data["packages"]}
    assert {p["name"] for p in data["packages"] if p.get("resolved")} == {
        "flask", "werkzeug", "jinja2", "markupsafe", "itsdangerous",
    }  # fmt: skip
    assert names == {"flask": "3.0.0", "werkzeug": "3.0.1", "jinja2": "3.1.0",
                     "markupsafe": "2.1.0", "itsdangerous": "2.0.0"}  # fmt: skip
    [finding] = data["findings"]
    assert finding["rule_id"] == "AUD201"
    assert (finding["package"], finding["version"]) == ("markupsafe", "2.1.0")
    assert finding["path_from_root"][-1] == "markupsafe"
    assert finding["path_from_root"][0] == "flask"
    assert finding["locations"] == [{"path": "requirements.txt", "line": 1}]
    [note] = [n for n in data["notes"] if "resolved, not locked" in n]
    assert "uv " in note
    assert index in note
    assert "markupsafe 2.1.0" in note


def test_config_key_turns_resolution_on(tmp_path: Path, index: str, osv: FakeOsv) -> None:
    folder = _repo(tmp_path, "flask>=2\n", config="resolve = true\n")
    code, data = _scan(folder)
    assert code == 1
    assert "markupsafe" in {p["name"] for p in data["packages"]}


def test_graph_marks_resolved_nodes_and_why_shows_the_path(
    tmp_path: Path, index: str, osv: FakeOsv
) -> None:
    folder = _repo(tmp_path, "flask>=2\nidna==3.4\n")
    done = run_cli("graph", str(folder), "--resolve", "--format", "json")
    assert done.code == 0, done.err
    nodes = {n["id"]: n for n in json.loads(done.out)["nodes"]}
    assert nodes["markupsafe"]["resolved"] is True
    assert nodes["markupsafe"]["locked"] is False
    assert nodes["markupsafe"]["versions"] == ["2.1.0"]
    links = json.loads(done.out)["links"]
    assert {"source": "jinja2", "target": "markupsafe"}.items() <= next(
        link for link in links if link["source"] == "jinja2"
    ).items()
    why = run_cli("why", "markupsafe", str(folder), "--resolve")
    assert why.code == 0, why.err
    assert "flask" in why.out
    assert "jinja2" in why.out
    assert "werkzeug" in why.out
    assert "jinja2==3.1.0 [resolved, not locked] -> markupsafe==2.1.0" in why.out


def test_sdist_only_dependency_makes_the_scan_incomplete(
    tmp_path: Path, index: str, osv: FakeOsv
) -> None:
    folder = _repo(tmp_path, "needs-tripwire\n")
    code, data = _scan(folder, "--resolve")
    assert code == 3
    [gap] = [g for g in data["incomplete"] if g["source"] == "resolve"]
    assert gap["packages"] == ["tripwire"]
    assert "would execute its build" in gap["reason"]
    assert {p["name"] for p in data["packages"]} == {"needs-tripwire", "idna"}


def test_a_lockfile_folder_is_not_resolved(tmp_path: Path, index: str, osv: FakeOsv) -> None:
    folder = _repo(tmp_path, "flask>=2\n")
    (folder / "pylock.toml").write_text(
        'lock-version = "1.0"\ncreated-by = "x"\n\n[[packages]]\nname = "flask"\n'
        'version = "3.0.0"\n'
    )
    _code, data = _scan(folder, "--resolve")
    assert "markupsafe" not in {p["name"] for p in data["packages"]}
    assert any("next to a lockfile were not resolved" in n for n in data["notes"])


def test_url_requirements_are_not_resolved_and_say_so(
    tmp_path: Path, index: str, osv: FakeOsv
) -> None:
    folder = _repo(tmp_path, "idna\nmylib @ https://127.0.0.1:9/mylib-1.0.tar.gz\n")
    _code, data = _scan(folder, "--resolve")
    gaps = [g for g in data["incomplete"] if g["source"] == "resolve"]
    assert [g["packages"] for g in gaps] == [["mylib"]]
    assert "would execute its build" in gaps[0]["reason"]


def test_an_unreachable_index_is_not_a_clean_resolution(tmp_path: Path, osv: FakeOsv) -> None:
    folder = _repo(tmp_path, "flask>=2\n")
    code, data = _scan(folder, "--resolve", "--timeout", "20")
    assert code == 3
    [gap] = [g for g in data["incomplete"] if g["source"] == "resolve"]
    assert "could not resolve" in gap["reason"]
    assert gap["packages"] == ["flask"]


def test_reputation_rules_judge_resolved_packages(
    tmp_path: Path, house: Wheelhouse, index: str, osv: FakeOsv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUDITOR_TODAY", "2021-06-01")
    house.add("nicelib", "1.0", ["freshdep"])
    house.add("freshdep", "0.1", uploaded="2021-05-28T00:00:00Z")
    folder = _repo(tmp_path, "nicelib\n")
    done = run_cli("scan", str(folder), "--format", "json", "--enable", "AUD406",
                   "--enable", "AUD407", "--resolve")  # fmt: skip
    data = json.loads(done.out)
    found = {(f["rule_id"], f["package"]) for f in data["findings"]}
    assert ("AUD406", "freshdep") in found  # brand new, brought by resolution
    assert ("AUD407", "freshdep") not in found
    [finding] = [f for f in data["findings"] if f["package"] == "freshdep"]
    assert finding["locations"] == [{"path": "requirements.txt", "line": 1}]
