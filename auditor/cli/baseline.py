"""``auditor baseline create|update PATH --output FILE``: record the accepted findings."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.cli.options import add_scan_options, config_from_args

if TYPE_CHECKING:
    from auditor.cli.main import Streams

DEFAULT_BASELINE = Path(".auditor-baseline.json")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the baseline command."""
    parser = sub.add_parser(
        "baseline", help="create or update a baseline of accepted findings (for --baseline)"
    )
    parser.add_argument(
        "action",
        choices=("create", "update"),
        help="create: accept every current finding; update: keep, add new, drop fixed",
    )
    add_scan_options(parser)
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        metavar="FILE",
        help=f"baseline file (default {DEFAULT_BASELINE} in PATH)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, streams: Streams) -> int:
    """Scan and write the baseline file; refuse to record an incomplete audit."""
    from auditor.baseline import (
        create_baseline,
        load_baseline,
        save_baseline,
        update_baseline,
    )
    from auditor.cli.progress import progress_for
    from auditor.errors import ConfigError, SourceUnavailable
    from auditor.pipeline import run_audit

    config = config_from_args(args)
    output: Path = args.output or (args.path / DEFAULT_BASELINE)
    if args.action == "update" and not output.is_file():
        raise ConfigError(f"{output}: no baseline to update (use: auditor baseline create)")
    with progress_for(streams.err) as progress:
        result = run_audit(config, progress=progress)
    if result.incomplete and not config.allow_incomplete:
        sources = ", ".join(sorted({gap.source for gap in result.incomplete}))
        raise SourceUnavailable(
            str(output),
            f"not written: the audit is incomplete ({sources}); a baseline from an incomplete "
            "audit would drop findings that were merely not checked "
            "(use --allow-incomplete to write it anyway)",
        )
    target = str(args.path)
    if args.action == "create":
        baseline = create_baseline(result.findings, target=target)
        save_baseline(output, baseline)
        streams.say(f"auditor: baseline {output}: {len(baseline)} finding(s) accepted")
        return 0
    update = update_baseline(load_baseline(output), result.findings, target=target)
    save_baseline(output, update.baseline)
    streams.say(
        f"auditor: baseline {output}: {update.kept} kept, {update.added} added, "
        f"{update.dropped} dropped (fixed or gone)"
    )
    return 0


__all__ = ["DEFAULT_BASELINE", "register", "run"]
