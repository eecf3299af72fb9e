"""``auditor scan``: audit a repository and gate on the findings."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.cli.options import add_gate_options, add_scan_options, config_from_args, write_report

if TYPE_CHECKING:
    from auditor.cli.main import Streams
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
    parser.set_defaults(run=run)


def summary_line(result: AuditResult) -> str:
    """Return the one-line summary written to stderr."""
    counts = result.summary()
    parts = [f"{n} {sev}" for sev, n in counts.items() if n]
    text = f"auditor: {len(result.findings)} finding(s)" + (
        f" ({', '.join(parts)})" if parts else ""
    )
    if result.incomplete:
        text += f"; INCOMPLETE: {len(result.incomplete)} source(s) not checked"
    return text


def run(args: argparse.Namespace, streams: Streams) -> int:
    """Run the scan, write the report, return the gate's exit code."""
    from auditor.cli.progress import progress_for
    from auditor.pipeline import exit_code, run_audit
    from auditor.report.base import OutputFormat

    config = config_from_args(args)
    with progress_for(streams.err) as progress:
        result = run_audit(config, progress=progress)
    fmt = OutputFormat(args.format)
    if fmt is OutputFormat.CONSOLE:
        from auditor.report.console import ConsoleReporter

        isatty = getattr(streams.out, "isatty", None)
        color = args.output is None and bool(isatty and isatty())
        text = ConsoleReporter(color=color, show_graph=args.show_graph).render(result)
    else:
        text = fmt.reporter().render(result)
    write_report(text, args.output, streams.out)
    if fmt is not OutputFormat.CONSOLE or args.output is not None:
        streams.err.write(summary_line(result) + "\n")
    return exit_code(result, config)


__all__ = ["register", "run", "summary_line"]
