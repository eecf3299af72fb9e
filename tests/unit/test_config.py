"""Configuration: files, precedence, validation, pip index discovery."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from auditor.config import json_api_url, load_config, pip_index_url
from auditor.errors import ConfigError
from auditor.model import Severity


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_config(tmp_path: Path) -> None:
    config = load_config(tmp_path, env={})
    assert config.fail_on is Severity.HIGH
    assert config.config_file is None
    assert "pins" in config.policy


def test_pyproject_table_is_read(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml",
        """
[tool.auditor]
fail-on = "medium"
disable = ["AUD102"]
severity = { AUD101 = "low" }
policy.pins = { require = "exact" }

[[tool.auditor.ignore]]
id = "PYSEC-2018-28"
reason = "not reachable"
expires = 2030-01-01
""",
    )
    config = load_config(tmp_path, env={})
    assert config.fail_on is Severity.MEDIUM
    assert config.disable == ("AUD102",)
    assert config.severity_overrides == {"AUD101": Severity.LOW}
    assert config.policy_section("pins")["require"] == "exact"
    # policy defaults from rules/policy/pins.toml survive a partial override
    assert "require_hashes" in config.policy_section("pins")
    assert config.ignores[0].id == "PYSEC-2018-28"
    assert config.ignores[0].expires == dt.date(2030, 1, 1)


def test_auditor_toml_wins_over_pyproject(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.auditor]\nfail-on = "low"\n')
    write(tmp_path / ".auditor.toml", 'fail-on = "critical"\n')
    assert load_config(tmp_path, env={}).fail_on is Severity.CRITICAL


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[tool.auditor]\nfail-on = "severe"\n', "unknown severity 'severe'"),
        ("[tool.auditor]\nbogus = 1\n", "unknown keys ['bogus']"),
        ('[tool.auditor]\nignore = [{reason = "x"}]\n', "needs at least one of id, package, path"),
        ('[tool.auditor]\nignore = [{id = "A", expires = "soon"}]\n', "expected a date"),
    ],
)
def test_bad_config_names_the_file(tmp_path: Path, text: str, message: str) -> None:
    write(tmp_path / "pyproject.toml", text)
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path, env={})
    assert message in str(info.value)
    assert "pyproject.toml" in str(info.value)


def test_env_overrides_file(tmp_path: Path) -> None:
    write(tmp_path / ".auditor.toml", 'fail-on = "low"\n')
    env = {"AUDITOR_FAIL_ON": "critical", "AUDITOR_OFFLINE": "1", "AUDITOR_TODAY": "2026-01-02"}
    config = load_config(tmp_path, env=env)
    assert config.fail_on is Severity.CRITICAL
    assert config.offline is True
    assert config.today_date() == dt.date(2026, 1, 2)


def test_bad_env_bool(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="AUDITOR_OFFLINE"):
        load_config(tmp_path, env={"AUDITOR_OFFLINE": "maybe"})


def test_index_url_from_pip_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:8080/simple/")
    assert pip_index_url() == "http://127.0.0.1:8080/simple"


def test_index_url_from_pip_conf(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    conf = write(tmp_path / "pip.conf", "[global]\nindex-url = http://127.0.0.1:1/mirror/simple\n")
    monkeypatch.delenv("PIP_INDEX_URL", raising=False)
    monkeypatch.setenv("PIP_CONFIG_FILE", str(conf))
    assert pip_index_url() == "http://127.0.0.1:1/mirror/simple"


def test_json_api_derived_from_simple() -> None:
    assert json_api_url("http://127.0.0.1:1/simple") == "http://127.0.0.1:1/pypi"
    assert json_api_url("http://127.0.0.1:1/custom") == "http://127.0.0.1:1/custom"
