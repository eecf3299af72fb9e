"""``auditor licenses`` and the license sections of the reports, against a loopback index.

The index serves license metadata in every form: a PEP 639 expression, free text, classifiers
only, a whole license text, nothing at all, and a version whose only metadata is its PEP 658
METADATA file (the per-version JSON answers 404, as on some indexes).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import run_cli
from fakes import FakeIndex, LoopbackServer, serve

OLD = "2024-01-01T00:00:00Z"
NEW = "2024-06-01T00:00:00Z"
APACHE_TEXT = "Apache License\n  Version 2.0, January 2004\n  http://www.apache.org/licenses/\n" * 3
META = "Metadata-Version: 2.4\nName: meta-only\nVersion: 1.0\nLicense-Expression: MPL-2.0\n"
REQUIREMENTS = """\
expr-lib==1.0
text-lib==1.0
classified-lib==1.0
pasted-lib==1.0
silent-lib==1.0
meta-only==1.0
"""


@pytest.fixture
def index(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeIndex, LoopbackServer]]:
    fake = FakeIndex()
    fake.add("expr-lib", {"1.0": OLD}, license_expression="MIT OR Apache-2.0")
    fake.add("text-lib", {"1.0": OLD}, license="GPLv3+")
    fake.add(
        "classified-lib",
        {"1.0": OLD},
        classifiers=[
            "License :: OSI Approved :: BSD License",
            "Programming Language :: Python :: 3",
        ],
    )
    fake.add("pasted-lib", {"1.0": OLD}, license=APACHE_TEXT)
    fake.add("silent-lib", {"1.0": OLD})
    fake.add(
        "meta-only",
        {"1.0": OLD, "2.0": NEW},
        license_expression="AGPL-3.0-only",
        version_json=False,
        metadata={"1.0": META},
    )
    with serve(fake) as server:
        monkeypatch.setenv("AUDITOR_INDEX_URL", f"{server.url}/simple")
        yield fake, server


@pytest.fixture
def app(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    root.mkdir()
    (root / "requirements.txt").write_text(REQUIREMENTS, encoding="utf-8")
    (root / "pyproject.toml").write_text('[project]\nname = "app"\nlicense = "Apache-2.0"\n')
    return root


def _rows(out: str) -> dict[str, dict[str, object]]:
    data = json.loads(out)
    assert data["schema_version"] == 1
    return {str(row["name"]): row for row in data["packages"]}


def test_json_inventory_of_every_form(index: tuple[FakeIndex, LoopbackServer], app: Path) -> None:
    done = run_cli("licenses", str(app), "--format", "json")
    assert done.code == 0, done.err
    rows = _rows(done.out)
    expected = {
        "expr-lib": ("MIT OR Apache-2.0", "permissive", "index-json-project", "allowed"),
        "text-lib": ("GPL-3.0-or-later", "strong-copyleft", "index-json-project", "incompatible"),
        "classified-lib": (None, "permissive", "index-json-project", "allowed"),
        "pasted-lib": ("Apache-2.0", "permissive", "index-json-project", "allowed"),
        "silent-lib": (None, "unknown", "index-json-project", "unknown"),
        "meta-only": ("MPL-2.0", "weak-copyleft", "index-metadata", "allowed"),
    }
    got = {
        name: (row["license"], row["category"], row["source"], row["verdict"])
        for name, row in rows.items()
    }
    assert got == expected
    for row in rows.values():
        assert set(row) >= {"name", "version", "license", "category", "source"}
    assert "BSD (variant not stated)" in str(rows["classified-lib"]["raw"])
    assert "no license metadata" in str(rows["silent-lib"]["raw"])
    project = json.loads(done.out)["project"]
    assert (project["license"], project["use"]) == ("Apache-2.0", "library")


def test_offline_second_run_answers_from_the_cache(
    index: tuple[FakeIndex, LoopbackServer], app: Path
) -> None:
    _fake, server = index
    first = run_cli("licenses", str(app), "--format", "json")
    assert first.code == 0, first.err
    before = len(server.requests)
    second = run_cli("licenses", str(app), "--format", "json", "--offline")
    assert len(server.requests) == before
    # The project documents come from the index cache; the per-version facts from ours.
    assert second.code == 0, second.err
    strip = {"detail"}
    assert [{k: v for k, v in r.items() if k not in strip} for r in _rows(second.out).values()] == [
        {k: v for k, v in r.items() if k not in strip} for r in _rows(first.out).values()
    ]


def test_unreachable_index_exits_3_and_names_the_packages(app: Path) -> None:
    done = run_cli("licenses", str(app), "--format", "json")
    assert done.code == 3
    assert "license not checked" in done.err
    assert "expr-lib" in done.err
    rows = _rows(done.out)
    assert rows["expr-lib"]["verdict"] == "not-checked"
    assert run_cli("licenses", str(app), "--format", "json", "--allow-incomplete").code == 0


def test_csv_markdown_and_table(index: tuple[FakeIndex, LoopbackServer], app: Path) -> None:
    done = run_cli("licenses", str(app), "--format", "csv")
    assert done.code == 0, done.err
    table = list(csv.DictReader(io.StringIO(done.out)))
    assert {row["name"] for row in table} == {
        "expr-lib",
        "text-lib",
        "classified-lib",
        "pasted-lib",
        "silent-lib",
        "meta-only",
    }
    assert next(r for r in table if r["name"] == "text-lib")["license"] == "GPL-3.0-or-later"
    done = run_cli("licenses", str(app), "--format", "markdown")
    assert done.code == 0, done.err
    assert "| Name | Version | License | Category | Source | Verdict |" in done.out
    assert "6 package version(s)" in done.out
    done = run_cli("licenses", str(app))
    assert done.code == 0, done.err
    assert "GPL-3.0-or-later" in done.out
    assert "package version(s)" in done.out


def test_environment_inventory(tmp_path: Path) -> None:
    done = run_cli("licenses", str(tmp_path), "--environment", "--offline", "--format", "json")
    assert done.code == 0, done.err
    rows = {str(k).lower(): v for k, v in _rows(done.out).items()}
    assert rows["packaging"]["source"] == "environment"
    expected = ("Apache-2.0 OR BSD-2-Clause", "BSD-2-Clause OR Apache-2.0")
    assert rows["packaging"]["license"] in expected


def test_hostile_metadata_is_escaped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeIndex()
    fake.add("evil", {"1.0": OLD}, license="\x1b[31mRED\x1b[0m | <b>x</b>")
    (tmp_path / "requirements.txt").write_text("evil==1.0\n")
    with serve(fake) as server:
        monkeypatch.setenv("AUDITOR_INDEX_URL", f"{server.url}/simple")
        for fmt in ("table", "markdown", "csv"):
            done = run_cli("licenses", str(tmp_path), "--format", fmt)
            assert done.code == 0, done.err
            assert "\x1b" not in done.out
        assert "\\<b\\>" in run_cli("licenses", str(tmp_path), "--format", "markdown").out


def test_scan_reports_carry_the_licenses(
    index: tuple[FakeIndex, LoopbackServer], app: Path
) -> None:
    args = ("scan", str(app), "--enable", "AUD3", "--allow-incomplete", "--exit-zero")
    report = json.loads(run_cli(*args, "--format", "json").out)
    assert {f["rule_id"] for f in report["findings"]} >= {"AUD302", "AUD303", "AUD304"}
    assert len(report["licenses"]["packages"]) == 6
    html = run_cli(*args, "--format", "html").out
    assert 'id="license-counts"' in html
    assert "<strong>permissive</strong> 3" in html
    sarif = json.loads(run_cli(*args, "--format", "sarif").out)
    props = sarif["runs"][0]["properties"]["licenses"]
    assert props["categories"]["permissive"] == 3
    assert props["verdicts"]["incompatible"] == 1
    markdown = run_cli(*args, "--format", "markdown").out
    assert "### Licenses" in markdown
    assert "3 permissive" in markdown
    bom = json.loads(run_cli(*args, "--format", "cyclonedx").out)
    licenses = {c["name"]: c.get("licenses") for c in bom["components"]}
    assert licenses["expr-lib"] == [{"expression": "MIT OR Apache-2.0"}]
    assert licenses["text-lib"] == [{"license": {"id": "GPL-3.0-or-later"}}]
    assert licenses["silent-lib"] is None
