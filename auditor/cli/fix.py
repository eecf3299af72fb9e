"""``auditor fix``: upgrade vulnerable or yanked pins, remove standard-library requirement lines.

Dry run by default: prints a unified diff of the manifests (or the planned edits as JSON with
``--format json``). ``--apply`` writes the files atomically.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from auditor.cli.options import add_scan_options, config_from_args

if TYPE_CHECKING:
    from auditor.cli.main import Streams
    from auditor.fix import FixPlan
    from auditor.result import AuditResult

FORMATS = ("diff", "json")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the fix command."""
    parser = sub.add_parser(
        "fix",
        help="upgrade vulnerable (AUD201) and yanked (AUD404) pins, remove standard-library lines "
        "(AUD409); dry run unless --apply",
    )
    add_scan_options(parser)
    parser.add_argument(
        "--apply", action="store_true", help="write the changes (atomically) instead of a diff"
    )
    parser.add_argument(
        "-f",
        "--format",
        choices=FORMATS,
        default="diff",
        help="diff (a unified diff, default) or json (the planned edits)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, streams: Streams) -> int:
    """Audit for fixable findings, plan the pin upgrades, print or apply them."""
    from auditor.cli.main import EXIT_INCOMPLETE, EXIT_OK
    from auditor.cli.progress import progress_for
    from auditor.fix import FIX_RULES, apply_plan, plan_fixes
    from auditor.pipeline import run_audit
    from auditor.report.safe import clean

    config = config_from_args(args)
    if not args.enable:
        config = config.with_overrides(enable=FIX_RULES)
    with progress_for(streams.err) as progress:
        result = run_audit(config, progress=progress)
    plan = plan_fixes(result.findings, result.inputs, config.root.resolve())
    written: list[str] = []
    if args.apply:
        written = apply_plan(plan)
    if args.format == "json":
        streams.out.write(json.dumps(_json(result, plan, written, applied=args.apply),
                                     indent=2, sort_keys=True) + "\n")  # fmt: skip
    elif not args.apply:
        diff = plan.diff()
        isatty = getattr(streams.out, "isatty", None)
        # The diff quotes the repo's own files; escape it only when a terminal would interpret
        # control characters (a pipe gets the exact text so `git apply` works).
        streams.out.write(clean(diff, limit=len(diff) + 1) if isatty and isatty() else diff)
    for edit in plan.edits:
        for warning in edit.warnings:
            streams.say(f"auditor: warning: {warning}")
    for item in plan.skipped:
        where = f"{item.location}: " if item.location else ""
        streams.say(f"auditor: not fixed: {where}{item.package} {item.version}: {item.reason}")
    code = EXIT_OK
    if args.apply:
        unwritten = sorted(set(plan.files()) - set(written))
        for path in unwritten:
            streams.say(f"auditor: {path} changed on disk meanwhile; not written")
            code = EXIT_INCOMPLETE
        verb = "changed" if written else "no files changed"
        streams.say(f"auditor: {verb} {', '.join(str(p) for p in written)}".rstrip())
    else:
        streams.say(
            f"auditor: {len(plan.edits)} edit(s) planned in {len(plan.files())} file(s); "
            "run with --apply to write them"
            if plan.edits
            else "auditor: nothing to fix"
        )
    if result.incomplete:
        for gap in result.incomplete:
            streams.say(f"auditor: not checked: {gap.source}: {gap.reason}")
        if not config.allow_incomplete:
            code = EXIT_INCOMPLETE
    return code


def _json(
    result: AuditResult, plan: FixPlan, written: list[str], *, applied: bool
) -> dict[str, object]:
    data: dict[str, object] = {"schema_version": 1, "target": result.target, "applied": applied}
    data.update(plan.to_json())
    data["written"] = written
    data["incomplete"] = [gap.to_json() for gap in result.incomplete]
    return data


__all__ = ["register", "run"]
