"""``auditor scan``: audit a repository and gate on the findings."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.cli.options import (
    add_gate_options,
    add_scan_options,
    add_workflow_options,
    config_from_args,
    workflow_from_args,
    write_report,
)

if TYPE_CHECKING:
    from auditor.cli.main import Streams
    from auditor.config import Config
    from auditor.result import AuditResult

FORMATS = ("console", "json", "sarif", "markdown", "html", "cyclonedx")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the scan command."""
    parser = sub.add_parser("scan", help="audit a repository and exit by the gate")
    add_scan_options(parser)
    add_gate_options(parser)
    parser.add_argument(
        "-f", "--format", choices=FORMATS, default="console", help="report format (default console)"
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        help="write the report to this file (atomically) instead of stdout",
    )
    parser.add_argument("--details", action="store_true",
                        help="list every known vulnerability instead of one upgrade line per "
                        "package")  # fmt: skip
    parser.add_argument("--show-graph", action="store_true",
                        help="console format: also print the dependency tree")  # fmt: skip
    parser.add_argument(
        "--exit-zero",
        action="store_true",
        help="report only: exit 0 even with findings or gaps (usage errors still exit 2)",
    )
    add_workflow_options(parser)
    # pre-commit appends the staged file names after any hook args: take them as positionals.
    parser.add_argument("files", nargs="*", type=Path, help=argparse.SUPPRESS)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, streams: Streams) -> int:
    """Run the scan, write the report, return the gate's exit code."""
    from auditor.cli.progress import progress_for
    from auditor.pipeline import run_audit
    from auditor.workflow import apply_workflow

    _positional_files(args)
    config = config_from_args(args)
    if getattr(args, "pre_commit", False):
        config = pre_commit_config(config)
    workflow = workflow_from_args(args)
    with progress_for(streams.err) as progress:
        result = run_audit(config, progress=progress)
    result = apply_workflow(result, config.root, workflow)
    code = _render(args, streams, config, result)
    return 0 if getattr(args, "exit_zero", False) else code


def _render(args: argparse.Namespace, streams: Streams, config: Config, result: AuditResult) -> int:
    """Write the report(s) and return the gate's exit code."""
    from auditor.pipeline import exit_code
    from auditor.report.base import OutputFormat
    from auditor.report.summary import compact_text, summary_line

    if getattr(args, "output_dir", None) is not None:
        from auditor.report.bundle import write_bundle

        write_bundle(result, args.output_dir)
    fmt = OutputFormat(args.format)
    if getattr(args, "pre_commit", False) and fmt is OutputFormat.CONSOLE and args.output is None:
        streams.out.write(compact_text(result))
        return exit_code(result, config)
    if fmt is OutputFormat.CONSOLE:
        from auditor.report.console import ConsoleReporter

        isatty = getattr(streams.out, "isatty", None)
        color = args.output is None and bool(isatty and isatty())
        import shutil

        # A terminal gets its own width; files and pipes a stable 100 columns.
        width = shutil.get_terminal_size((100, 24)).columns if color else 100
        text = ConsoleReporter(
            color=color, width=width, show_graph=args.show_graph, details=args.details
        ).render(result)
    else:
        text = fmt.reporter().render(result)
    write_report(text, args.output, streams.out)
    if fmt is not OutputFormat.CONSOLE or args.output is not None:
        streams.say(summary_line(result))
    return exit_code(result, config)


def _positional_files(args: argparse.Namespace) -> None:
    """In pre-commit mode, positional files are the changed files and a folder is the root."""
    from auditor.errors import ConfigError

    extra: list[Path] = list(getattr(args, "files", None) or [])
    if not getattr(args, "pre_commit", False):
        if extra:
            names = " ".join(str(p) for p in extra)
            raise ConfigError(f"unexpected arguments: {names} (to limit the scan use --changed)")
        return
    positionals = [args.path, *extra]
    folders = [p for p in positionals if p.is_dir()]
    files = [str(p) for p in positionals if not p.is_dir()]
    if len(folders) > 1:
        raise ConfigError("--pre-commit: give at most one folder to scan")
    args.path = folders[0] if folders else Path()
    if files:
        args.changed = [*(args.changed or []), *files]


def pre_commit_config(config: Config) -> Config:
    """Return the config for the pre-commit mode: never block a commit on the network."""
    policy = config.report_policy()["precommit"]
    timeout = min(config.timeout, float(policy["timeout"]))
    return config.with_overrides(
        allow_incomplete=True,
        timeout=timeout,
        retries=min(config.retries, int(policy["retries"])),
        request_deadline=min(config.request_deadline, timeout),
        retry_after_max=min(config.retry_after_max, timeout),
    )


__all__ = ["pre_commit_config", "register", "run"]
