"""``auditor replace PATH [--package NAME]``: propose a verified in-house replacement as a patch.

Without ``--package`` it lists the candidates (known standard-library replacements, then the
dependencies by risk with their replaceability). With it, it writes the proposal -- the diff,
the verification report, the prompts and replies -- under ``<reports-dir>/replace-<name>/``
(``./reports`` by default, never inside the scanned tree) and prints it (``--format json``:
DESIGN.md's contract). ``--apply`` applies the patch atomically with a backup, only when a
person asks and never under CI. Exit 0: a proposal (verified, or an exact-or-approximate
catalogue rewrite); 1: none could be verified or it was refused; 3: the sandbox did not reach
``--require-isolation``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.cli.options import add_scan_options, config_from_args

if TYPE_CHECKING:
    from auditor.cli.main import Streams
    from auditor.config import Config
    from auditor.context import RunContext
    from auditor.replace.proposal import Proposal, ReplaceOptions


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the replace command."""
    parser = sub.add_parser(
        "replace", help="propose a verified in-house replacement for a risky small dependency"
    )
    add_scan_options(parser)
    parser.add_argument("--package", default=None, help="the distribution to replace")
    parser.add_argument("-f", "--format", choices=("text", "json"), default="text")
    parser.add_argument(
        "--reports-dir",
        type=Path,
        default=Path("reports"),
        help="where the proposal goes (default ./reports)",
    )
    parser.add_argument(
        "--apply",
        action="store_true",
        help="apply the patch to PATH (atomic, with a backup; refused under CI)",
    )
    parser.add_argument(
        "--require-isolation",
        choices=("process", "namespace"),
        default=None,
        help="fail (exit 3) unless the sandbox reaches this isolation level",
    )
    parser.add_argument("--no-llm", action="store_true", help="never ask an LLM (slicer only)")
    parser.add_argument(
        "--llm-backend",
        choices=("openai", "anthropic"),
        default=None,
        help="LLM wire format (AUDITOR_LLM_BACKEND; default openai)",
    )
    parser.add_argument("--llm-model", default=None, help="model name (AUDITOR_LLM_MODEL)")
    parser.add_argument("--llm-base-url", default=None, help="API base URL (AUDITOR_LLM_BASE_URL)")
    parser.add_argument(
        "--examples",
        type=int,
        default=None,
        help="hypothesis examples per used function (default from policy)",
    )
    parser.add_argument(
        "--wheels",
        type=Path,
        default=None,
        help="a folder of wheels to slice from when the package is not installed",
    )
    parser.set_defaults(run=run)


def _options(config: Config, args: argparse.Namespace, unpack_to: Path) -> ReplaceOptions:
    from auditor.replace.proposal import ReplaceOptions
    from auditor.replace.sandbox import IsolationLevel, Limits

    policy = config.policy_section("replace")
    verify = dict(policy.get("verify") or {})
    agent = dict(policy.get("agent") or {})
    lic = dict(policy.get("license") or {})
    return ReplaceOptions(
        examples=args.examples if args.examples is not None else int(verify.get("examples", 60)),
        limits=Limits(
            timeout=float(verify.get("timeout_seconds", 30)),
            cpu_seconds=int(verify.get("cpu_seconds", 20)),
            memory_mb=int(verify.get("memory_mb", 1024)),
            file_size_mb=int(verify.get("file_size_mb", 16)),
        ),
        require=IsolationLevel(args.require_isolation) if args.require_isolation else None,
        rounds=int(agent.get("rounds", 3)),
        token_budget=int(agent.get("token_budget", 60_000)),
        max_reply_tokens=int(agent.get("max_reply_tokens", 4_000)),
        copy_allowed=tuple(str(x) for x in lic.get("copy_allowed", ())),
        wheels=args.wheels,
        unpack_to=unpack_to,
    )


def run(args: argparse.Namespace, streams: Streams) -> int:
    """Propose (and on request apply) a replacement, or list the candidates."""
    import tempfile

    from auditor.context import RunContext
    from auditor.enrich import enrich
    from auditor.facts import NEED_FOOTPRINT, NEED_IMPORTS, NEED_INDEX, NEED_OSV
    from auditor.pipeline import scan_inputs

    config = config_from_args(args)
    if args.package is not None:
        _require_extras()
    scan = scan_inputs(config)
    context = RunContext(config)
    try:
        if args.package is None:
            needs = {NEED_IMPORTS, NEED_FOOTPRINT, NEED_INDEX, NEED_OSV}
            facts = enrich(scan, needs, context)
            return _candidates(args, streams, config, scan.graph, facts)
        facts = enrich(scan, {NEED_IMPORTS}, context)
        if facts.imports is None:
            streams.say("auditor: the import scan did not run")
            return 1
        with tempfile.TemporaryDirectory(prefix="auditor-wheel-") as unpack:
            proposal = _propose(args, streams, config, context, scan, facts.imports, Path(unpack))
    finally:
        context.close()
    folder = _write(args.reports_dir, proposal)
    if args.format == "json":
        streams.out.write(json.dumps(proposal.to_json(), indent=2, sort_keys=True) + "\n")
    else:
        _print_text(streams, proposal, folder)
    good = proposal.verification.verified or proposal.drafted_by == "catalogue"
    if args.apply:
        return _apply(args, streams, proposal, folder, good)
    return 0 if good and proposal.patch else 1


def _require_extras() -> None:
    import importlib.util

    from auditor.errors import ConfigError

    missing = [m for m in ("libcst", "hypothesis") if importlib.util.find_spec(m) is None]
    if missing:
        raise ConfigError(
            f"auditor replace needs {', '.join(missing)}: pip install 'auditor[replace]'"
        )


