"""``auditor vet NAME[==VERSION]... | -r FILE``: vet packages before they are installed."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.cli.options import add_gate_options, add_timeout_option

if TYPE_CHECKING:
    from auditor.cli.main import Streams
    from auditor.config import Config
    from auditor.guard.vet import VetResult


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the vet command."""
    parser = sub.add_parser(
        "vet",
        help="vet packages before installing them: existence, typosquats, malware, "
        "vulnerabilities, status, age, licenses; what they depend on too",
    )
    parser.add_argument(
        "names",
        nargs="*",
        metavar="NAME[==VERSION]",
        help="package requirements, as pip takes them",
    )
    parser.add_argument(
        "-r",
        "--requirement",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="vet a requirements file",
    )
    parser.add_argument(
        "--no-deps",
        action="store_true",
        help="vet the named packages only, not what resolving them brings",
    )
    parser.add_argument(
        "--python-version",
        default=None,
        metavar="X.Y",
        help="resolve for this Python (default: policy resolve.python, else this Python)",
    )
    parser.add_argument(
        "--python-platform",
        default=None,
        metavar="NAME",
        help="resolve for this platform, as uv names it: linux, macos, windows, "
        "x86_64-manylinux_2_28 ... (default: policy resolve.platform, else this one)",
    )
    parser.add_argument(
        "-f",
        "--format",
        choices=("console", "json"),
        default="console",
        help="output format (default console)",
    )
    add_guard_options(parser)
    add_gate_options(parser, default_gate="default: the guard policy's block, high")
    parser.set_defaults(run=run)


def add_guard_options(parser: argparse.ArgumentParser) -> None:
    """Add the options vet and guard share (each also read from AUDITOR_*)."""
    parser.add_argument("--config", type=Path, default=None, help="configuration file")
    parser.add_argument(
        "--offline",
        action="store_true",
        default=None,
        help="never use the network (cached answers and local stores only)",
    )
    parser.add_argument(
        "--allow-incomplete",
        action="store_true",
        default=None,
        help="do not fail when a source could not be asked",
    )
    parser.add_argument("--cache-dir", type=Path, default=None, help="cache folder")
    parser.add_argument("--index-url", default=None, help="package index simple-API URL")
    parser.add_argument("--osv-url", default=None, help="OSV API base URL")
    add_timeout_option(parser)


def guard_config(args: argparse.Namespace, root: Path | None = None) -> Config:
    """Return the configuration for vet and guard (the current folder's, then options)."""
    from auditor.config import json_api_url, load_config

    config = load_config(root or Path.cwd(), config_file=getattr(args, "config", None))
    index_url = getattr(args, "index_url", None)
    changes = {
        "offline": getattr(args, "offline", None),
        "allow_incomplete": getattr(args, "allow_incomplete", None),
        "cache_dir": getattr(args, "cache_dir", None),
        "osv_url": getattr(args, "osv_url", None),
        "run_timeout": getattr(args, "timeout", None),
    }
    if index_url:
        changes["index_url"] = index_url.rstrip("/")
        changes["index_json_url"] = json_api_url(index_url)
    return config.with_overrides(**changes).started()


def run(args: argparse.Namespace, streams: Streams) -> int:
    """Vet the names and files, print the verdict, exit by the guard policy."""
    import dataclasses

    from auditor.errors import ConfigError
    from auditor.guard.gate import file_input
    from auditor.guard.vet import parse_names, vet, vet_exit_code, vet_policy
    from auditor.model import InputStatus

    if not args.names and not args.requirement:
        raise ConfigError("vet: name at least one package or a requirements file (-r FILE)")
    config = guard_config(args)
    target = {k: v for k, v in (("python", args.python_version),
                                ("platform", args.python_platform)) if v}  # fmt: skip
    if target:
        policy_table = {**config.policy, "resolve": {**config.policy_section("resolve"), **target}}
        config = config.with_overrides(policy=policy_table)
    inputs = [parse_names(args.names)] if args.names else []
    for path in args.requirement:
        parsed = file_input(Path.cwd(), str(path), constraint=False)
        if parsed.status is not InputStatus.OK:
            raise ConfigError(parsed.error or f"{path}: cannot read")
        inputs.append(parsed)
    policy = vet_policy(config)
    if args.fail_on is not None:
        policy = dataclasses.replace(policy, block=args.fail_on)
    outcome = vet(inputs, config, transitive=not args.no_deps, policy=policy)
    if args.format == "json":
        import json

        data = outcome.result.to_json()
        data["vet"] = vet_json(outcome)
        streams.out.write(json.dumps(data, indent=2, sort_keys=False) + "\n")
    else:
        streams.out.write(render_vet(outcome))
    return vet_exit_code(outcome, allow_incomplete=config.allow_incomplete)


def vet_json(outcome: VetResult) -> dict[str, object]:
    """Return the ``vet`` section of the JSON output: verdict, thresholds, resolver."""
    resolution = outcome.resolution
    return {
        "verdict": verdict_word(outcome),
        "block": str(outcome.policy.block),
        "warn": str(outcome.policy.warn),
        "blocking": [f.fingerprint for f in outcome.blocking],
        "resolver": None if resolution is None else resolution.resolver,
        "index": None if resolution is None else resolution.index_url,
        "resolved": None
        if resolution is None
        else [{"name": p.display_name, "version": p.version, "direct": p.requested}
              for p in resolution.packages],
        "seconds": round(outcome.seconds, 3),
    }  # fmt: skip


def verdict_word(outcome: VetResult) -> str:
    """Return ``block``, ``incomplete``, ``warn`` or ``allow``."""
    if outcome.blocking:
        return "block"
    if outcome.incomplete and outcome.policy.fail_closed:
        return "incomplete"
    return "warn" if outcome.warnings else "allow"


def render_vet(outcome: VetResult) -> str:
    """Return the console text: each finding to block or warn about, gaps, the verdict."""
    from auditor.report.safe import clean

    lines: list[str] = []
    resolution = outcome.resolution
    names = ", ".join(sorted({p.display_name for p in outcome.result.packages if p.direct}))
    lines.append(clean(f"vet: {names or '(nothing)'}"))
    if resolution is not None and resolution.error is None:
        lines.append(
            clean(
                f"  resolved {len(resolution.packages)} package(s) with "
                f"{resolution.describe()}" + (" (cached)" if resolution.cached else "")
            )
        )
    for label, findings in (("BLOCK", outcome.blocking), ("warn ", outcome.warnings)):
        for finding in findings:
            version = f" {finding.version}" if finding.version else ""
            via = (
                f" (via {' -> '.join(finding.path_from_root[:-1])})"
                if len(finding.path_from_root) > 1
                else ""
            )
            lines.append(
                clean(
                    f"  {label} {finding.severity:<8} {finding.rule_id} "
                    f"{finding.package or ''}{version}{via}: {finding.message}"
                )
            )
            if finding.fix:
                lines.append(clean(f"        fix: {finding.fix}"))
    for gap in outcome.incomplete:
        count = f" ({', '.join(gap.packages[:5])}{' ...' if len(gap.packages) > 5 else ''})"
        lines.append(
            clean(f"  not checked: {gap.source}: {gap.reason}" + (count if gap.packages else ""))
        )
    word = verdict_word(outcome)
    lines.append(
        f"verdict: {word} ({len(outcome.blocking)} finding(s) at or above "
        f"{outcome.policy.block}, {len(outcome.warnings)} warning(s); "
        f"{outcome.seconds:.2f} s)"
    )
    return "\n".join(lines) + "\n"


__all__ = ["add_guard_options", "guard_config", "register", "render_vet", "run", "vet_json"]
