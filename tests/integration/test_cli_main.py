"""The CLI entry point: help, usage errors and the one place errors become exit codes."""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import run_cli

import auditor.cli.crash
import auditor.cli.main
import auditor.cli.rules
import auditor.pipeline
import auditor.rules.catalog
from auditor.cli.main import (
    EXIT_INCOMPLETE,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_USAGE,
    Streams,
    entry_point,
)
from auditor.errors import AuditorError, RuleSchemaError


def _replace_rules_run(monkeypatch: pytest.MonkeyPatch, error: BaseException) -> None:
    """Make ``auditor rules`` raise `error` (the parser binds the command's run when built)."""

    def run(args: argparse.Namespace, streams: Streams) -> int:
        raise error

    monkeypatch.setattr(auditor.cli.rules, "run", run)


def test_help_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli("--help")
    assert result.code == EXIT_OK
    assert "usage: auditor" in capsys.readouterr().out


def test_command_help_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("scan", "--help").code == EXIT_OK
    assert "--fail-on" in capsys.readouterr().out


def test_no_command_prints_help_and_is_usage_error() -> None:
    result = run_cli()
    assert result.code == EXIT_USAGE
    assert "usage: auditor" in result.err
    assert result.out == ""


def test_unknown_command_is_usage_error() -> None:
    result = run_cli("frobnicate")
    assert result.code == EXIT_USAGE
    assert "invalid choice: 'frobnicate'" in result.err


def test_every_listed_command_has_its_module() -> None:
    for name in auditor.cli.main.COMMANDS:
        assert Path(auditor.cli.main.__file__).with_name(f"{name}.py").is_file(), name


def test_a_listed_command_without_its_module_is_a_bug(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auditor.cli.main, "COMMANDS", ("scan", "no_such_command"))
    with pytest.raises(ModuleNotFoundError, match="no_such_command"):
        auditor.cli.main.build_parser()


def test_very_verbose_keeps_urllib3_logging(monkeypatch: pytest.MonkeyPatch) -> None:
    urllib3_log = logging.getLogger("urllib3")
    monkeypatch.setattr(urllib3_log, "level", logging.NOTSET)
    assert run_cli("-vv", "rules").code == EXIT_OK
    assert urllib3_log.level == logging.NOTSET
    assert run_cli("-v", "rules").code == EXIT_OK
    assert urllib3_log.level == logging.ERROR


def test_rules_show_without_a_rule_is_usage_error() -> None:
    result = run_cli("rules", "show")
    assert result.code == EXIT_USAGE
    assert "configuration error: rules show: name a rule id or name" in result.err


def test_invalid_rule_files_are_all_reported(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "AUD601-broken.yaml").write_text("schema: [unclosed\n", encoding="utf-8")
    (tmp_path / "AUD602 bad name.yaml").write_text("schema: 1\n", encoding="utf-8")
    monkeypatch.setattr(auditor.rules.catalog, "rules_dir", lambda: tmp_path)
    result = run_cli("rules")
    assert result.code == EXIT_USAGE
    errors = [line for line in result.err.splitlines() if line.startswith("auditor: rule error:")]
    assert len(errors) == 2
    assert any("AUD601-broken.yaml: invalid YAML" in line for line in errors)
    assert any("AUD602 bad name.yaml: file name must be" in line for line in errors)
    assert result.out == ""


def test_single_rule_error_is_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    _replace_rules_run(monkeypatch, RuleSchemaError("rules/AUD1-x.yaml: /id: bad"))
    result = run_cli("rules")
    assert result.code == EXIT_USAGE
    assert result.err == "auditor: rule error: rules/AUD1-x.yaml: /id: bad\n"


def test_other_auditor_errors_mean_incomplete(monkeypatch: pytest.MonkeyPatch) -> None:
    _replace_rules_run(monkeypatch, AuditorError("somewhere: went wrong"))
    result = run_cli("rules")
    assert result.code == EXIT_INCOMPLETE
    assert result.err == "auditor: somewhere: went wrong\n"


