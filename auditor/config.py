"""Configuration: defaults, rules/policy, ``[tool.auditor]`` or ``.auditor.toml``, AUDITOR_* env.

Precedence, lowest first: built-in defaults, the policy files in rules/policy/, the project's
configuration file, ``AUDITOR_*`` environment variables, then command-line options (applied by the
CLI with `Config.with_overrides`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli

from auditor.errors import ConfigError
from auditor.model import Severity

OSV_API_URL = "https://api.osv.dev"
OSV_BULK_URL = "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip"
TOP_PACKAGES_URL = (
    "https://raw.githubusercontent.com/hugovk/top-pypi-packages/main/top-pypi-packages.min.json"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Ignore:
    """An ignore entry: hides findings matching `id` (rule id or advisory id) and `package`.

    An ignore whose `expires` date has passed stops applying; the report says so.
    """

    id: str | None = None
    package: str | None = None
    path: str | None = None
    reason: str = ""
    expires: dt.date | None = None

    def expired(self, today: dt.date) -> bool:
        """Whether the ignore no longer applies on `today`."""
        return self.expires is not None and today > self.expires

    def describe(self) -> str:
        """Return a short text naming the ignore, for the report."""
        parts = [
            f"{k}={v}"
            for k, v in (("id", self.id), ("package", self.package), ("path", self.path))
            if v
        ]
        return "ignore[" + ", ".join(parts) + "]"


# The ``report`` policy's built-in values, under rules/policy/report.toml and the user's table.
REPORT_POLICY_DEFAULTS: Mapping[str, Mapping[str, Any]] = {
    "sarif": {
        "security_severity": {"critical": 9.5, "high": 8.0, "medium": 5.5, "low": 3.0, "info": 0.0}
    },
    "html": {"max_graph_nodes": 150},
    "markdown": {"max_details": 50},
    "history": {"keep": 50},
    "precommit": {"timeout": 5.0, "retries": 0},
}


def merge_report_policy(table: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Return the ``report`` policy: each section of `table` over its built-in defaults."""
    merged: dict[str, dict[str, Any]] = {}
    for key, default in REPORT_POLICY_DEFAULTS.items():
        section = table.get(key, {})
        merged[key] = {**default, **section} if isinstance(section, Mapping) else dict(default)
    return merged


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    """Everything a run needs to know, resolved once by `load_config`."""

    root: Path = Path()
    fail_on: Severity = Severity.HIGH
    enable: tuple[str, ...] = ()
    disable: tuple[str, ...] = ()
    severity_overrides: Mapping[str, Severity] = field(default_factory=dict)
    ignores: tuple[Ignore, ...] = ()
    policy: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    offline: bool = False
    allow_incomplete: bool = False
    environment: bool = False
    resolve: bool = False  # resolve unlocked manifests (auditor.resolve)
    cache_dir: Path | None = None
    index_url: str = ""
    index_json_url: str = ""
    osv_url: str = OSV_API_URL
    osv_bulk_url: str = OSV_BULK_URL
    top_packages_url: str = TOP_PACKAGES_URL
    timeout: float = 15.0
    retries: int = 3
    request_deadline: float = 60.0
    retry_after_max: float = 30.0
    max_response_bytes: int = 32 * 1024 * 1024
    run_timeout: float | None = None
    run_deadline: float | None = None
    max_workers: int = 8
    max_file_bytes: int = 5_000_000
    today: dt.date | None = None
    llm: Mapping[str, Any] = field(default_factory=dict)
    config_file: Path | None = None
    # Audit only these files of `root` (``auditor scan requirements.txt``); empty: everything.
    only_files: tuple[str, ...] = ()

    def with_overrides(self, **changes: Any) -> Config:
        """Return a copy with the given fields replaced (None values are skipped)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    def started(self, now: float | None = None) -> Config:
        """Return a copy whose `run_deadline` is `run_timeout` seconds after `now` (monotonic).

        The CLI calls this when a command starts, so ``--timeout`` bounds the whole run.
        """
        if self.run_timeout is None:
            return self
        start = time.monotonic() if now is None else now
        return dataclasses.replace(self, run_deadline=start + self.run_timeout)

    def today_date(self) -> dt.date:
        """Return the date the run treats as today (configurable so tests are stable)."""
        return self.today or dt.datetime.now(tz=dt.UTC).date()

    def policy_section(self, name: str) -> Mapping[str, Any]:
        """Return one policy table (``pins``, ``reputation`` ...), empty when absent."""
        return self.policy.get(name, {})

    def report_policy(self) -> dict[str, dict[str, Any]]:
        """Return the run's ``report`` policy over the built-in defaults."""
        return merge_report_policy(self.policy_section("report"))


