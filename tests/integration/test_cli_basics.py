"""The CLI's wiring: version, help, usage errors, empty repos."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_cli


def test_version() -> None:
    result = run_cli("--version")
    assert result.code == 0
    assert result.out.startswith("auditor ")


def test_unknown_option_is_usage_error() -> None:
    result = run_cli("scan", "--no-such-option")
    assert result.code == 2
    assert "unrecognized arguments" in result.err


def test_missing_path_is_usage_error(tmp_path: Path) -> None:
    result = run_cli("scan", str(tmp_path / "nope"))
    assert result.code == 2
    assert "no such file or directory" in result.err


def test_empty_repo_says_so(tmp_path: Path) -> None:
    result = run_cli("scan", str(tmp_path), "--format", "json", "--offline")
    assert result.code == 0
    data = json.loads(result.out)
    assert data["schema_version"] == 1
    assert data["inputs"] == []
    assert any("no Python dependency inputs" in note for note in data["notes"])


def test_exit_zero_reports_but_never_fails(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("flask\n")
    gated = run_cli("scan", str(tmp_path), "--offline", "--fail-on", "low", "--enable", "AUD101")
    assert gated.code == 1
    report = run_cli(
        "scan", str(tmp_path), "--offline", "--fail-on", "low", "--enable", "AUD101", "--exit-zero"
    )
    assert report.code == 0
    assert "AUD101" in report.out
