"""Options shared by the commands that scan a repository, and turning them into a Config."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TextIO

from auditor.config import Config, load_config
from auditor.errors import ConfigError
from auditor.model import Severity


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"AUDITOR_{name}", default)


def add_target(parser: argparse.ArgumentParser) -> None:
    """Add the PATH argument (default: the current folder)."""
    parser.add_argument("path", nargs="?", default=".", type=Path, help="repository to audit")


def add_scan_options(parser: argparse.ArgumentParser) -> None:
    """Add the options every scanning command shares (each also read from AUDITOR_*)."""
    add_target(parser)
    parser.add_argument(
        "--config",
        type=Path,
        default=_env("CONFIG"),
        help="configuration file (default: .auditor.toml or pyproject.toml)",
    )
    parser.add_argument(
        "--offline",
        action="store_true",
        default=None,
        help="never use the network; use the local stores (AUDITOR_OFFLINE)",
    )
    parser.add_argument(
        "--allow-incomplete",
        action="store_true",
        default=None,
        help="exit by findings alone even if a source was unavailable",
    )
    parser.add_argument(
        "--environment",
        action="store_true",
        default=None,
        help="also read the installed environment (importlib.metadata)",
    )
    parser.add_argument("--cache-dir", type=Path, default=None, help="cache folder")
    add_timeout_option(parser)
    parser.add_argument("--index-url", default=None, help="package index simple-API URL")
    parser.add_argument("--osv-url", default=None, help="OSV API base URL")
    parser.add_argument(
        "--enable",
        action="append",
        default=None,
        metavar="RULE",
        help="only run these rules (ids, prefixes such as AUD1, or names)",
    )
    parser.add_argument("--disable", action="append", default=None, metavar="RULE",
                        help="switch rules off (ids, prefixes or names)")  # fmt: skip


def add_timeout_option(parser: argparse.ArgumentParser) -> None:
    """Add --timeout: a deadline for the whole run that every network call respects."""
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help="time limit for the whole run: once it passes, the remaining network lookups "
        "fail at once and are reported as not checked (AUDITOR_RUN_TIMEOUT)",
    )


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def add_gate_options(parser: argparse.ArgumentParser) -> None:
    """Add --fail-on."""
    parser.add_argument(
        "--fail-on",
        type=_severity,
        default=None,
        help="exit 1 when a finding is at or above this severity "
        "(critical, high, medium, low, info; default high; AUDITOR_FAIL_ON)",
    )


def _severity(text: str) -> Severity:
    try:
        return Severity.parse(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"unknown severity {text!r}") from None


def config_from_args(args: argparse.Namespace) -> Config:
    """Resolve the Config for a command: files and environment, then command-line options."""
    root: Path = args.path
    if not root.exists():
        raise ConfigError(f"{root}: no such file or directory")
    if root.is_file():
        raise ConfigError(f"{root}: expected a folder (the repository to audit)")
    config = load_config(root, config_file=getattr(args, "config", None))
    index_url = getattr(args, "index_url", None)
    changes = {
        "offline": getattr(args, "offline", None),
        "allow_incomplete": getattr(args, "allow_incomplete", None),
        "environment": getattr(args, "environment", None),
        "cache_dir": getattr(args, "cache_dir", None),
        "osv_url": getattr(args, "osv_url", None),
        "fail_on": getattr(args, "fail_on", None),
        "run_timeout": getattr(args, "timeout", None),
        "enable": tuple(args.enable) if getattr(args, "enable", None) else None,
        "disable": tuple(config.disable) + tuple(args.disable)
        if getattr(args, "disable", None)
        else None,
    }
    if index_url:
        from auditor.config import json_api_url

        changes["index_url"] = index_url.rstrip("/")
        changes["index_json_url"] = json_api_url(index_url)
    return config.with_overrides(**changes).started()


def write_report(text: str, output: Path | None, out: TextIO) -> None:
    """Write a report to `output` atomically, or to `out`."""
    if output is None:
        out.write(text)
        return
    from auditor.atomic import atomic_write_text

    atomic_write_text(output, text)


__all__ = [
    "add_gate_options",
    "add_scan_options",
    "add_target",
    "add_timeout_option",
    "config_from_args",
    "write_report",
]
