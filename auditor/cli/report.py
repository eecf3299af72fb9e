"""``auditor report``: scan and write HTML, Markdown, JSON, SARIF and SBOM under a reports folder.

Each run goes to ``<reports-dir>/<UTC timestamp>/`` (for example ``reports/2026-11-21T083000Z/``)
and is copied to ``<reports-dir>/latest/``; ``<reports-dir>/history.json`` keeps the counts per
severity of the last runs so the HTML report can draw the trend. The reports folder defaults to
``./reports`` relative to the current directory (the repository's own ``reports/`` when run from
its root), so reports never land inside a scanned third-party tree by surprise.
"""

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
)

if TYPE_CHECKING:
    from auditor.cli.main import Streams


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the report command."""
    parser = sub.add_parser(
        "report", help="scan and write HTML, Markdown, JSON, SARIF and SBOM reports"
    )
    add_scan_options(parser)
    add_gate_options(
        parser,
        default_gate="default: findings do not fail a report run, an incomplete audit exits 3",
    )
    parser.add_argument(
        "--reports-dir",
        type=Path,
        default=Path("reports"),
        metavar="DIR",
        help="where reports go (default ./reports; a timestamped folder, latest/, history.json)",
    )
    parser.add_argument(
        "--keep",
        type=int,
        default=None,
        metavar="N",
        help="runs kept in history.json (default from rules/policy/report.toml: 50)",
    )
    add_workflow_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, streams: Streams) -> int:
    """Scan, write the reports, print where they are; exit by the gate only with --fail-on."""
    from auditor.cli.progress import progress_for
    from auditor.pipeline import exit_code, run_audit
    from auditor.report.history import publish_run
    from auditor.report.summary import summary_line
    from auditor.workflow import apply_workflow

    if getattr(args, "output_dir", None) is not None:
        from auditor.errors import ConfigError

        raise ConfigError("auditor report: use --reports-dir (--output-dir is for auditor scan)")
    config = config_from_args(args)
    workflow = workflow_from_args(args)
    with progress_for(streams.err) as progress:
        result = run_audit(config, progress=progress)
    result = apply_workflow(result, config.root.resolve(), workflow)
    keep = args.keep if args.keep is not None else int(config.report_policy()["history"]["keep"])
    published = publish_run(result, args.reports_dir, keep=max(1, keep))
    for path in published.files:
        streams.out.write(f"{path}\n")
    streams.say(summary_line(result))
    streams.say(f"auditor: reports in {published.folder} (and {published.latest})")
    code = exit_code(result, config)
    if args.fail_on is None and code == 1:
        return 0  # without --fail-on, findings alone do not fail a report run
    return code


__all__ = ["register", "run"]
