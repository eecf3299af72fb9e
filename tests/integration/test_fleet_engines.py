"""``auditor fleet`` end to end on a real Dask LocalCluster (2 worker processes) and the local pool.

The fleet is generated (small repositories with known findings), the scans are offline and the
advisory store is imported from fixture records, so every answer is known in advance.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli
from fakes import FakeIndex, LoopbackServer
from fleet_helpers import (
    LATE_RECORD,
    RECORDS,
    commit_all,
    git,
    make_broken,
    make_fleet,
    write_records,
)

pytest.importorskip("distributed")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """A LocalCluster with two worker processes, shared by the module's tests."""
    import importlib
    import logging

    # Typed as Any: dask.distributed ships no annotations for these calls.
    dist: Any = importlib.import_module("distributed")
    logging.getLogger("distributed").setLevel(logging.WARNING)
    cluster = dist.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
    )
    client = dist.Client(cluster)
    try:
        yield str(cluster.scheduler_address)
    finally:
        client.close()
        cluster.close()


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """The advisory store of this test's cache, imported from fixture records."""
    done = run_cli("db", "import", str(write_records(tmp_path / "osv", RECORDS)))
    assert done.code == 0, done.err
    return Path(os.environ["AUDITOR_CACHE_DIR"]) / "osv.sqlite3"


def fleet(*args: str) -> tuple[int, dict[str, Any], str]:
    done = run_cli("fleet", *args, "--offline", "-f", "json")
    return done.code, json.loads(done.out), done.err


def dask_args(scheduler: str) -> list[str]:
    return ["--engine", "dask", "--scheduler", scheduler]


def repos_by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in report["repositories"]}


def scan_text(folder: Path, *args: str) -> str:
    done = run_cli("scan", str(folder), "--offline", "--format", "json", *args)
    assert done.out, done.err
    return done.out


ENGINES = ["dask", "dask-shipped-store", "local"]


@pytest.mark.parametrize("engine", ENGINES)
def test_each_report_is_identical_to_auditor_scan(
    engine: str, scheduler: str, store: Path, tmp_path: Path
) -> None:
    repos = make_fleet(tmp_path / "fleet")
    extra = {
        "dask": dask_args(scheduler),
        "dask-shipped-store": [*dask_args(scheduler), "--ship-store"],
        "local": ["--workers", "2"],
    }[engine]
    code, report, err = fleet(str(tmp_path / "fleet"), *extra, "--allow-incomplete")
    assert report["engine"] == engine.partition("-")[0]
    assert report["status"] == {"scanned": 3, "unchanged": 0, "failed": 0}, err
    by_name = repos_by_name(report)
    for name, folder in repos.items():
        stored = Path(by_name[name]["report"]).read_text(encoding="utf-8")
        # A shipped store is the worker's copy: the report names that file, nothing else differs.
        stored = re.sub(r"/[^ ]*auditor-fleet-store/[0-9a-f]+/", f"{store.parent}/", stored)
        assert stored == scan_text(folder, "--allow-incomplete"), name
    # Known findings: requests 2.19.0 and flask 2.0.0 are vulnerable.
    vulnerable = json.loads(Path(by_name["vulnerable"]["report"]).read_text())
    assert [(f["rule_id"], f["package"]) for f in vulnerable["findings"]] == [
        ("AUD201", "requests")
    ]
    # Each repository keeps its own [tool.auditor]: gated's gate is critical, so it passes
    # (offline, the index is not checked: incomplete, allowed here).
    assert by_name["gated"]["exit_code"] == 0
    assert by_name["gated"]["findings"]["high"] == 1
    assert by_name["gated"]["revision"] == git(repos["gated"], "rev-parse", "HEAD").strip()
    assert by_name["vulnerable"]["exit_code"] == 1
    assert code == 1
    assert store.is_file()


