"""`auditor scan` with the index checks (AUD403-AUD405) against a loopback package index."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli
from fakes import FakeIndex, Fault, LoopbackServer

MINE = ("--enable", "AUD403", "--enable", "AUD404", "--enable", "AUD405")
Server = tuple[FakeIndex, LoopbackServer]


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDITOR_TODAY", "2025-06-01")


def _scan(path: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    result = run_cli("scan", str(path), "--format", "json", *MINE, *extra)
    assert result.out, result.err
    data: dict[str, Any] = json.loads(result.out)
    return result.code, data


def _by_rule(data: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for finding in data["findings"]:
        found.setdefault(finding["rule_id"], []).append(finding)
    return found


def _populate(fake: FakeIndex) -> None:
    fake.add(
        "requests",
        {
            "2.19.0": "2018-06-14T00:00:00Z",
            "2.31.0": "2023-05-22T00:00:00Z",
            "2.32.3": "2024-05-29T00:00:00Z",
        },
    )
    fake.add(
        "httplibx",
        {"2.1.0": "2024-02-10T00:00:00Z", "2.1.1": "2024-02-12T00:00:00Z"},
        yanked={"2.1.0": "Breaks TLS \x1b[31mverification\nsee issue 12"},
    )
    fake.add(
        "colourtext",
        {"1.0.2": "2024-03-01T00:00:00Z"},
        status="quarantined",
        status_reason="Reported as \x1b]8;;evil\x07malware",
    )
    fake.add(
        "oldframework",
        {
            "1.0": "2022-01-01T00:00:00Z",
            "2.0": "2023-01-01T00:00:00Z",
            "3.0": "2024-01-01T00:00:00Z",
        },
        status="archived",
    )
    fake.add("fresh", {"1.0": "2025-01-01T00:00:00Z"})


def _repo(tmp_path: Path) -> Path:
    (tmp_path / "requirements.txt").write_text(
        "requests==2.19.0\n"
        "httplibx==2.1.0\n"
        "colourtext\n"
        "oldframework==1.0\n"
        "fresh==1.0\n"
        "./vendor/locallib\n"
        "git+https://127.0.0.1/repo.git#egg=vcslib\n"
    )
    return tmp_path


def test_status_yanked_and_stale(index_server: Server, tmp_path: Path) -> None:
    fake, server = index_server
    _populate(fake)
    code, data = _scan(_repo(tmp_path))
    found = _by_rule(data)
    assert code == 1
    assert data["incomplete"] == []

    status = {f["package"]: f for f in found["AUD403"]}
    assert sorted(status) == ["colourtext", "oldframework"]
    quarantined = status["colourtext"]
    assert quarantined["severity"] == "critical"
    assert "\x1b" not in quarantined["message"]
    assert "\x07" not in quarantined["message"]
    assert quarantined["message"].startswith(
        "colourtext is marked quarantined on the package index"
    )
    assert quarantined["evidence"]["reason"] == "Reported as \x1b]8;;evil\x07malware"  # data
    assert quarantined["locations"] == [{"path": "requirements.txt", "line": 3}]
    assert status["oldframework"]["severity"] == "medium"
    assert status["oldframework"]["message"].endswith("(no reason given)")

    (yank,) = found["AUD404"]
    assert (yank["package"], yank["version"], yank["severity"]) == ("httplibx", "2.1.0", "high")
    assert yank["message"] == (
        "httplibx 2.1.0 is pinned but yanked from the package index: "
        "Breaks TLS \ufffd[31mverification see issue 12"
    )
    assert yank["fix"] == "upgrade to 2.1.1"
    assert yank["evidence"]["replacement"] == "2.1.1"

    stale = {f["package"]: f for f in found["AUD405"]}
    assert sorted(stale) == ["oldframework", "requests"]
    assert stale["requests"]["severity"] == "low"
    assert stale["requests"]["fix"] == "upgrade to 2.32.3"
    assert stale["requests"]["evidence"]["age_days"] == 2544
    assert stale["oldframework"]["severity"] == "medium"  # two major versions behind
    assert stale["oldframework"]["evidence"]["majors_behind"] == 2

    # Local paths and VCS links are not the index's business: never asked about.
    asked = {r.path.split("/")[2] for r in server.requests}
    assert asked == {"requests", "httplibx", "colourtext", "oldframework", "fresh"}
    assert data["data_sources"][0]["name"] == "index"


def test_policy_override(index_server: Server, tmp_path: Path) -> None:
    fake, _server = index_server
    _populate(fake)
    repo = _repo(tmp_path)
    (repo / "pyproject.toml").write_text(
        "[tool.auditor.policy.index.stale]\n"
        "stale_pin_days = 10000\n"
        "stale_major_versions = 5\n"
        "[tool.auditor.policy.index.status_severity]\n"
        'archived = "info"\n'
    )
    _code, data = _scan(repo)
    found = _by_rule(data)
    assert "AUD405" not in found
    status = {f["package"]: f["severity"] for f in found["AUD403"]}
    assert status == {"colourtext": "critical", "oldframework": "info"}


def test_bad_policy_is_a_config_error(index_server: Server, tmp_path: Path) -> None:
    fake, _server = index_server
    _populate(fake)
    repo = _repo(tmp_path)
    (repo / "pyproject.toml").write_text("[tool.auditor.policy.index.stale]\nstale_pin_days = -3\n")
    result = run_cli("scan", str(repo), "--format", "json", *MINE)
    assert result.code == 2
    assert "policy.index.stale.stale_pin_days: expected a positive whole number, got -3" in (
        result.err
    )


def test_index_failure_is_incomplete_not_clean(index_server: Server, tmp_path: Path) -> None:
    fake, server = index_server
    _populate(fake)
    server.faults["/pypi/requests/"] = Fault(truncate=True)
    server.faults["/pypi/fresh/"] = Fault(status=404)
    (tmp_path / "requirements.txt").write_text("requests==2.19.0\nfresh==1.0\n")
    code, data = _scan(tmp_path)
    assert code == 3  # fail closed
    assert data["findings"] == []
    assert data["incomplete"] == [
        {
            "source": "index",
            "reason": "package index not checked: the index sent invalid JSON",
            "packages": ["requests"],
        }
    ]
    allowed, data = _scan(tmp_path, "--allow-incomplete")
    assert allowed == 0
    assert data["incomplete"][0]["packages"] == ["requests"]


def test_offline_uses_the_cache(index_server: Server, tmp_path: Path) -> None:
    fake, server = index_server
    _populate(fake)
    repo = _repo(tmp_path)
    _code, online = _scan(repo)
    count = len(server.requests)
    code, offline = _scan(repo, "--offline")
    assert len(server.requests) == count
    assert code == 1
    assert offline["findings"] == online["findings"]
    assert offline["incomplete"] == []


def test_offline_without_cache_says_what_was_not_checked(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("requests==2.19.0\n")
    code, data = _scan(tmp_path, "--offline")
    assert code == 3
    assert data["incomplete"] == [
        {
            "source": "index",
            "reason": "package index not checked: offline",
            "packages": ["requests"],
        }
    ]


def test_unreachable_index(tmp_path: Path) -> None:
    # The autouse environment points the index at a dead loopback port.
    (tmp_path / "requirements.txt").write_text("requests==2.19.0\n")
    code, data = _scan(tmp_path, "--allow-incomplete")
    assert code == 0
    assert data["incomplete"][0]["reason"] == (
        "package index not checked: could not connect to the index"
    )
