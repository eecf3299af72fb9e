"""The network limits in configuration: keys, AUDITOR_* variables, --timeout, pre-commit."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pytest
from requests.adapters import HTTPAdapter

from auditor.cli.options import add_scan_options, config_from_args
from auditor.cli.scan import pre_commit_config
from auditor.config import load_config
from auditor.context import RunContext
from auditor.errors import ConfigError


def test_defaults(tmp_path: Path) -> None:
    config = load_config(tmp_path, env={})
    assert config.timeout == 15.0
    assert config.request_deadline == 60.0
    assert config.retry_after_max == 30.0
    assert config.max_response_bytes == 32 * 1024 * 1024
    assert config.run_timeout is None
    assert config.run_deadline is None


def test_keys_in_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.auditor]\n"
        "request-deadline = 20\n"
        "retry-after-max = 5\n"
        "max-response-bytes = 1048576\n"
        "run-timeout = 120\n"
    )
    config = load_config(tmp_path, env={})
    assert (config.request_deadline, config.retry_after_max) == (20.0, 5.0)
    assert config.max_response_bytes == 1048576
    assert config.run_timeout == 120.0


def test_environment_wins_over_the_file(tmp_path: Path) -> None:
    (tmp_path / ".auditor.toml").write_text("request-deadline = 20\n")
    env = {
        "AUDITOR_REQUEST_DEADLINE": "7.5",
        "AUDITOR_RETRY_AFTER_MAX": "3",
        "AUDITOR_MAX_RESPONSE_BYTES": "2048",
        "AUDITOR_RUN_TIMEOUT": "9",
    }
    config = load_config(tmp_path, env=env)
    assert config.request_deadline == 7.5
    assert config.retry_after_max == 3.0
    assert config.max_response_bytes == 2048
    assert config.run_timeout == 9.0


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('request-deadline = "soon"', "request-deadline: expected seconds, got 'soon'"),
        ("retry-after-max = -1", "retry-after-max: expected a positive number"),
        ("max-response-bytes = 0", "max-response-bytes: expected a positive number"),
        ('max-response-bytes = "32MiB"', "expected a whole number of bytes"),
        ("run-timeout = true", "run-timeout: expected seconds, got True"),
    ],
)
def test_invalid_values_are_configuration_errors(tmp_path: Path, line: str, message: str) -> None:
    (tmp_path / ".auditor.toml").write_text(line + "\n")
    with pytest.raises(ConfigError, match=message):
        load_config(tmp_path, env={})


def test_invalid_environment_value(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="AUDITOR_MAX_RESPONSE_BYTES: expected a whole number"):
        load_config(tmp_path, env={"AUDITOR_MAX_RESPONSE_BYTES": "lots"})


def test_started_sets_the_run_deadline(tmp_path: Path) -> None:
    config = load_config(tmp_path, env={})
    assert config.started(now=100.0) is config  # no run timeout: nothing to start
    timed = config.with_overrides(run_timeout=30.0).started(now=100.0)
    assert timed.run_deadline == 130.0


def _args(tmp_path: Path, *argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_scan_options(parser)
    return parser.parse_args([str(tmp_path), *argv])


def test_timeout_option_starts_the_clock(tmp_path: Path) -> None:
    before = time.monotonic()
    config = config_from_args(_args(tmp_path, "--timeout", "45"))
    assert config.run_timeout == 45.0
    assert config.run_deadline is not None
    assert before + 45 <= config.run_deadline <= time.monotonic() + 45


def test_the_session_carries_the_limits(tmp_path: Path) -> None:
    config = load_config(tmp_path, env={}).with_overrides(
        request_deadline=9.0, max_response_bytes=4096, run_deadline=123.0, retry_after_max=4.0
    )
    context = RunContext(config=config)
    session = context.session
    assert (session.request_deadline, session.max_response_bytes) == (9.0, 4096)
    assert session.run_deadline == 123.0
    adapter = session.get_adapter("https://127.0.0.1/")
    assert isinstance(adapter, HTTPAdapter)
    assert adapter.max_retries.retry_after_max == 4
    context.close()


def test_pre_commit_mode_shortens_the_deadlines(tmp_path: Path) -> None:
    config = pre_commit_config(load_config(tmp_path, env={}))
    assert config.request_deadline <= config.timeout <= 5.0
    assert config.retry_after_max <= 5.0