def test_a_failing_repository_does_not_stop_the_fleet(
    scheduler: str, store: Path, tmp_path: Path
) -> None:
    repos = make_fleet(tmp_path / "fleet")
    broken = make_broken(tmp_path / "fleet")
    listing = tmp_path / "fleet.txt"
    missing = (tmp_path / "no-such-repo.git").as_uri()
    listing.write_text(
        "# the organisation's repositories\n"
        + "".join(f"{p}\n" for p in [*repos.values(), broken])
        + f"{missing}\n"
    )
    code, report, _err = fleet(str(listing), *dask_args(scheduler), "--retries", "1")
    by_name = repos_by_name(report)
    assert report["status"] == {"scanned": 3, "unchanged": 0, "failed": 2}
    assert by_name["broken"]["status"] == "failed"
    assert "configuration error" in by_name["broken"]["error"]
    assert "unknown keys ['no-such-key']" in by_name["broken"]["error"]
    assert by_name["broken"]["attempts"] == 1  # a configuration error is not retried
    assert by_name["no-such-repo"]["status"] == "failed"
    assert by_name["no-such-repo"]["error"].startswith("git ls-remote failed")
    assert by_name["no-such-repo"]["attempts"] == 2  # a git failure is retried once
    assert code == 1  # vulnerable's finding decides, as in scan
    # Without a finding at the gate, a failed repository makes the fleet incomplete (3) ...
    code, report, _err = fleet(str(listing), *dask_args(scheduler), "--fail-on", "critical")
    assert code == 3
    # ... unless incomplete audits are allowed.
    code, report, _err = fleet(
        str(listing), *dask_args(scheduler), "--fail-on", "critical", "--allow-incomplete"
    )
    assert code == 0
    assert report["status"]["failed"] == 2


def test_a_rerun_with_nothing_changed_scans_nothing(
    scheduler: str, store: Path, tmp_path: Path
) -> None:
    repos = make_fleet(tmp_path / "fleet")
    _code, first, _err = fleet(str(tmp_path / "fleet"), *dask_args(scheduler))
    assert first["status"]["scanned"] == 3
    stamps = {r["name"]: Path(r["report"]).stat().st_mtime_ns for r in first["repositories"]}
    code, second, _err = fleet(str(tmp_path / "fleet"), *dask_args(scheduler))
    assert second["status"] == {"scanned": 0, "unchanged": 3, "failed": 0}
    assert {
        r["name"]: Path(r["report"]).stat().st_mtime_ns for r in second["repositories"]
    } == stamps
    assert second["findings"] == first["findings"]
    assert code == 1
    # One repository changes (a new commit, a changed file): only it is audited again.
    (repos["gated"] / "README.md").write_text("docs\n")
    commit_all(repos["gated"], "docs")
    (repos["plain"] / "requirements.txt").write_text("click==8.1.0\n")
    _code, third, _err = fleet(str(tmp_path / "fleet"), *dask_args(scheduler))
    assert third["status"] == {"scanned": 2, "unchanged": 1, "failed": 0}
    assert repos_by_name(third)["vulnerable"]["status"] == "unchanged"


def test_git_urls_are_cloned_without_running_hooks(
    scheduler: str, store: Path, tmp_path: Path
) -> None:
    origin = tmp_path / "origin"
    origin.mkdir()
    (origin / "requirements.txt").write_text("requests==2.19.0\n")
    commit = commit_all(origin)
    marker = tmp_path / "hook-ran"
    templates = tmp_path / "templates" / "hooks"
    templates.mkdir(parents=True)
    for hook in ("post-checkout", "post-merge", "pre-commit", "reference-transaction"):
        script = templates / hook
        script.write_text(f"#!/bin/sh\ntouch {marker}\n")
        script.chmod(0o755)
    listing = tmp_path / "fleet.txt"
    listing.write_text(f"{origin.as_uri()}\n")
    os.environ["GIT_TEMPLATE_DIR"] = str(tmp_path / "templates")
    try:
        code, report, err = fleet(str(listing), "--workers", "1")
    finally:
        del os.environ["GIT_TEMPLATE_DIR"]
    (repo,) = report["repositories"]
    assert repo["status"] == "scanned", err
    assert repo["revision"] == commit
    assert not marker.exists()
    assert code == 1
    checkouts = Path(os.environ["AUDITOR_CACHE_DIR"]) / "fleet" / "checkouts"
    assert list(checkouts.iterdir()) == []  # the clone is removed once its report is stored
    _code, again, _err = fleet(str(listing), "--workers", "1")
    assert again["status"]["unchanged"] == 1  # the remote head did not move: no clone


