"""``auditor scan``: audit a repository and gate on the findings."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.cli.options import add_gate_options, add_scan_options, config_from_args, write_report

if TYPE_CHECKING:
    from auditor.baseline import Baseline
    from auditor.cli.main import Streams
    from auditor.config import Config
    from auditor.model import AuditResult

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


def summary_line(result: AuditResult) -> str:
    """Return the one-line summary written to stderr."""
    counts = result.summary()
    parts = [f"{n} {sev}" for sev, n in counts.items() if n]
    text = f"auditor: {len(result.findings)} finding(s)" + (
        f" ({', '.join(parts)})" if parts else ""
    )
    baseline = result.extras.get("baseline")
    if isinstance(baseline, dict):
        text += f"; {baseline.get('matched', 0)} more accepted in the baseline"
    if result.incomplete:
        text += f"; INCOMPLETE: {len(result.incomplete)} source(s) not checked"
    return text


def run(args: argparse.Namespace, streams: Streams) -> int:
    """Run the scan, write the report, return the gate's exit code."""
    from auditor.cli.progress import progress_for
    from auditor.pipeline import run_audit

    _positional_files(args)
    config = config_from_args(args)
    if getattr(args, "pre_commit", False):
        config = pre_commit_config(config)
    baseline = _load_baseline(args)
    with progress_for(streams.err) as progress:
        result = run_audit(config, progress=progress)
    result = apply_workflow(args, config.root, result, baseline)
    code = _render(args, streams, config, result)
    return 0 if getattr(args, "exit_zero", False) else code


def _render(args: argparse.Namespace, streams: Streams, config: Config, result: AuditResult) -> int:
    """Write the report(s) and return the gate's exit code."""
    from auditor.pipeline import exit_code
    from auditor.report.base import OutputFormat

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
        text = ConsoleReporter(color=color, width=width, show_graph=args.show_graph).render(result)
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
    from auditor.report.view import report_policy

    policy = report_policy()["precommit"]
    timeout = min(config.timeout, float(policy["timeout"]))
    return config.with_overrides(
        allow_incomplete=True,
        timeout=timeout,
        retries=min(config.retries, int(policy["retries"])),
        request_deadline=min(config.request_deadline, timeout),
        retry_after_max=min(config.retry_after_max, timeout),
    )


def _load_baseline(args: argparse.Namespace) -> Baseline | None:
    path = getattr(args, "baseline", None)
    if path is None:
        return None
    from auditor.baseline import load_baseline

    return load_baseline(path)


def apply_workflow(
    args: argparse.Namespace, root: Path, result: AuditResult, baseline: Baseline | None
) -> AuditResult:
    """Limit the result to the change (--diff-base / --changed), then apply the baseline."""
    diff_base = getattr(args, "diff_base", None)
    changed = getattr(args, "changed", None)
    if diff_base is not None or changed is not None:
        from auditor import gitdiff

        if diff_base is not None:
            result = gitdiff.restrict(result, gitdiff.changes_since(root, diff_base), root)
        if changed is not None:
            result = gitdiff.restrict(result, gitdiff.changed_paths(root, changed), root)
    if baseline is not None:
        from auditor.baseline import apply_baseline

        result = apply_baseline(result, baseline, file=str(args.baseline))
    return result


def compact_text(result: AuditResult) -> str:
    """Return the pre-commit output: one line per finding, then what was not checked."""
    from auditor.report.safe import clean

    lines = []
    for finding in result.findings:
        where = str(finding.locations[0]) if finding.locations else "(project)"
        package = f" {finding.package}" if finding.package else ""
        lines.append(
            clean(f"{where}: {finding.rule_id} [{finding.severity}]{package}: {finding.message}")
        )
        if finding.fix:
            lines.append(clean(f"    fix: {finding.fix}"))
    for gap in result.incomplete:
        count = f" ({len(gap.packages)} package(s))" if gap.packages else ""
        lines.append(clean(f"not checked: {gap.source}: {gap.reason}{count}"))
    lines.append(summary_line(result))
    return "\n".join(lines) + "\n"


__all__ = [
    "add_workflow_options",
    "apply_workflow",
    "compact_text",
    "pre_commit_config",
    "register",
    "run",
    "summary_line",
]
