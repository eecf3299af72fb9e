"""Hostile names never reach the terminal raw through stderr: log lines and CLI messages."""

from __future__ import annotations

import io
import logging
import sys
import zipfile
from pathlib import Path

from conftest import run_cli

from auditor.cli.terminal import SafeFormatter, install_log_handler, one_line, remove_log_handler

EVIL = "evil\x1b[31m\nname"
SHOWN = "evil\ufffd[31m\\nname"


def _assert_safe(err: str) -> None:
    assert "\x1b" not in err
    assert all(ord(c) >= 32 or c in "\n\t" for c in err)


def test_one_line_escapes_controls_and_newlines() -> None:
    assert one_line(EVIL) == SHOWN
    assert one_line("a\r\nb\rc\td") == "a\\nb\ufffdc\td"
    assert one_line("x" * 50, limit=10) == "x" * 9 + "\u2026"


def test_formatter_cleans_message_and_arguments_not_the_record() -> None:
    record = logging.LogRecord(
        "auditor.x", logging.WARNING, __file__, 1, "%s: skipped", (EVIL,), None
    )
    text = SafeFormatter("%(levelname)s %(name)s: %(message)s").format(record)
    assert text == f"WARNING auditor.x: {SHOWN}: skipped"
    assert record.getMessage() == f"{EVIL}: skipped"  # other handlers see the original


def _fail() -> None:
    raise ValueError(EVIL)


def test_formatter_keeps_traceback_lines_but_cleans_them() -> None:
    try:
        _fail()
    except ValueError:
        info = sys.exc_info()
    record = logging.LogRecord("auditor.x", logging.ERROR, __file__, 1, "failed", None, info)
    text = SafeFormatter("%(message)s").format(record)
    assert text.startswith("failed\nTraceback (most recent call last):")
    _assert_safe(text)
    assert "ValueError: evil\ufffd[31m\nname" in text


def test_installed_handler_is_removed() -> None:
    stream = io.StringIO()
    handler = install_log_handler(stream, "WARNING")
    logging.getLogger("auditor.test").warning("file %s", EVIL)
    remove_log_handler(handler)
    logging.getLogger("auditor.test").warning("after")
    assert stream.getvalue() == f"WARNING auditor.test: file {SHOWN}\n"


def test_scan_warning_about_a_hostile_file_name_is_escaped(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("requests==2.32.3\n")
    (tmp_path / "app.py").write_text("import requests\n")
    (tmp_path / f"{EVIL}.py").write_text("def broken(:\n")
    result = run_cli("scan", str(tmp_path), "--offline", "--enable", "AUD5", "--format", "json")
    assert result.code in (0, 1), result.err
    _assert_safe(result.err)
    (line,) = [line for line in result.err.splitlines() if "imports not scanned" in line]
    assert line.startswith(f"WARNING auditor.imports.scanner: {SHOWN}.py: imports not scanned")
    assert all(line.startswith(("WARNING ", "auditor: ")) for line in result.err.splitlines())


def test_db_import_names_a_hostile_member_escaped(tmp_path: Path) -> None:
    archive = tmp_path / "feed.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr(f"PYSEC-{EVIL}.json", "{not json")
    result = run_cli("db", "import", str(archive))
    _assert_safe(result.err)
    assert f"feed.zip:PYSEC-{SHOWN}.json: invalid JSON" in result.err
    assert all(line.startswith("auditor db import: ") for line in result.err.splitlines())


def test_configuration_error_quoting_a_hostile_path_is_escaped(tmp_path: Path) -> None:
    result = run_cli("scan", str(tmp_path / EVIL))
    assert result.code == 2
    _assert_safe(result.err)
    assert (
        result.err
        == f"auditor: configuration error: {tmp_path}/{SHOWN}: no such file or directory\n"
    )
