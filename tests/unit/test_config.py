"""Configuration: files, precedence, validation, pip index discovery."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

import auditor.config
from auditor.config import (
    json_api_url,
    load_config,
    load_policy_defaults,
    pip_index_url,
    rules_dir,
)
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


def test_every_file_setting_is_read(tmp_path: Path) -> None:
    write(
        tmp_path / ".auditor.toml",
        """
enable = "AUD1"
exclude = ["vendor/*", "build"]
osv-url = "http://127.0.0.1:1/osv/"
osv-bulk-url = "http://127.0.0.1:1/all.zip"
top-packages-url = "http://127.0.0.1:1/top.json"
index-url = "http://127.0.0.1:1/simple/"
offline = true
environment = true
timeout = 3
max-workers = 2
cache-dir = "cache"
llm = { backend = "none" }
""",
    )
    config = load_config(tmp_path, env={})
    assert config.config_file == tmp_path / ".auditor.toml"
    assert config.enable == ("AUD1",)
    assert config.exclude == ("vendor/*", "build")
    assert config.osv_url == "http://127.0.0.1:1/osv"
    assert config.osv_bulk_url == "http://127.0.0.1:1/all.zip"
    assert config.top_packages_url == "http://127.0.0.1:1/top.json"
    assert config.index_url == "http://127.0.0.1:1/simple"
    assert config.index_json_url == "http://127.0.0.1:1/pypi"
    assert config.offline is True
    assert config.environment is True
    assert config.timeout == 3.0
    assert config.max_workers == 2
    assert config.cache_dir == (tmp_path / "cache").resolve()
    assert config.llm == {"backend": "none"}


def test_auditor_toml_may_use_a_tool_auditor_table(tmp_path: Path) -> None:
    write(tmp_path / ".auditor.toml", '[tool.auditor]\nfail-on = "info"\n')
    assert load_config(tmp_path, env={}).fail_on is Severity.INFO


def test_pyproject_without_auditor_table_gives_defaults(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n')
    config = load_config(tmp_path, env={})
    assert config.config_file is None
    assert config.fail_on is Severity.HIGH


def test_broken_pyproject_is_left_to_its_parser(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.auditor\nfail-on = 'low'\n")
    config = load_config(tmp_path, env={})
    assert config.config_file is None
    assert config.fail_on is Severity.HIGH


def test_broken_auditor_toml_is_a_config_error(tmp_path: Path) -> None:
    write(tmp_path / ".auditor.toml", "fail-on = \n")
    with pytest.raises(ConfigError, match=r"\.auditor\.toml: "):
        load_config(tmp_path, env={})


def test_unreadable_auditor_toml_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / ".auditor.toml").write_bytes(b'fail-on = "\xff\xfe"\n')
    with pytest.raises(ConfigError, match=r"\.auditor\.toml: cannot read: "):
        load_config(tmp_path, env={})


def test_explicit_config_file_plain_or_tool_table(tmp_path: Path) -> None:
    plain = write(tmp_path / "plain.toml", 'fail-on = "low"\n')
    tool = write(tmp_path / "tool.toml", '[tool.auditor]\nfail-on = "medium"\n')
    write(tmp_path / ".auditor.toml", 'fail-on = "critical"\n')
    assert load_config(tmp_path, config_file=plain, env={}).fail_on is Severity.LOW
    config = load_config(tmp_path, config_file=tool, env={})
    assert config.fail_on is Severity.MEDIUM
    assert config.config_file == tool


@pytest.mark.parametrize("name", ["missing.toml", "broken.toml"])
def test_bad_explicit_config_file_names_it(tmp_path: Path, name: str) -> None:
    write(tmp_path / "broken.toml", "fail-on = [\n")
    with pytest.raises(ConfigError, match=name):
        load_config(tmp_path, config_file=tmp_path / name, env={})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[tool.auditor]\ndisable = 3\n", ".disable: expected a string or a list of strings"),
        ("[tool.auditor]\nexclude = ['a', 1]\n", ".exclude: expected a string or a list"),
        ("[tool.auditor]\nseverity = 'low'\n", ".severity: expected a table of rule id"),
        ("[tool.auditor]\nseverity = { AUD101 = 'huge' }\n", ".severity.AUD101: unknown severity"),
        ("[tool.auditor]\nignore = { id = 'A' }\n", ".ignore: expected an array of tables"),
        ("[tool.auditor]\nignore = ['AUD101']\n", ".ignore[0]: expected a table"),
        (
            "[tool.auditor]\nignore = [{ id = 'A', why = 'x' }]\n",
            ".ignore[0]: unknown keys ['why']",
        ),
        ("[tool.auditor]\npolicy = 'strict'\n", ".policy: expected a table of policy tables"),
        ("[tool.auditor]\npolicy = { pins = 1 }\n", ".policy.pins: expected a table"),
        ("[tool.auditor]\nllm = 'none'\n", ".llm: expected a table"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    write(tmp_path / "pyproject.toml", text)
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path, env={})
    assert str(info.value).startswith(f"{tmp_path / 'pyproject.toml'}:[tool.auditor]")
    assert message in str(info.value)


def test_ignore_expiry_may_be_a_datetime(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml",
        "[tool.auditor]\nignore = [{ id = 'A', expires = 2030-01-02T03:04:05Z }]\n",
    )
    assert load_config(tmp_path, env={}).ignores[0].expires == dt.date(2030, 1, 2)


def test_policy_sub_tables_merge_with_the_defaults(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.auditor.policy.brand-new]\nlimit = 3\n")
    config = load_config(tmp_path, env={})
    assert config.policy_section("brand-new") == {"limit": 3}
    assert config.policy_section("pins")  # defaults kept
    assert config.policy_section("no-such-table") == {}


def test_every_environment_override(tmp_path: Path) -> None:
    write(tmp_path / ".auditor.toml", "offline = true\nindex-url = 'http://127.0.0.1:1/simple'\n")
    env = {
        "AUDITOR_OFFLINE": " No ",
        "AUDITOR_ALLOW_INCOMPLETE": "yes",
        "AUDITOR_ENVIRONMENT": "true",
        "AUDITOR_INDEX_URL": "http://127.0.0.1:2/simple/",
        "AUDITOR_OSV_URL": "http://127.0.0.1:3/",
        "AUDITOR_OSV_BULK_URL": "http://127.0.0.1:3/all.zip",
        "AUDITOR_TOP_PACKAGES_URL": "http://127.0.0.1:3/top.json",
        "AUDITOR_CACHE_DIR": str(tmp_path / "c"),
        "AUDITOR_RETRIES": "4",
        "AUDITOR_TIMEOUT": "2.5",
    }
    config = load_config(tmp_path, env=env)
    assert config.offline is False
    assert config.allow_incomplete is True
    assert config.environment is True
    assert config.index_url == "http://127.0.0.1:2/simple"
    assert config.index_json_url == "http://127.0.0.1:2/pypi"
    assert config.osv_url == "http://127.0.0.1:3"
    assert config.osv_bulk_url == "http://127.0.0.1:3/all.zip"
    assert config.top_packages_url == "http://127.0.0.1:3/top.json"
    assert config.cache_dir == tmp_path / "c"
    assert config.retries == 4
    assert config.timeout == 2.5


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("AUDITOR_RETRIES", "many", "AUDITOR_RETRIES: expected a whole number"),
        ("AUDITOR_TIMEOUT", "soon", "AUDITOR_TIMEOUT: expected seconds"),
        ("AUDITOR_TODAY", "21/11/2026", "AUDITOR_TODAY: expected a date YYYY-MM-DD"),
        ("AUDITOR_FAIL_ON", "scary", "AUDITOR_FAIL_ON: unknown severity 'scary'"),
        ("AUDITOR_ENVIRONMENT", "2", "AUDITOR_ENVIRONMENT: expected 1/0/true/false"),
    ],
)
def test_bad_environment_values_name_the_variable(
    tmp_path: Path, name: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(tmp_path, env={name: value})


def test_empty_environment_values_are_ignored(tmp_path: Path) -> None:
    env = {"AUDITOR_INDEX_URL": "", "AUDITOR_FAIL_ON": "", "AUDITOR_TIMEOUT": ""}
    config = load_config(tmp_path, env=env)
    assert config.fail_on is Severity.HIGH
    assert config.timeout == load_config(tmp_path, env={}).timeout


def test_broken_policy_defaults_name_the_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "policy").mkdir()
    write(tmp_path / "policy" / "pins.toml", "require = \n")
    monkeypatch.setattr(auditor.config, "rules_dir", lambda: tmp_path)
    with pytest.raises(ConfigError, match=r"policy/pins\.toml: "):
        load_policy_defaults()


def test_policy_defaults_are_one_table_per_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "policy").mkdir()
    write(tmp_path / "policy" / "b.toml", "x = 1\n")
    write(tmp_path / "policy" / "a.toml", "[t]\ny = 'z'\n")
    write(tmp_path / "policy" / "notes.txt", "not policy\n")
    monkeypatch.setattr(auditor.config, "rules_dir", lambda: tmp_path)
    assert load_policy_defaults() == {"a": {"t": {"y": "z"}}, "b": {"x": 1}}


def test_rules_dir_holds_the_catalogue() -> None:
    folder = rules_dir()
    assert (folder / "policy").is_dir()
    assert any(folder.glob("AUD101-*.yaml"))


def _pip_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Point pip's per-user configuration places into `tmp_path` (the system file may exist)."""
    monkeypatch.delenv("PIP_INDEX_URL", raising=False)
    monkeypatch.delenv("PIP_CONFIG_FILE", raising=False)
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return tmp_path


