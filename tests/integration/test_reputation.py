"""Reputation checks end to end: the CLI, the loopback index, the db command, real git history."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli, shared_data
from fakes import FakeIndex, LoopbackServer

TOP = {"last_update": "2026-04-01", "rows": [
    {"project": "requests", "download_count": 1_000_000_000},
    {"project": "colorama", "download_count": 500_000_000},
    {"project": "numpy", "download_count": 400_000_000},
]}  # fmt: skip


def _scan(path: Path, *args: str) -> tuple[int, dict[str, Any]]:
    result = run_cli("scan", str(path), "--format", "json", *args)
    return result.code, json.loads(result.out)


def _import_top(tmp_path: Path) -> None:
    top = tmp_path / "top.json"
    top.write_text(json.dumps(TOP), encoding="utf-8")
    done = run_cli("db", "import", str(top))
    assert done.code == 0, done.err
    assert "imported 3 popular package names" in done.out


def test_hallucinated_and_typosquatted_names(
    tmp_path: Path, index_server: tuple[FakeIndex, LoopbackServer],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    fake, _ = index_server
    monkeypatch.setenv("AUDITOR_TODAY", "2025-06-01")
    fake.add("requests", {"2.32.3": "2024-05-29T00:00:00Z", "1.0": "2012-12-17T00:00:00Z",
                          "2.0": "2013-09-24T00:00:00Z"})  # fmt: skip
    fake.add("colorrama", {"0.1": "2025-05-25T00:00:00Z"})
    _import_top(tmp_path)
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "requirements.txt").write_text(
        "requests==2.32.3\nreqeusts==1.0\ncolorrama==0.1\n", encoding="utf-8"
    )
    code, data = _scan(repo, "--enable", "AUD4", "--allow-incomplete")
    found = {(f["rule_id"], f["package"]): f for f in data["findings"]}
    missing = found[("AUD401", "reqeusts")]
    assert missing["severity"] == "critical"
    assert missing["evidence"]["suggestions"][0] == "requests"
    assert found[("AUD402", "reqeusts")]["severity"] == "high"  # look-alike and missing
    assert found[("AUD402", "colorrama")]["severity"] == "high"  # look-alike and 7 days old
    assert found[("AUD406", "colorrama")]["evidence"]["age_days"] == 7
    assert ("AUD402", "requests") not in found
    assert code == 1
    assert any(d["name"] == "popular-packages" for d in data["data_sources"])


def test_offline_without_list_is_incomplete_not_clean(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("reqeusts==1.0\n", encoding="utf-8")
    (tmp_path / ".auditor.toml").write_text(
        "[policy.reputation]\nbundled_popular = false\n", encoding="utf-8"
    )
    code, data = _scan(tmp_path, "--offline", "--enable", "AUD402")
    assert code == 3
    (note,) = [i for i in data["incomplete"] if i["source"] == "typosquat"]
    assert "run auditor db update or auditor db import top-pypi-packages.json" in note["reason"]
    assert data["findings"] == []


def test_offline_without_import_uses_the_bundled_list(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("reqeusts==1.0\n", encoding="utf-8")
    code, data = _scan(tmp_path, "--offline", "--enable", "AUD402", "--allow-incomplete")
    assert code == 0  # medium: an unlisted look-alike the index was not asked about
    assert [(f["rule_id"], f["evidence"]["target"]) for f in data["findings"]] == [
        ("AUD402", "requests")
    ]
    assert not [i for i in data["incomplete"] if i["source"] == "typosquat"]
    (source,) = [d for d in data["data_sources"] if d["name"] == "popular-packages"]
    assert "bundled list" in source["detail"]
    assert source["updated"]


def test_offline_with_imported_list_still_finds_typosquats(tmp_path: Path) -> None:
    _import_top(tmp_path)
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "requirements.txt").write_text("nunpy\n", encoding="utf-8")
    code, data = _scan(repo, "--offline", "--enable", "AUD402", "--allow-incomplete")
    (hit,) = data["findings"]
    assert (hit["rule_id"], hit["evidence"]["target"], hit["severity"]) == (
        "AUD402",
        "numpy",
        "medium",
    )
    assert code == 0  # medium is below the default gate (high)


def test_db_import_of_the_real_top_list(tmp_path: Path) -> None:
    path = shared_data("pypi", "top-pypi-packages.json")
    done = run_cli("db", "import", str(path))
    assert done.code == 0, done.err
    assert "imported 15000 popular package names" in done.out
    (tmp_path / "requirements.txt").write_text("beautifulsup4\nrequests\n", encoding="utf-8")
    _, data = _scan(tmp_path, "--offline", "--enable", "AUD402", "--allow-incomplete")
    assert [(f["package"], f["evidence"]["target"]) for f in data["findings"]] == [
        ("beautifulsup4", "beautifulsoup4")
    ]


def _git(repo: Path, *args: str, date: str | None = None) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}  # fmt: skip
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
    subprocess.run(["git", "-C", str(repo), *args], check=True, env=env, capture_output=True)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_born_after_use_from_real_git_history(
    tmp_path: Path, index_server: tuple[FakeIndex, LoopbackServer],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    fake, _ = index_server
    monkeypatch.setenv("AUDITOR_TODAY", "2025-06-01")
    fake.add("flask", {"1.0": "2018-04-26T00:00:00Z", "3.0.3": "2024-04-07T00:00:00Z",
                       "2.0": "2021-05-11T00:00:00Z"})  # fmt: skip
    fake.add("flask-ai-guard", {"1.0.0": "2024-09-10T00:00:00Z", "1.0.1": "2024-10-01T00:00:00Z",
                                "1.1.0": "2024-11-01T00:00:00Z"})  # fmt: skip
    _git(tmp_path, "init", "-q")
    req = tmp_path / "requirements.txt"
    req.write_text("flask==3.0.3\n", encoding="utf-8")
    _git(tmp_path, "add", "requirements.txt")
    _git(tmp_path, "commit", "-q", "-m", "start", date="2024-05-01T10:00:00+00:00")
    req.write_text("flask==3.0.3\nflask-ai-guard==1.0.0\n", encoding="utf-8")
    _git(tmp_path, "commit", "-q", "-am", "add guard", date="2024-06-15T10:00:00+00:00")
    code, data = _scan(tmp_path, "--enable", "AUD410", "--allow-incomplete")
    (hit,) = data["findings"]
    assert hit["rule_id"] == "AUD410"
    assert hit["package"] == "flask-ai-guard"
    assert hit["severity"] == "critical"
    assert hit["evidence"]["first_commit"].startswith("2024-06-15")
    assert hit["evidence"]["days_between"] == 86
    assert hit["locations"] == [{"path": "requirements.txt", "line": 2}]
    assert code == 1
