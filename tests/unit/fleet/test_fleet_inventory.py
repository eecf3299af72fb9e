"""The inventory, the queries and the fleet report, from synthetic stored reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor.fleet.inventory import Inventory
from auditor.fleet.model import RepoOutcome, RepoStatus, failed
from auditor.fleet.query import affected_by, who_uses
from auditor.fleet.render import render_html, render_markdown, write_all
from auditor.fleet.sources import RepoSource
from auditor.fleet.summary import build_fleet_report, fleet_exit_code


def _source(name: str) -> RepoSource:
    return RepoSource(name=name, location=f"/fleet/{name}", is_url=False, origin="test")


def _finding(pkg: str, version: str, severity: str, ids: list[str]) -> dict[str, Any]:
    return {
        "rule_id": "AUD201",
        "severity": severity,
        "package": pkg,
        "version": version,
        "locations": [{"path": "requirements.txt", "line": 2}],
        "evidence": {"advisories": ids},
    }


def _report(
    tmp_path: Path,
    name: str,
    packages: dict[str, str],
    findings: list[dict[str, Any]],
    licenses: dict[str, str] | None = None,
) -> Path:
    data: dict[str, Any] = {
        "packages": [{"name": n, "version": v, "direct": True} for n, v in packages.items()],
        "findings": findings,
        "incomplete": [],
    }
    if licenses is not None:
        data["licenses"] = {
            "schema_version": 1,
            "packages": [
                {
                    "name": n,
                    "version": packages[n],
                    "license": lic,
                    "category": "permissive",
                    "source": "metadata",
                }
                for n, lic in licenses.items()
            ],
        }
    path = tmp_path / f"{abs(hash(name))}.json"
    path.write_text(json.dumps(data))
    return path


def _record(inv: Inventory, tmp_path: Path, name: str, code: int, *args: Any, **kw: Any) -> None:
    report = _report(tmp_path, name, *args, **kw)
    findings = args[1]
    summary = {"high": sum(f["severity"] == "high" for f in findings)}
    inv.record(
        _source(name),
        RepoOutcome(
            key=_source(name).key,
            status=RepoStatus.SCANNED,
            revision="r1",
            report=str(report),
            exit_code=code,
            summary=summary,
        ),
    )


@pytest.fixture
def inventory(tmp_path: Path) -> Inventory:
    inv = Inventory(tmp_path / "state")
    vuln = _finding("requests", "2.19.0", "high", ["PYSEC-2018-28", "CVE-2018-18074"])
    _record(
        inv,
        tmp_path,
        "api",
        1,
        {"requests": "2.19.0", "click": "8.1.0"},
        [vuln],
        licenses={"requests": "Apache-2.0", "click": "BSD-3-Clause"},
    )
    _record(
        inv,
        tmp_path,
        "web",
        1,
        {"requests": "2.19.0", "flask": "2.0.0"},
        [vuln],
        licenses={"requests": "Apache-2.0"},
    )
    _record(inv, tmp_path, "cli", 0, {"click": "8.1.7", "requests": "2.31.0"}, [])
    return inv


def test_who_uses_a_package_and_a_version(inventory: Inventory) -> None:
    answer = who_uses(inventory, "Requests")
    assert [(h.repo, h.version) for h in answer.hits] == [
        ("api", "2.19.0"),
        ("cli", "2.31.0"),
        ("web", "2.19.0"),
    ]
    answer = who_uses(inventory, "click", "8.1.7")
    assert answer.to_json()["affected_repositories"] == ["cli"]
    assert answer.repositories == 3


def test_affected_by_an_advisory_or_its_alias(inventory: Inventory) -> None:
    for advisory in ("PYSEC-2018-28", "cve-2018-18074"):
        answer = affected_by(inventory, advisory, store=None)
        assert sorted({h.repo for h in answer.hits}) == ["api", "web"]
        assert {h.location for h in answer.hits} == {"requirements.txt:2"}
        assert "does not hold this advisory" in answer.note
    assert affected_by(inventory, "GHSA-none", store=None).hits == ()


def test_a_failed_repository_keeps_its_last_report_marked_stale(inventory: Inventory) -> None:
    inventory.record(_source("web"), failed(_source("web").key, "timed out", retriable=True))
    answer = affected_by(inventory, "PYSEC-2018-28", store=None)
    stale = {h.repo: h.stale for h in answer.hits}
    assert stale == {"api": False, "web": True}
    report = build_fleet_report(inventory, allow_incomplete=False)
    web = next(r for r in report.data["repositories"] if r["name"] == "web")
    assert (web["status"], web["error"], web["stale"]) == ("failed", "timed out", True)
    assert report.data["status"] == {"scanned": 2, "unchanged": 0, "failed": 1}
    assert report.exit_code == 1
    inventory.prune([_source("api").key, _source("cli").key])
    assert who_uses(inventory, "flask").hits == ()


def test_the_fleet_report(inventory: Inventory) -> None:
    data = build_fleet_report(inventory, allow_incomplete=False, engine="local").data
    assert data["repositories_total"] == 3
    assert data["findings"]["high"] == 2
    (risky,) = data["riskiest_shared_dependencies"]
    assert risky == {
        "package": "requests",
        "worst_severity": "high",
        "repositories_using": 3,
        "repositories_with_findings": 2,
        "versions": ["2.19.0"],
        "rules": ["AUD201"],
        "advisories": ["CVE-2018-18074", "PYSEC-2018-28"],
    }
    click = next(p for p in data["packages"] if p["name"] == "click")
    assert click == {
        "name": "click",
        "repositories": 2,
        "versions": [
            {"version": "8.1.0", "repositories": ["api"]},
            {"version": "8.1.7", "repositories": ["cli"]},
        ],
    }
    assert data["licenses"] == [
        {
            "license": "Apache-2.0",
            "category": "permissive",
            "packages": 1,
            "repositories": ["api", "web"],
        },
        {
            "license": "BSD-3-Clause",
            "category": "permissive",
            "packages": 1,
            "repositories": ["api"],
        },
    ]


def test_no_license_section_without_licenses(tmp_path: Path) -> None:
    inv = Inventory(tmp_path / "state")
    _record(inv, tmp_path, "one", 0, {"click": "8.1.0"}, [])
    assert build_fleet_report(inv, allow_incomplete=False).data["licenses"] is None
    assert "## Licenses" not in render_markdown(build_fleet_report(inv, allow_incomplete=False))


@pytest.mark.parametrize(
    ("codes", "failures", "allow", "expected"),
    [
        ([0, 0], 0, False, 0),
        ([0, 1], 0, False, 1),
        ([0, 3], 0, False, 3),
        ([0, 3], 0, True, 0),
        ([0], 1, False, 3),
        ([0], 1, True, 0),
        ([1, 3], 1, False, 1),
    ],
)
def test_exit_code_matches_scan(
    codes: list[int | None], failures: int, allow: bool, expected: int
) -> None:
    assert fleet_exit_code(codes, failed=failures, allow_incomplete=allow) == expected


def test_renderers_escape_repository_text(tmp_path: Path) -> None:
    inv = Inventory(tmp_path / "state")
    evil = "<script>alert(1)</script>\x1b[31m"
    _record(inv, tmp_path, evil, 0, {evil: "1.0"}, [])
    report = build_fleet_report(inv, allow_incomplete=False)
    page = render_html(report)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "\x1b" not in page
    markdown = render_markdown(report)
    assert "<script>" not in markdown
    written = write_all(report, tmp_path / "out")
    assert sorted(p.name for p in written) == ["fleet.html", "fleet.json", "fleet.md"]
    assert json.loads((tmp_path / "out" / "fleet.json").read_text())["repositories_total"] == 1


def test_an_unreadable_stored_report_is_a_failure_not_a_crash(tmp_path: Path) -> None:
    inv = Inventory(tmp_path / "state")
    outcome = RepoOutcome(
        key=_source("gone").key,
        status=RepoStatus.SCANNED,
        revision="r",
        report=str(tmp_path / "missing.json"),
        exit_code=0,
    )
    inv.record(_source("gone"), outcome)
    (repo,) = build_fleet_report(inv, allow_incomplete=False).data["repositories"]
    assert repo["status"] == "failed"
    assert repo["error"].startswith("stored report unreadable: ")