def test_later_pip_config_files_win(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    home = _pip_home(monkeypatch, tmp_path)
    (home / ".pip").mkdir()
    write(home / ".pip" / "pip.conf", "[global]\nindex-url = http://127.0.0.1:1/home/simple\n")
    assert pip_index_url() == "http://127.0.0.1:1/home/simple"
    (home / "xdg" / "pip").mkdir(parents=True)
    write(home / "xdg" / "pip" / "pip.conf", "[install]\nindex-url = http://127.0.0.1:1/xdg/\n")
    assert pip_index_url() == "http://127.0.0.1:1/xdg"
    venv = home / "venv"
    venv.mkdir()
    write(venv / "pip.conf", "[global]\nindex-url = http://127.0.0.1:1/venv/simple\n")
    monkeypatch.setenv("VIRTUAL_ENV", str(venv))
    assert pip_index_url() == "http://127.0.0.1:1/venv/simple"


def test_unparsable_pip_config_is_skipped(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    home = _pip_home(monkeypatch, tmp_path)
    (home / ".pip").mkdir()
    write(home / ".pip" / "pip.conf", "[global]\nindex-url = http://127.0.0.1:1/good/simple\n")
    broken = write(home / "broken.conf", "index-url = no section header\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(broken))
    assert pip_index_url() == "http://127.0.0.1:1/good/simple"


def test_pip_config_file_devnull_means_no_files(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    home = _pip_home(monkeypatch, tmp_path)
    (home / ".pip").mkdir()
    write(home / ".pip" / "pip.conf", "[global]\nindex-url = http://127.0.0.1:1/home/simple\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    url = pip_index_url()
    assert url != "http://127.0.0.1:1/home/simple"
    assert url.startswith("https://")
    assert url.endswith("/simple")
