"""``auditor licenses``: the license inventory of a repository (or the installed environment)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.cli.options import add_scan_options, config_from_args, write_report

if TYPE_CHECKING:
    from auditor.cli.main import Streams

FORMATS = ("table", "json", "csv", "markdown")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the licenses command."""
    parser = sub.add_parser(
        "licenses",
        help="list every dependency's license (SPDX), category, source and policy verdict",
    )
    add_scan_options(parser)
    parser.add_argument(
        "-f", "--format", choices=FORMATS, default="table", help="output format (default table)"
    )
    parser.add_argument("-o", "--output", type=Path, default=None, help="write to this file")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, streams: Streams) -> int:
    """Scan, learn the licenses, print the inventory; exit 3 when some could not be read."""
    from auditor.context import RunContext
    from auditor.enrich import enrich
    from auditor.facts import NEED_LICENSES
    from auditor.licenses.inventory import result_licenses
    from auditor.licenses.policy import load_license_policy
    from auditor.pipeline import merge_incomplete, scan_inputs
    from auditor.report import license_table

    config = config_from_args(args)
    policy = load_license_policy(config)
    scan = scan_inputs(config)
    for item in scan.inputs:
        if item.error:
            streams.say(f"auditor: {item.error}")
    context = RunContext(config=config)
    try:
        facts = enrich(scan, {NEED_LICENSES}, context)
    finally:
        context.close()
    rows = result_licenses(facts.licenses, config) or ()
    if args.format == "json":
        own = facts.licenses.project_license if facts.licenses is not None else None
        project = {
            "license": None if own is None else own.expression,
            "license_family": None if own is None else own.family,
            "license_source": facts.licenses.project_license_source if facts.licenses else "",
            "use": policy.use.value,
            "commercial": policy.commercial,
        }
        text = license_table.render_json(rows, project)
    elif args.format == "csv":
        text = license_table.render_csv(rows)
    elif args.format == "markdown":
        text = license_table.render_markdown(rows)
    else:
        text = license_table.render_table(rows)
    write_report(text, args.output, streams.out)
    incomplete = merge_incomplete([*scan.incomplete, *facts.incomplete])
    for entry in incomplete:
        names = ", ".join(entry.packages[:10]) + (" ..." if len(entry.packages) > 10 else "")
        streams.say(f"auditor: {entry.reason}" + (f" ({names})" if names else ""))
    return 3 if incomplete and not config.allow_incomplete else 0


__all__ = ["register", "run"]
