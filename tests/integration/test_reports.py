"""Every format through the CLI; --output-dir; auditor report with latest/ and history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli

OFFLINE = ("--offline", "--allow-incomplete")


@pytest.fixture
def app(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    root.mkdir()
    (root / "requirements.txt").write_text(
        "flask\nrequests==2.19.0  # <script>alert(1)</script>\n", encoding="utf-8"
    )
    (root / "app.py").write_text("import flask\nimport requests\n", encoding="utf-8")
    return root


@pytest.mark.parametrize("fmt", ["json", "sarif", "markdown", "html", "cyclonedx"])
def test_every_format_renders_the_same_findings(app: Path, fmt: str) -> None:
    reference = json.loads(run_cli("scan", str(app), "--format", "json", *OFFLINE).out)
    done = run_cli("scan", str(app), "--format", fmt, *OFFLINE)
    assert done.code == 0, done.err
    assert done.out
    for finding in reference["findings"]:
        if fmt == "sarif":
            assert finding["fingerprint"] in done.out
        elif fmt in ("markdown", "html"):
            assert finding["rule_id"] in done.out
    if fmt == "cyclonedx":
        bom = json.loads(done.out)
        assert {c["name"] for c in bom["components"]} >= {"flask", "requests"}


def test_output_dir_writes_four_reports_in_one_run(app: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = run_cli("scan", str(app), "--output-dir", str(out), "--format", "json", *OFFLINE)
    assert done.code == 0, done.err
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "report.json", "report.md",
                                                     "report.sarif"]  # fmt: skip
    assert json.loads((out / "report.json").read_text()) == json.loads(done.out)
    assert json.loads((out / "report.sarif").read_text())["version"] == "2.1.0"


def test_report_command_writes_timestamped_latest_and_history(
    app: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    first = run_cli("report", str(app), *OFFLINE)
    assert first.code == 0, first.err
    second = run_cli("report", str(app), *OFFLINE)
    assert second.code == 0, second.err
    reports = tmp_path / "reports"  # the default: ./reports under the current directory
    runs = sorted(p for p in reports.iterdir() if p.is_dir() and p.name != "latest")
    assert len(runs) == 2
    assert all(p.name[:4].isdigit() and p.name[10] == "T" for p in runs)
    for name in ("report.html", "report.md", "report.json", "report.cdx.json", "report.sarif"):
        assert (reports / "latest" / name).is_file()
        assert (runs[-1] / name).is_file()
    history = json.loads((reports / "history.json").read_text())
    assert len(history["runs"]) == 2
    assert "2 report(s) from" in (reports / "latest" / "report.html").read_text()
    assert first.out.splitlines()[0].startswith(f"reports/{runs[0].name}/")


def test_report_gates_only_with_fail_on(app: Path, tmp_path: Path) -> None:
    target = tmp_path / "r"
    done = run_cli("report", str(app), "--reports-dir", str(target), *OFFLINE)
    assert done.code == 0
    done = run_cli("report", str(app), "--reports-dir", str(target), "--fail-on", "low", *OFFLINE)
    assert done.code == 1
    assert (target / "history.json").is_file()


def test_pre_commit_mode_output_is_compact(app: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(app)
    done = run_cli("scan", "--pre-commit", "--fail-on", "medium", "requirements.txt")
    assert done.code == 1
    assert "requirements.txt:1: AUD101 [medium] flask" in done.out
    assert "not checked:" in done.out
    done = run_cli("scan", "--pre-commit", "--fail-on", "medium", "app.py")
    assert "AUD101" in done.out  # app.py imports flask: findings about flask count
    stray = run_cli("scan", str(app), "requirements.txt")
    assert stray.code == 2
    assert "use --changed" in stray.err
