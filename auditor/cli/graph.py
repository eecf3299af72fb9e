"""``auditor graph``: print the dependency graph as a tree, JSON, DOT or GraphML."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.cli.options import add_scan_options, config_from_args, write_report

if TYPE_CHECKING:
    from auditor.cli.main import Streams


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the graph command."""
    parser = sub.add_parser("graph", help="print the dependency graph")
    add_scan_options(parser)
    parser.add_argument(
        "-f",
        "--format",
        choices=("tree", "json", "dot", "graphml"),
        default="tree",
        help="output format (default tree)",
    )
    parser.add_argument("-o", "--output", type=Path, default=None, help="write to this file")
    parser.add_argument("--depth", type=int, default=6, help="tree depth (default 6)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, streams: Streams) -> int:
    """Build the graph from the repository's inputs and print it."""
    from auditor.graph import export
    from auditor.pipeline import scan_inputs

    config = config_from_args(args)
    scan = scan_inputs(config)
    for item in scan.inputs:
        if item.error:
            streams.say(f"auditor: {item.error}")
    if args.format == "tree":
        from rich.console import Console

        from auditor.report.console import graph_tree

        tree = graph_tree(scan.graph, max_depth=args.depth)
        if args.output is None:
            Console(file=streams.out, highlight=False).print(tree)
            return 3 if scan.incomplete and not config.allow_incomplete else 0
        import io

        buffer = io.StringIO()
        Console(file=buffer, width=120, no_color=True).print(tree)
        text = buffer.getvalue()
    elif args.format == "json":
        text = export.render_json(scan.graph)
    elif args.format == "dot":
        text = export.render_dot(scan.graph)
    else:
        text = export.render_graphml(scan.graph)
    write_report(text, args.output, streams.out)
    return 3 if scan.incomplete and not config.allow_incomplete else 0


__all__ = ["register", "run"]
