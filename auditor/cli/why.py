"""``auditor why PACKAGE``: every path from the project root to a package, with file and line."""

from __future__ import annotations

import argparse
import itertools
import json
from typing import TYPE_CHECKING

from auditor.cli.options import add_scan_options, config_from_args

if TYPE_CHECKING:
    from auditor.cli.main import Streams


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the why command."""
    parser = sub.add_parser("why", help="show why a package is in the dependency graph")
    parser.add_argument("package", help="package name (any spelling)")
    add_scan_options(parser)
    parser.add_argument("-f", "--format", choices=("text", "json"), default="text")
    parser.add_argument("--limit", type=int, default=50, help="at most this many paths")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, streams: Streams) -> int:
    """Print every path to the package; exit 1 when it is not in the graph."""
    from auditor.graph import query
    from auditor.pipeline import scan_inputs
    from auditor.report.safe import clean

    config = config_from_args(args)
    scan = scan_inputs(config)
    paths = query.paths_to(scan.graph, args.package, limit=args.limit)
    if args.format == "json":
        data = {
            "schema_version": 1,
            "package": args.package,
            "paths": [
                [{"name": node, "declared_at": [str(o.location) for o in
                  query.origins(scan.graph, parent, node)]}
                 for parent, node in itertools.pairwise(path)]
                for path in paths
            ],
        }  # fmt: skip
        streams.out.write(json.dumps(data, indent=2) + "\n")
        return 0 if paths else 1
    if not paths:
        streams.say(f"auditor: {args.package} is not in the dependency graph")
        return 1
    for path in paths:
        steps = []
        for parent, child in itertools.pairwise(path):
            origin = query.origins(scan.graph, parent, child)
            where = f" [{origin[0].location}]" if origin else ""
            spec = f" {origin[0].specifier}" if origin and origin[0].specifier else ""
            node = query.package(scan.graph, child)
            version = f"=={node.versions[0]}" if node and len(node.versions) == 1 else ""
            steps.append(f"{child}{version}{spec}{where}")
        streams.out.write(clean("(project) -> " + " -> ".join(steps)) + "\n")
    return 0


__all__ = ["register", "run"]