def test_fleet_query_answers_from_the_stored_reports(
    scheduler: str, store: Path, tmp_path: Path
) -> None:
    make_fleet(tmp_path / "fleet")
    fleet(str(tmp_path / "fleet"), *dask_args(scheduler))
    done = run_cli("fleet", "query", "--advisory", "CVE-2018-18074", "-f", "json")
    assert done.code == 0, done.err
    answer = json.loads(done.out)
    assert answer["affected_repositories"] == ["vulnerable"]
    (hit,) = answer["hits"]
    assert (hit["package"], hit["version"], hit["how"]) == ("requests", "2.19.0", "finding")
    assert hit["location"] == "requirements.txt:1"
    done = run_cli("fleet", "query", "--package", "click", "--version", "8.1.0", "-f", "json")
    assert json.loads(done.out)["affected_repositories"] == ["plain", "vulnerable"]
    # An advisory published after the scan: answered from the inventory, nothing rescanned.
    run_cli("db", "import", str(write_records(tmp_path / "late", [LATE_RECORD])))
    done = run_cli("fleet", "query", "--advisory", "PYSEC-2099-1")
    assert done.code == 0
    assert "affected by PYSEC-2099-1: 2 of 3 repositories" in done.out
    assert "[advisory-store]" in done.out


def test_fleet_report_formats_escape_repository_text(store: Path, tmp_path: Path) -> None:
    root = tmp_path / "fleet"
    hostile = root / "<img src=x onerror=alert(1)>"
    hostile.mkdir(parents=True)
    (hostile / "requirements.txt").write_text("requests==2.19.0\n")
    out_dir = tmp_path / "out"
    done = run_cli("fleet", str(root), "--offline", "--workers", "1", "--output-dir", str(out_dir))
    assert done.code == 1, done.err
    page = (out_dir / "fleet.html").read_text()
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    markdown = (out_dir / "fleet.md").read_text()
    assert "<img" not in markdown
    assert "&lt;img src=x onerror=alert\\(1\\)&gt;" in markdown
    assert json.loads((out_dir / "fleet.json").read_text())["repositories_total"] == 1
    assert "1 repositories: 1 scanned" in done.out


def test_index_lookups_are_deduplicated_across_repositories(
    index_server: tuple[FakeIndex, LoopbackServer], tmp_path: Path
) -> None:
    fake, server = index_server
    for name in ("requests", "click", "flask"):
        fake.add(name, {"1.0": "2020-01-01T00:00:00Z", "2.0": "2021-01-01T00:00:00Z"})
    root = tmp_path / "fleet"
    for i in range(6):
        folder = root / f"svc-{i}"
        folder.mkdir(parents=True)
        (folder / "requirements.txt").write_text("requests==2.0\nclick==1.0\nflask==2.0\n")
    done = run_cli(
        "fleet", str(root), "--workers", "2", "--enable", "AUD4", "-f", "json", "--allow-incomplete"
    )
    report = json.loads(done.out)
    assert report["status"]["scanned"] == 6, done.err
    json_api = [r.path for r in server.requests if r.path.startswith("/pypi/")]
    assert sorted(json_api) == ["/pypi/click/json", "/pypi/flask/json", "/pypi/requests/json"]
    for repo in report["repositories"]:  # every repository got the index's answers
        data = json.loads(Path(repo["report"]).read_text())
        assert not [i for i in data["incomplete"] if i["source"] == "index"]