def _crash_file(err: str) -> Path:
    """Return the traceback file named by the one-line internal-error message."""
    (line,) = err.splitlines()
    assert line.startswith("auditor: internal error (a bug, please report it): ")
    return Path(line.rsplit("; traceback in ", 1)[1])


def test_exception_group_with_other_errors_is_an_internal_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AUDITOR_CACHE_DIR", str(tmp_path / "cache"))
    group = ExceptionGroup("mixed", [RuleSchemaError("a.yaml: bad"), ValueError("bug")])
    _replace_rules_run(monkeypatch, group)
    result = run_cli("rules")
    assert result.code == EXIT_INTERNAL
    assert "ExceptionGroup: mixed" in result.err
    report = _crash_file(result.err).read_text(encoding="utf-8")
    assert "ValueError: bug" in report
    assert "RuleSchemaError: a.yaml: bad" in report


def test_unexpected_exception_exits_4_with_one_line_and_a_traceback_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("AUDITOR_CACHE_DIR", str(cache))
    _replace_rules_run(monkeypatch, ValueError("a bug \x1b[31mred\nsecond line"))
    result = run_cli("rules", "show", "https://user:s3cret@127.0.0.1/simple")
    assert result.code == EXIT_INTERNAL
    assert result.out == ""
    assert "Traceback" not in result.err
    assert "\x1b" not in result.err
    assert "ValueError: a bug \ufffd[31mred\\nsecond line" in result.err
    path = _crash_file(result.err)
    assert path.parent == cache / "crashes"
    report = path.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in report
    assert "ValueError: a bug" in report
    assert "s3cret" not in report
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # written atomically: no temp


def test_a_bug_during_a_scan_exits_4(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AUDITOR_CACHE_DIR", str(tmp_path / "cache"))

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("oops")

    monkeypatch.setattr(auditor.pipeline, "run_audit", broken)
    (tmp_path / "repo").mkdir()
    result = run_cli("scan", str(tmp_path / "repo"), "--cache-dir", str(tmp_path / "other"))
    assert result.code == EXIT_INTERNAL
    assert result.out == ""
    path = _crash_file(result.err)
    assert path.parent == tmp_path / "other" / "crashes"  # --cache-dir wins
    assert "KeyError: 'oops'" in path.read_text(encoding="utf-8")


def test_internal_error_falls_back_to_the_temp_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("AUDITOR_CACHE_DIR", str(blocker))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    _replace_rules_run(monkeypatch, RuntimeError("boom"))
    result = run_cli("rules")
    assert result.code == EXIT_INTERNAL
    assert _crash_file(result.err).parent == tmp_path / "tmp"


def test_crash_reports_are_pruned(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AUDITOR_CACHE_DIR", str(tmp_path))
    folder = tmp_path / "crashes"
    folder.mkdir()
    for i in range(30):
        (folder / f"auditor-crash-2000{i:02d}-1.txt").write_text("old")
    _replace_rules_run(monkeypatch, RuntimeError("boom"))
    result = run_cli("rules")
    assert result.code == EXIT_INTERNAL
    assert len(list(folder.iterdir())) == auditor.cli.crash.KEEP
    assert _crash_file(result.err).is_file()


def test_interrupt_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    _replace_rules_run(monkeypatch, KeyboardInterrupt())
    result = run_cli("rules")
    assert result.code == 130
    assert result.err == "auditor: interrupted\n"


def test_entry_point_exits_with_mains_code(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["auditor", "--version"])
    with pytest.raises(SystemExit) as info:
        entry_point()
    assert info.value.code == EXIT_OK
    assert capsys.readouterr().out.startswith("auditor ")
    monkeypatch.setattr(sys, "argv", ["auditor", "rules", "show", "AUD000-nothing"])
    with pytest.raises(SystemExit) as info:
        entry_point()
    assert info.value.code == EXIT_USAGE
    assert "no rule 'AUD000-nothing'" in capsys.readouterr().err
