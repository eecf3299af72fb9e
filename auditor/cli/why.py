"""``auditor why PACKAGE``: every path from the project root to a package, with file and line."""

from __future__ import annotations

import argparse
import itertools
import json
from typing import TYPE_CHECKING

from auditor.cli.options import add_scan_options, config_from_args

if TYPE_CHECKING:
    from collections.abc import Sequence

    from auditor.cli.main import Streams
    from auditor.graph.build import DependencyGraph
    from auditor.model import ParsedInput


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
    declarations = _declarations(scan.graph, args.package, scan.inputs)
    if args.format == "json":
        data = {
            "schema_version": 1,
            "package": args.package,
            "declarations": declarations,
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
            if origin and origin[0].source == "resolved":
                where = " [resolved, not locked]"
            spec = f" {origin[0].specifier}" if origin and origin[0].specifier else ""
            node = query.package(scan.graph, child)
            version = f"=={node.versions[0]}" if node and len(node.versions) == 1 else ""
            steps.append(f"{child}{version}{spec}{where}")
        streams.out.write(clean("(project) -> " + " -> ".join(steps)) + "\n")
    if declarations:
        streams.out.write("declared in:\n")
        for row in declarations:
            text = f"  [{row['project']}] {row['location']} {args.package}{row['specifier']}"
            if row["marker"]:
                text += f"; {row['marker']}"
            text += f" (group {row['group']})" if row["group"] else ""
            streams.out.write(clean(text) + "\n")
    return 0


def _declarations(
    graph: DependencyGraph, package: str, inputs: Sequence[ParsedInput]
) -> list[dict[str, str]]:
    """Return every manifest declaration of `package`, in every project of the repository.

    Each row has the project folder, file:line, specifier (or URL), marker and group.
    """
    from auditor.graph import query
    from auditor.graph.build import ROOT
    from auditor.projects import project_folders, project_of

    folders = project_folders(i.path for i in inputs)
    locks = {i.path for i in inputs if i.kind.is_lockfile}
    rows = []
    seen = set()
    for origin in query.incoming(graph, package):
        key = (str(origin.location), origin.specifier, origin.marker, origin.group)
        path = origin.location.path
        if origin.parent == ROOT and path and path not in locks and key not in seen:
            seen.add(key)
            rows.append(
                {
                    "project": project_of(origin.location.path, folders) or ".",
                    "location": str(origin.location),
                    "specifier": (origin.url and f" @ {origin.url}") or origin.specifier,
                    "marker": origin.marker or "",
                    "group": origin.group or "",
                    "parent": origin.parent,
                }
            )
    return sorted(rows, key=lambda r: (r["project"], r["location"]))


__all__ = ["register", "run"]