def rules_dir() -> Path:
    """Return the folder holding the rule catalogue (the wheel's copy or the repo's rules/)."""
    packaged = Path(__file__).parent / "_rules"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "rules"


def load_policy_defaults() -> dict[str, dict[str, Any]]:
    """Read every ``rules/policy/*.toml`` into ``{file stem: table}``."""
    policy: dict[str, dict[str, Any]] = {}
    folder = rules_dir() / "policy"
    for path in sorted(folder.glob("*.toml")):
        try:
            policy[path.stem] = tomli.loads(path.read_text(encoding="utf-8"))
        except tomli.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: {exc}") from exc
    return policy


def _pip_config_files() -> list[Path]:
    files: list[Path] = []
    if env_file := os.environ.get("PIP_CONFIG_FILE"):
        if env_file == os.devnull:
            return []
        files.append(Path(env_file))
    home = Path.home()
    xdg = Path(os.environ.get("XDG_CONFIG_HOME", home / ".config"))
    files += [Path("/etc/pip.conf"), home / ".pip" / "pip.conf", xdg / "pip" / "pip.conf"]
    if venv := os.environ.get("VIRTUAL_ENV"):
        files.append(Path(venv) / "pip.conf")
    return files


def pip_index_url() -> str:
    """Return the package index's simple-API URL as pip would use it.

    Order: ``PIP_INDEX_URL``, then ``index-url`` in pip's configuration files (later files win,
    as in pip), then pip's own default constant.
    """
    if url := os.environ.get("PIP_INDEX_URL"):
        return url.rstrip("/")
    found = ""
    for path in _pip_config_files():
        if not path.is_file():
            continue  # ConfigParser.read skips it too; this skips importing configparser
        import configparser

        parser = configparser.ConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, OSError):
            continue
        for section in ("global", "install"):
            if parser.has_option(section, "index-url"):
                found = parser.get(section, "index-url")
    if found:
        return found.rstrip("/")
    try:
        from pip._internal.models.index import PyPI
    except ImportError as exc:  # pragma: no cover - pip is always present with Python
        raise ConfigError("no package index configured: set PIP_INDEX_URL") from exc
    return str(PyPI.simple_url).rstrip("/")


def json_api_url(simple_url: str) -> str:
    """Derive the JSON API base (``.../pypi``) from a simple-API URL (``.../simple``)."""
    base = simple_url.rstrip("/")
    if base.endswith("/simple"):
        return base[: -len("/simple")] + "/pypi"
    return base


def _auditor_table(data: dict[str, Any], default: Any) -> Any:
    """Return ``[tool.auditor]`` of a decoded TOML file, `default` when absent.

    A ``tool`` key that is not a table (``tool = 1``) counts as absent: the file's own parser
    reports such a manifest.
    """
    tool = data.get("tool")
    return tool.get("auditor", default) if isinstance(tool, dict) else default


def _find_config_file(root: Path) -> tuple[Path | None, dict[str, Any]]:
    candidates = [root / ".auditor.toml", root / "pyproject.toml"]
    for path in candidates:
        if not path.is_file():
            continue
        try:
            data = tomli.loads(path.read_text(encoding="utf-8"))
        except (tomli.TOMLDecodeError, UnicodeDecodeError, RecursionError) as exc:
            if path.name == "pyproject.toml":
                # A broken pyproject is reported by its parser as an input error, not here.
                continue
            if isinstance(exc, UnicodeDecodeError):
                raise ConfigError(f"{path}: cannot read: {exc}") from exc
            raise ConfigError(f"{path}: {exc}") from exc
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc}") from exc
        if path.name == ".auditor.toml":
            return path, _auditor_table(data, data)
        table = _auditor_table(data, None)
        if isinstance(table, dict):
            return path, table
    return None, {}


def _as_str_list(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"{where}: expected a string or a list of strings")


