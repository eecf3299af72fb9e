"""Shared scan options: parsing, turning them into a Config, writing the report."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from auditor.cli.main import build_parser
from auditor.cli.options import config_from_args, write_report
from auditor.config import Config
from auditor.errors import ConfigError
from auditor.model import Severity


def _config_for(*argv: str) -> Config:
    return config_from_args(build_parser().parse_args(["scan", *argv]))


def test_command_line_overrides_files_and_environment(tmp_path: Path) -> None:
    (tmp_path / ".auditor.toml").write_text(
        'fail-on = "low"\ndisable = ["AUD105"]\n', encoding="utf-8"
    )
    config = _config_for(
        str(tmp_path),
        "--offline",
        "--allow-incomplete",
        "--fail-on",
        "CRITICAL",
        "--index-url",
        "http://127.0.0.1:1/mirror/simple/",
        "--osv-url",
        "http://127.0.0.1:2",
        "--cache-dir",
        str(tmp_path / "cache"),
        "--enable",
        "AUD1",
        "--enable",
        "AUD2",
        "--disable",
        "AUD101",
    )
    assert config.offline is True
    assert config.allow_incomplete is True
    assert config.fail_on is Severity.CRITICAL
    assert config.index_url == "http://127.0.0.1:1/mirror/simple"
    assert config.index_json_url == "http://127.0.0.1:1/mirror/pypi"
    assert config.osv_url == "http://127.0.0.1:2"
    assert config.cache_dir == tmp_path / "cache"
    assert config.enable == ("AUD1", "AUD2")
    assert config.disable == ("AUD105", "AUD101")


def test_options_not_given_keep_the_files_values(tmp_path: Path) -> None:
    (tmp_path / ".auditor.toml").write_text(
        'fail-on = "low"\ndisable = ["AUD105"]\noffline = true\n', encoding="utf-8"
    )
    config = _config_for(str(tmp_path))
    assert config.fail_on is Severity.LOW
    assert config.disable == ("AUD105",)
    assert config.offline is True


def test_explicit_config_file(tmp_path: Path) -> None:
    other = tmp_path / "elsewhere.toml"
    other.write_text('[tool.auditor]\nfail-on = "medium"\n', encoding="utf-8")
    config = _config_for(str(tmp_path), "--config", str(other))
    assert config.fail_on is Severity.MEDIUM
    assert config.config_file == other


def test_target_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file or directory") as info:
        _config_for(str(tmp_path / "missing"))
    assert str(info.value).startswith(str(tmp_path / "missing"))


def test_a_file_target_audits_that_file_in_its_folder(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("", encoding="utf-8")
    config = _config_for(str(tmp_path / "requirements.txt"))
    assert config.root == tmp_path
    assert config.only_files == ("requirements.txt",)


def test_write_report_to_a_stream_or_a_new_file(tmp_path: Path) -> None:
    stream = io.StringIO()
    write_report("report\n", None, stream)
    assert stream.getvalue() == "report\n"
    target = tmp_path / "deep" / "report.txt"
    write_report("ünïcode\n", target, stream)
    assert target.read_text(encoding="utf-8") == "ünïcode\n"
    assert stream.getvalue() == "report\n"
    assert [p.name for p in target.parent.iterdir()] == ["report.txt"]
