"""Inline and configured ignores, with expiry and unused-ignore reporting."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from auditor.config import Ignore
from auditor.model import Finding, Location, Severity
from auditor.suppress import apply_ignores


def finding(rule: str = "AUD101", package: str = "flask", line: int = 1, **kw: object) -> Finding:
    return Finding(
        rule_id=rule, rule_name="unpinned-requirement", severity=Severity.MEDIUM, message="m",
        package=package, locations=(Location(path="requirements.txt", line=line),),
        **kw,  # type: ignore[arg-type]  # extra dataclass fields, passed through as given
    )  # fmt: skip


TODAY = dt.date(2026, 11, 21)


def test_inline_ignore_with_and_without_ids(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(
        "flask  # auditor: ignore[AUD101] pinned by the platform\n"
        "django  # auditor: ignore\n"
        "rich  # auditor: ignore[AUD999]\n"
    )
    kept, suppressed, _ = apply_ignores(
        [finding(line=1), finding(package="django", line=2), finding(package="rich", line=3)],
        (), root=tmp_path, today=TODAY,
    )  # fmt: skip
    assert [f.package for f in kept] == ["rich"]
    assert [s.reason for s in suppressed] == ["pinned by the platform", "inline ignore"]


def test_config_ignore_by_advisory_id_and_package(tmp_path: Path) -> None:
    vuln = finding(rule="AUD201", package="requests",
                   evidence={"advisories": ["PYSEC-2018-28", "CVE-2018-18074"]})  # fmt: skip
    ignores = (Ignore(id="cve-2018-18074", reason="not reachable"), Ignore(package="nothing"))
    kept, suppressed, unused = apply_ignores([vuln], ignores, root=tmp_path, today=TODAY)
    assert kept == []
    assert suppressed[0].reason == "not reachable"
    assert unused == ["ignore[package=nothing]"]


def test_expired_ignore_stops_hiding_and_says_so(tmp_path: Path) -> None:
    ignores = (Ignore(id="AUD101", reason="later", expires=dt.date(2026, 1, 1)),)
    kept, suppressed, unused = apply_ignores([finding()], ignores, root=tmp_path, today=TODAY)
    assert suppressed == []
    assert unused == []
    assert kept[0].evidence["expired_ignore"] == "ignore[id=AUD101] expired on 2026-01-01"
    assert kept[0].fingerprint == finding().fingerprint


def test_path_glob_ignore(tmp_path: Path) -> None:
    kept, _, _ = apply_ignores(
        [finding()], (Ignore(path="requirements*.txt"),), root=tmp_path, today=TODAY
    )
    assert kept == []


def test_inline_ignore_needs_a_line_and_a_readable_file(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("flask  # auditor: ignore\n")
    whole_file, no_path, missing = (
        dataclasses.replace(finding(), locations=(loc,))
        for loc in (
            Location(path="requirements.txt", line=None),
            Location(path="", line=1),
            Location(path="gone.txt", line=1),
        )
    )
    past_end = finding(line=7)
    kept, suppressed, _ = apply_ignores(
        [whole_file, no_path, missing, past_end], (), root=tmp_path, today=TODAY
    )
    assert suppressed == []
    assert len(kept) == 4