def _parse_severity(value: Any, where: str) -> Severity:
    try:
        return Severity.parse(str(value))
    except ValueError:
        names = ", ".join(s.value for s in Severity)
        raise ConfigError(f"{where}: unknown severity {value!r} (use one of {names})") from None


def parse_date(value: Any, where: str) -> dt.date:
    """Read a TOML date or a ``YYYY-MM-DD`` string; ConfigError naming `where` otherwise."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{where}: expected a date YYYY-MM-DD, got {value!r}") from None


def parse_ignores(entries: Any, where: str) -> tuple[Ignore, ...]:
    """Validate ``[[tool.auditor.ignore]]`` entries."""
    if not isinstance(entries, list):
        raise ConfigError(f"{where}: expected an array of tables")
    ignores: list[Ignore] = []
    for index, entry in enumerate(entries):
        here = f"{where}[{index}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"{here}: expected a table")
        unknown = set(entry) - {"id", "package", "path", "reason", "expires"}
        if unknown:
            raise ConfigError(f"{here}: unknown keys {sorted(unknown)}")
        if not any(entry.get(k) for k in ("id", "package", "path")):
            raise ConfigError(f"{here}: an ignore needs at least one of id, package, path")
        ignores.append(
            Ignore(
                id=entry.get("id"),
                package=entry.get("package"),
                path=entry.get("path"),
                reason=str(entry.get("reason", "")),
                expires=parse_date(entry["expires"], f"{here}.expires")
                if "expires" in entry
                else None,
            )
        )
    return tuple(ignores)


def _merge_policy(
    base: dict[str, dict[str, Any]], override: Any, where: str
) -> dict[str, dict[str, Any]]:
    if not isinstance(override, dict):
        raise ConfigError(f"{where}: expected a table of policy tables")
    merged = {k: dict(v) for k, v in base.items()}
    for name, table in override.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{where}.{name}: expected a table")
        merged[name] = _deep_merge(merged.get(name, {}), table)
    return merged


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Merge `override` into a copy of `base`, table by table (sub-tables merge too)."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


# Network limits: (config key, Config field, type); AUDITOR_<KEY> overrides each.
_LIMIT_KEYS: tuple[tuple[str, str, type], ...] = (
    ("timeout", "timeout", float),
    ("request-deadline", "request_deadline", float),
    ("retry-after-max", "retry_after_max", float),
    ("max-response-bytes", "max_response_bytes", int),
    ("run-timeout", "run_timeout", float),
)


def _positive(value: Any, kind: type, where: str) -> Any:
    """Parse a limit: a positive number of seconds (float) or bytes (int)."""
    unit = "seconds" if kind is float else "a whole number of bytes"
    if isinstance(value, bool):
        raise ConfigError(f"{where}: expected {unit}, got {value!r}")
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: expected {unit}, got {value!r}") from None
    if number <= 0:
        raise ConfigError(f"{where}: expected a positive number, got {value!r}")
    return number


_ENV_BOOL = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


def _env_overrides(env: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, field_name in (
        ("AUDITOR_OFFLINE", "offline"),
        ("AUDITOR_ALLOW_INCOMPLETE", "allow_incomplete"),
        ("AUDITOR_ENVIRONMENT", "environment"),
        ("AUDITOR_RESOLVE", "resolve"),
    ):
        if key in env:
            value = _ENV_BOOL.get(env[key].strip().lower())
            if value is None:
                raise ConfigError(f"{key}: expected 1/0/true/false, got {env[key]!r}")
            out[field_name] = value
    for key, field_name in (
        ("AUDITOR_INDEX_URL", "index_url"),
        ("AUDITOR_OSV_URL", "osv_url"),
        ("AUDITOR_OSV_BULK_URL", "osv_bulk_url"),
        ("AUDITOR_TOP_PACKAGES_URL", "top_packages_url"),
    ):
        if env.get(key):
            out[field_name] = env[key].rstrip("/")
    if env.get("AUDITOR_CACHE_DIR"):
        out["cache_dir"] = Path(env["AUDITOR_CACHE_DIR"])
    if env.get("AUDITOR_FAIL_ON"):
        out["fail_on"] = _parse_severity(env["AUDITOR_FAIL_ON"], "AUDITOR_FAIL_ON")
    if env.get("AUDITOR_TODAY"):
        out["today"] = parse_date(env["AUDITOR_TODAY"], "AUDITOR_TODAY")
    if env.get("AUDITOR_RETRIES"):
        try:
            out["retries"] = int(env["AUDITOR_RETRIES"])
        except ValueError:
            raise ConfigError("AUDITOR_RETRIES: expected a whole number") from None
    for key, attr, kind in _LIMIT_KEYS:
        name = "AUDITOR_" + key.upper().replace("-", "_")
        if env.get(name):
            out[attr] = _positive(env[name], kind, name)
    return out


def load_config(
    root: Path, *, config_file: Path | None = None, env: Mapping[str, str] | None = None
) -> Config:
    """Resolve the configuration for scanning `root`."""
    env = os.environ if env is None else env
    if config_file is not None:
        try:
            raw = tomli.loads(config_file.read_text(encoding="utf-8"))
        except (OSError, tomli.TOMLDecodeError, UnicodeDecodeError, RecursionError) as exc:
            raise ConfigError(f"{config_file}: {exc}") from exc
        path: Path | None = config_file
        table = _auditor_table(raw, raw)
        if not isinstance(table, dict):
            raise ConfigError(f"{config_file}: [tool.auditor] must be a table")
    else:
        path, table = _find_config_file(root)
    where = f"{path}:[tool.auditor]" if path else "config"
    known = {
        "fail-on", "enable", "disable", "severity", "ignore", "policy", "exclude", "offline",
        "index-url", "osv-url", "osv-bulk-url", "top-packages-url", "timeout", "max-workers",
        "cache-dir", "llm", "environment", "request-deadline", "retry-after-max",
        "max-response-bytes", "run-timeout", "resolve",
    }  # fmt: skip
    unknown = set(table) - known
    if unknown:
        raise ConfigError(f"{where}: unknown keys {sorted(unknown)} (known: {sorted(known)})")
    index_url = str(table.get("index-url") or pip_index_url()).rstrip("/")
    values: dict[str, Any] = {
        "root": root,
        "config_file": path,
        "policy": _merge_policy(load_policy_defaults(), table.get("policy", {}), f"{where}.policy"),
        "index_url": index_url,
        "index_json_url": json_api_url(index_url),
    }
    if "fail-on" in table:
        values["fail_on"] = _parse_severity(table["fail-on"], f"{where}.fail-on")
    for key in ("enable", "disable", "exclude"):
        if key in table:
            values[key] = _as_str_list(table[key], f"{where}.{key}")
    if "severity" in table:
        sev = table["severity"]
        if not isinstance(sev, dict):
            raise ConfigError(f"{where}.severity: expected a table of rule id = severity")
        values["severity_overrides"] = {
            str(k).upper(): _parse_severity(v, f"{where}.severity.{k}") for k, v in sev.items()
        }
    if "ignore" in table:
        values["ignores"] = parse_ignores(table["ignore"], f"{where}.ignore")
    for key, attr in (("osv-url", "osv_url"), ("osv-bulk-url", "osv_bulk_url"),
                      ("top-packages-url", "top_packages_url")):  # fmt: skip
        if key in table:
            values[attr] = str(table[key]).rstrip("/")
    if "offline" in table:
        values["offline"] = bool(table["offline"])
    if "environment" in table:
        values["environment"] = bool(table["environment"])
    if "resolve" in table:
        values["resolve"] = bool(table["resolve"])
    for key, attr, kind in _LIMIT_KEYS:
        if key in table:
            values[attr] = _positive(table[key], kind, f"{where}.{key}")
    if "max-workers" in table:
        values["max_workers"] = int(table["max-workers"])
    if "cache-dir" in table:
        values["cache_dir"] = (root / str(table["cache-dir"])).resolve()
    if "llm" in table:
        if not isinstance(table["llm"], dict):
            raise ConfigError(f"{where}.llm: expected a table")
        values["llm"] = table["llm"]
    values.update(_env_overrides(env))
    if "index_url" in values and "AUDITOR_INDEX_URL" in env:
        values["index_json_url"] = json_api_url(values["index_url"])
    return Config(**values)


__all__ = [
    "OSV_API_URL",
    "REPORT_POLICY_DEFAULTS",
    "Config",
    "Ignore",
    "json_api_url",
    "load_config",
    "load_policy_defaults",
    "merge_report_policy",
    "parse_date",
    "parse_ignores",
    "pip_index_url",
    "rules_dir",
]
