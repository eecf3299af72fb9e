"""AUD411 suspicious-young-package: young projects named after popular ones, fake index injected."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from checkrun import run_check
from reputation_helpers import FakeLookup, info, make_ctx

from auditor.checks.reputation import ReputationCheck
from auditor.index.model import ProjectInfo
from auditor.model import Finding, Severity
from auditor.reputation.popular import import_popular_file

TODAY = dt.date(2025, 6, 1)
RULE = "AUD411"
YOUNG_ONE = {"0.1.0": "2025-01-15T00:00:00"}  # 137 days old, one release
OLD_MANY = {"0.1": "2016-01-01T00:00:00", "1.0": "2019-01-01T00:00:00",
            "2.0": "2022-01-01T00:00:00", "2.1": "2025-02-01T00:00:00"}  # fmt: skip
YOUNG_MANY = {f"0.{i}": f"2025-0{1 + i // 4}-{10 + i:02d}T00:00:00" for i in range(12)}
NAMES = ["requests", "numpy", "pandas", "flask", "torch", "jwt"]
TOP = {"rows": [{"project": n, "download_count": 10**9 - i} for i, n in enumerate(NAMES)]}


def _import_top(ctx: Any, tmp_path: Path) -> None:
    path = tmp_path / "top.json"
    path.write_text(json.dumps(TOP), encoding="utf-8")
    import_popular_file(path, ctx.config)


def _published(project: ProjectInfo) -> ProjectInfo:
    """The same project with a named author and a repository link."""
    return dataclasses.replace(
        project, author="A. Maintainer", project_urls=(("Source", "https://example.org/x"),)
    )


def _run(
    tmp_path: Path, requirements: str, projects: dict[str, ProjectInfo], **overrides: Any
) -> tuple[list[Finding], Any]:
    files = {"requirements.txt": requirements, **overrides.pop("files", {})}
    ctx = make_ctx(tmp_path, files, today=TODAY, **overrides)
    _import_top(ctx, tmp_path)
    run = run_check(ReputationCheck(), ctx, lookup=FakeLookup(projects))
    return [f for f in run.findings if f.rule_id == RULE], run


@pytest.mark.parametrize(
    ("name", "target", "technique"),
    [
        ("pandalyze", "pandas", "portmanteau"),
        ("numcore", "numpy", "portmanteau"),
        ("reqkit", "requests", "portmanteau"),
        ("flask-jwt-simple-auth", "flask", "compound"),
        ("torch-utils-pro", "torch", "affix"),
    ],
)
def test_young_derived_name_is_flagged_with_its_reasons(
    tmp_path: Path, name: str, target: str, technique: str
) -> None:
    found, _ = _run(tmp_path, f"{name}==0.1.0\n", {name: info(name, YOUNG_ONE)})
    (hit,) = found
    assert hit.package == name
    assert hit.severity is Severity.HIGH  # one release, no author, no links
    assert hit.evidence["target"] == target
    assert hit.evidence["technique"] == technique
    assert hit.evidence["age_days"] == 137
    assert hit.evidence["releases"] == 1
    assert hit.evidence["signals"] == [
        "only 1 release(s)",
        "no author or maintainer named",
        "no project links",
    ]
    assert f"{name} was first released 137 days ago (2025-01-15)" in hit.message
    assert f"built from the popular {target} (#" in hit.message
    assert "only 1 release(s), no author or maintainer named, no project links" in hit.message
    assert "slopsquatting" in hit.message
    assert hit.locations[0].path == "requirements.txt"


def test_one_signal_is_medium_none_is_medium(tmp_path: Path) -> None:
    projects = {
        "numcore": _published(info("numcore", YOUNG_ONE)),  # few releases only
        "reqkit": _published(info("reqkit", YOUNG_MANY)),  # nothing but age and name
    }
    found, _ = _run(tmp_path, "numcore\nreqkit\n", projects)
    by_name = {f.package: f for f in found}
    assert by_name["numcore"].severity is Severity.MEDIUM
    assert by_name["numcore"].evidence["signals"] == ["only 1 release(s)"]
    assert by_name["reqkit"].severity is Severity.MEDIUM
    assert by_name["reqkit"].evidence["signals"] == []


def test_old_derived_name_is_not_flagged(tmp_path: Path) -> None:
    found, run = _run(tmp_path, "numcore\n", {"numcore": info("numcore", OLD_MANY)})
    assert found == []
    assert run.findings == []


def test_young_plain_name_with_many_releases_is_not_flagged(tmp_path: Path) -> None:
    found, _ = _run(tmp_path, "zebrafish-tracker\n",
                    {"zebrafish-tracker": info("zebrafish-tracker", YOUNG_MANY)})  # fmt: skip
    assert found == []


def test_popular_name_itself_is_not_flagged(tmp_path: Path) -> None:
    # Even with young-looking metadata (a re-created project, a mirror's partial answer).
    projects = {"numpy": info("numpy", YOUNG_ONE), "flask": info("flask", YOUNG_ONE)}
    found, _ = _run(tmp_path, "numpy\nflask\n", projects)
    assert found == []


def test_allow_list_is_respected(tmp_path: Path) -> None:
    allow = "schema: 1\ngroups:\n  - names: [numcore, numpy]\n    reason: ours\nnames: [reqkit]\n"
    files = {
        "allow.yaml": allow,
        ".auditor.toml": '[policy.reputation.typosquat]\nallowlist = "allow.yaml"\n',
    }
    projects = {n: info(n, YOUNG_ONE) for n in ("numcore", "reqkit", "pandalyze")}
    found, _ = _run(tmp_path, "numcore\nreqkit\npandalyze\n", projects, files=files)
    assert [f.package for f in found] == ["pandalyze"]


def test_age_window_comes_from_policy(tmp_path: Path) -> None:
    files = {".auditor.toml": "[policy.reputation.young_derived]\nmax_age_days = 100\n"}
    found, _ = _run(tmp_path, "numcore\n", {"numcore": info("numcore", YOUNG_ONE)}, files=files)
    assert found == []  # 137 days old: outside a 100-day window


def test_typing_mistakes_are_left_to_aud402(tmp_path: Path) -> None:
    projects = {"reqeusts": info("reqeusts", YOUNG_ONE)}
    found, _ = _run(tmp_path, "reqeusts\n", projects)
    assert found == []  # AUD402 reports it, at high severity while it is young
    found, _ = _run(tmp_path / "off", "reqeusts\n", projects, disable=("AUD402",))
    (hit,) = found
    assert (hit.evidence["target"], hit.evidence["technique"]) == ("requests", "swap")


def test_without_popular_list_young_names_are_not_judged(tmp_path: Path) -> None:
    files = {"requirements.txt": "numcore\nold-thing\n",
             ".auditor.toml": "[policy.reputation]\nbundled_popular = false\n"}  # fmt: skip
    ctx = make_ctx(tmp_path, files, today=TODAY, enable=(RULE,))
    lookup = FakeLookup(
        {"numcore": info("numcore", YOUNG_ONE), "old-thing": info("old-thing", OLD_MANY)}
    )
    run = run_check(ReputationCheck(), ctx, lookup=lookup)
    assert run.findings == []
    (note,) = [i for i in run.incomplete if i.source == "reputation"]
    assert note.packages == ("numcore",)
    assert "AUD411" in note.reason
    assert "auditor db update" in note.reason


def test_bundled_list_works_out_of_the_box(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, {"requirements.txt": "numcore\n"}, today=TODAY, enable=(RULE,))
    lookup = FakeLookup({"numcore": info("numcore", YOUNG_ONE)})
    run = run_check(ReputationCheck(), ctx, lookup=lookup)
    (hit,) = run.findings
    assert (hit.rule_id, hit.evidence["target"]) == (RULE, "numpy")
    assert any("bundled list" in d.detail for d in run.data_sources)
