"""Options shared by the commands that scan a repository, turned into a Config and a Workflow."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from auditor.config import Config, load_config
from auditor.errors import ConfigError
from auditor.model import Severity

if TYPE_CHECKING:
    from auditor.workflow import Workflow


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"AUDITOR_{name}", default)


def add_target(parser: argparse.ArgumentParser) -> None:
    """Add the PATH argument (default: the current folder)."""
    parser.add_argument(
        "path",
        nargs="?",
        default=".",
        type=Path,
        help="repository to audit, or one manifest or lockfile in it (default .)",
    )


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
    parser.add_argument(
        "--resolve",
        action="store_true",
        default=None,
        help="resolve manifests without a lockfile (uv or pip, wheels only): the packages an "
        "install would bring join the graph as 'resolved, not locked' (AUDITOR_RESOLVE)",
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


def add_gate_options(
    parser: argparse.ArgumentParser, *, default_gate: str = "default high; AUDITOR_FAIL_ON"
) -> None:
    """Add --fail-on; `default_gate` says what happens without it."""
    parser.add_argument(
        "--fail-on",
        type=_severity,
        default=None,
        help="exit 1 when a finding is at or above this severity "
        f"(critical, high, medium, low, info; {default_gate})",
    )


def add_workflow_options(parser: argparse.ArgumentParser) -> None:
    """Add the CI and pre-commit options: baseline, diff scope, changed files, output folder."""
    parser.add_argument(
        "--baseline",
        type=Path,
        default=None,
        metavar="FILE",
        help="accepted findings (auditor baseline create): only new findings count for the gate",
    )
    parser.add_argument(
        "--diff-base",
        default=None,
        metavar="REF",
        help="only report findings in what changed since the merge base of this git ref",
    )
    parser.add_argument(
        "--changed",
        nargs="*",
        default=None,
        metavar="FILE",
        help="only report findings in these files or about packages they declare or import",
    )
    parser.add_argument(
        "--pre-commit",
        action="store_true",
        help="pre-commit mode: file arguments are the changed files; --allow-incomplete, "
        "short timeouts, cache first, compact output",
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="also write report.json, report.sarif, report.html and report.md into DIR",
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
    only: tuple[str, ...] = ()
    if root.is_file():
        # One requirements file, pyproject.toml or lockfile (pip-audit's -r, osv-scanner's -L).
        only, root = (root.name,), root.parent
    config = load_config(root, config_file=getattr(args, "config", None))
    index_url = getattr(args, "index_url", None)
    changes = {
        "offline": getattr(args, "offline", None),
        "allow_incomplete": getattr(args, "allow_incomplete", None),
        "environment": getattr(args, "environment", None),
        "resolve": getattr(args, "resolve", None),
        "cache_dir": getattr(args, "cache_dir", None),
        "osv_url": getattr(args, "osv_url", None),
        "fail_on": getattr(args, "fail_on", None),
        "run_timeout": getattr(args, "timeout", None),
        "enable": tuple(args.enable) if getattr(args, "enable", None) else None,
        "disable": tuple(config.disable) + tuple(args.disable)
        if getattr(args, "disable", None)
        else None,
        "only_files": only or None,
    }
    if index_url:
        from auditor.config import json_api_url

        changes["index_url"] = index_url.rstrip("/")
        changes["index_json_url"] = json_api_url(index_url)
    return config.with_overrides(**changes).started()


def workflow_from_args(args: argparse.Namespace) -> Workflow:
    """Return the workflow the options ask for, its baseline read now (fails before a scan)."""
    from auditor.workflow import Workflow

    path: Path | None = getattr(args, "baseline", None)
    baseline = None
    if path is not None:
        from auditor.baseline import load_baseline

        baseline = load_baseline(path)
    changed = getattr(args, "changed", None)
    return Workflow(
        diff_base=getattr(args, "diff_base", None),
        changed=None if changed is None else tuple(changed),
        baseline=baseline,
        baseline_file="" if path is None else str(path),
    )


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
    "add_workflow_options",
    "config_from_args",
    "workflow_from_args",
    "write_report",
]
