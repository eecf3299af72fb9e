"""How loud a vulnerability is depends on how the version reaches users (real-project lessons).

A library's floor (``urllib3>=1.26`` in a library's pyproject) admits old vulnerable releases
that its users never install: low, not a gate failure. A pin in a development group (tests,
docs, minimum-versions environments) never ships: low. A project requiring itself with extras
(``requests[socks]``) installs nothing from the index: no finding. An application's runtime
requirement keeps the rule's severity.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli
from fakes import FakeOsv, LoopbackServer
from test_vulns import rec

LIBRARY = """
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "mylib"
version = "1.0"
dependencies = ["urllib3>=1.0", "jinja2>=2.0"]

[project.optional-dependencies]
socks = ["mylib[extra]"]
min-versions = ["jinja2==2.0"]
"""


def _listed(record: dict[str, Any], versions: list[str]) -> dict[str, Any]:
    record["affected"][0]["versions"] = versions
    return record


@pytest.fixture
def osv(osv_server: tuple[FakeOsv, LoopbackServer]) -> tuple[FakeOsv, LoopbackServer]:
    fake, server = osv_server
    fake.add(_listed(rec("PYSEC-1", "urllib3", "1.26.5"), ["1.0", "1.25.0"]))
    fake.add(_listed(rec("PYSEC-2", "jinja2", "2.11.3"), ["2.0", "2.10"]))
    fake.add(_listed(rec("PYSEC-3", "mylib", None), ["0.9", "1.0"]))
    return fake, server


def _scan(folder: Path, server: LoopbackServer) -> dict[str, Any]:
    assert server.url  # AUDITOR_OSV_URL points at it (the osv_server fixture)
    done = run_cli("scan", str(folder), "--format", "json", "--enable", "AUD2", "--exit-zero")
    assert done.out, done.err
    data: dict[str, Any] = json.loads(done.out)
    return data


def test_library_floors_dev_pins_and_self_references(
    osv: tuple[FakeOsv, LoopbackServer], tmp_path: Path
) -> None:
    _fake, server = osv
    (tmp_path / "pyproject.toml").write_text(LIBRARY, encoding="utf-8")
    data = _scan(tmp_path, server)
    found = {(f["rule_id"], f["package"]): f for f in data["findings"]}
    floor = found[("AUD203", "urllib3")]
    assert floor["severity"] == "low"
    assert floor["evidence"]["declared_as"] == "library"
    assert "floor" in floor["message"]
    dev = found[("AUD201", "jinja2")]
    assert dev["severity"] == "low"
    assert dev["evidence"]["declared_as"] == "dev"
    assert not [f for f in data["findings"] if f["package"] == "mylib"]


def test_an_applications_runtime_range_keeps_its_severity(
    osv: tuple[FakeOsv, LoopbackServer], tmp_path: Path
) -> None:
    _fake, server = osv
    (tmp_path / "requirements.txt").write_text("urllib3>=1.0\n", encoding="utf-8")
    data = _scan(tmp_path, server)
    (finding,) = [f for f in data["findings"] if f["rule_id"] == "AUD203"]
    assert finding["severity"] != "low"
    assert finding["evidence"]["declared_as"] == "runtime"


def test_example_and_docs_environments_are_low(
    osv: tuple[FakeOsv, LoopbackServer], tmp_path: Path
) -> None:
    _fake, server = osv
    (tmp_path / "examples" / "demo").mkdir(parents=True)
    (tmp_path / "examples" / "demo" / "requirements.txt").write_text(
        "urllib3>=1.0\njinja2==2.0\n", encoding="utf-8"
    )
    data = _scan(tmp_path, server)
    found = {(f["rule_id"], f["package"]): f for f in data["findings"]}
    assert found[("AUD203", "urllib3")]["severity"] == "low"
    assert found[("AUD201", "jinja2")]["severity"] == "low"
    assert found[("AUD201", "jinja2")]["evidence"]["declared_as"] == "example"
    done = run_cli("scan", str(tmp_path), "--format", "json", "--enable", "AUD1", "--offline",
                   "--exit-zero")  # fmt: skip
    pins = json.loads(done.out)["findings"]
    assert pins
    assert {f["severity"] for f in pins if f["rule_id"] in ("AUD101", "AUD103")} <= {"low"}


def test_a_dependency_group_does_not_ship_with_the_package(
    osv: tuple[FakeOsv, LoopbackServer], tmp_path: Path
) -> None:
    _fake, server = osv
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "1"\n[dependency-groups]\ntoxgen = ["urllib3>=1.0"]\n',
        encoding="utf-8",
    )
    data = _scan(tmp_path, server)
    (finding,) = [f for f in data["findings"] if f["rule_id"] == "AUD203"]
    assert (finding["severity"], finding["evidence"]["declared_as"]) == ("low", "dev")