def _propose(
    args: argparse.Namespace,
    streams: Streams,
    config: Config,
    context: RunContext,
    scan: Any,
    usage: Any,
    unpack: Path,
) -> Proposal:
    from auditor.replace.llm import llm_settings, make_backend
    from auditor.replace.proposal import propose

    backend = None
    if not args.no_llm:
        settings = llm_settings(
            dict(config.llm),
            os.environ,
            backend=args.llm_backend,
            model=args.llm_model,
            base_url=args.llm_base_url,
        )
        if settings is not None:
            if config.offline:
                streams.say("auditor: --offline: the LLM is not asked; the slicer drafts")
            else:
                backend = make_backend(settings, context.session)
    return propose(
        scan.root,
        usage,
        scan.inputs,
        args.package,
        _options(config, args, unpack),
        backend=backend,
        cache=context.cache,
    )


def _write(reports: Path, proposal: Proposal) -> Path:
    from auditor.atomic import atomic_write_text

    folder = reports / f"replace-{proposal.package}"
    atomic_write_text(
        folder / "proposal.json", json.dumps(proposal.to_json(), indent=2, sort_keys=True) + "\n"
    )
    atomic_write_text(folder / "patch.diff", proposal.patch)
    transcript = proposal.agent or {"exchanges": [], "note": "no LLM was asked"}
    atomic_write_text(folder / "transcript.json", json.dumps(transcript, indent=2) + "\n")
    return folder


def _print_text(streams: Streams, proposal: Proposal, folder: Path) -> None:
    from auditor.report.safe import clean

    ver = proposal.verification
    lines = [
        f"package: {proposal.package} {proposal.version or ''}".rstrip(),
        f"symbols used: {', '.join(proposal.symbols) or '(none)'}",
        f"drafted by: {proposal.drafted_by}",
        f"module: {proposal.module or '(none)'}",
        f"verification: {'verified' if ver.verified else 'NOT verified'} "
        f"({ver.inputs_tried} inputs, {ver.mismatches} mismatches): "
        f"{ver.details.get('summary', '')}",
    ]
    if proposal.known and proposal.drafted_by != "catalogue":
        known = proposal.known
        lines.append(
            f"also consider: {known['replacement']} (Python {known['min_python']}+, "
            f"{'exact' if known['exact'] else 'approximate'}): {known['note']}"
        )
    if proposal.refused:
        lines.append(f"refused: {proposal.refused}")
    lines += [f"to do: {step}" for step in proposal.manual]
    lines.append(f"written to: {folder}")
    for line in lines:
        streams.out.write(clean(line) + "\n")


def _apply(
    args: argparse.Namespace, streams: Streams, proposal: Proposal, folder: Path, good: bool
) -> int:
    from auditor.replace.patch import Patch, apply_patch

    if os.environ.get("CI"):
        streams.say("auditor: --apply is refused under CI: a person applies the patch")
        return 2
    if not good or not proposal.changes:
        streams.say("auditor: nothing verified to apply")
        return 1
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    backup = folder / f"backup-{stamp}"
    root = args.path if args.path.is_dir() else args.path.parent
    patch = Patch(changes=proposal.changes, diff=proposal.patch, manual=proposal.manual)
    try:
        written = apply_patch(root, patch, backup)
    except ValueError as exc:
        streams.say(f"auditor: not applied: {exc}")
        return 1
    streams.say(f"auditor: applied to {len(written)} file(s); backup in {backup}")
    return 0


def _candidates(
    args: argparse.Namespace, streams: Streams, config: Config, graph: Any, facts: Any
) -> int:
    from auditor.replace.catalogue import applicable, load_catalogue, project_python
    from auditor.replace.risk import RiskPolicy, assess
    from auditor.report.safe import clean

    policy = RiskPolicy.from_policy(config.policy_section("replace"))
    catalogue = load_catalogue()
    python, _source = project_python(config.root)
    rows: list[dict[str, Any]] = []
    for use in facts.declared:
        entry = catalogue.get(use.name)
        usage = facts.imports
        symbols = usage.symbols_for_distribution(use.name) if usage is not None else ()
        if entry is not None and (fit := applicable(entry, symbols, python)).fits:
            rows.append(
                {
                    "package": use.display_name,
                    "kind": "known",
                    "replacement": entry.replacement,
                    "exact": fit.exact,
                }
            )
            continue
        if use.name in facts.footprints:
            found = assess(
                use.name, use.display_name, None, facts, policy, config.today_date(), graph
            )
            rows.append(
                {
                    "kind": "slice",
                    "reasons": found.reasons(),
                    **found.to_json(),
                    "package": use.display_name,
                }
            )
    rows.sort(key=lambda r: (r["kind"] != "known", -int(r.get("risk") or 0), r["package"]))
    if args.format == "json":
        data = {
            "schema_version": 1,
            "candidates": rows,
            "incomplete": [i.to_json() for i in facts.incomplete],
        }
        streams.out.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
        return 0
    for row in rows:
        if row["kind"] == "known":
            kind = "exact" if row["exact"] else "approximate"
            text = f"{row['package']}: use {row['replacement']} ({kind})"
        else:
            mark = "candidate" if row["replaceable"] else f"keep ({row['why_not']})"
            text = f"{row['package']}: risk {row['risk']}, {mark}: {row['reasons']}"
        streams.out.write(clean(text) + "\n")
    if not rows:
        streams.out.write("no imported dependency to replace\n")
    return 0


__all__ = ["register", "run"]
