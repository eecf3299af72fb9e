"""``auditor guard``: vet before an installer runs, answer a coding agent's hook, install shims.

* ``auditor guard -- pip install ...`` (uv, poetry, pipx too): vet, then exec the installer
  with the same arguments (its exit code is the command's), or refuse with the reasons (exit 1,
  or 3 when only what could not be vetted refuses it). A command that installs nothing runs
  at once.
* ``auditor guard --hook``: read a pre-tool-use event (JSON on stdin, ``tool_input.command``)
  and answer in the agents' hook protocol: exit 0 allow, exit 2 block with one paragraph on
  stderr. Fails closed when vetting cannot run, unless the policy says ``hook_fail_open``.
* ``auditor guard --install-shims [DIR]``: write ``pip``/``uv``/``poetry``/``pipx`` shims.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.cli.vet import add_guard_options

if TYPE_CHECKING:
    from auditor.cli.main import Streams
    from auditor.config import Config
    from auditor.guard.commands import InstallCommand
    from auditor.guard.gate import Verdict
    from auditor.guard.verdicts import CachedVerdict

HOOK_ALLOW = 0
HOOK_BLOCK = 2
MAX_EVENT_BYTES = 1024 * 1024
_REASONS_SHOWN = 4
_EDITING_TOOLS = frozenset({"apply_patch", "Edit", "Write", "MultiEdit", "NotebookEdit"})


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the guard command."""
    parser = sub.add_parser(
        "guard",
        help="vet what an installer would install before it runs (auditor guard -- pip "
        "install X), or answer a coding agent's pre-tool hook (--hook)",
    )
    parser.add_argument(
        "--hook",
        action="store_true",
        help="read a pre-tool-use event (JSON) on stdin; exit 0 allow, 2 block",
    )
    parser.add_argument(
        "--install-shims",
        nargs="?",
        const="",
        default=None,
        metavar="DIR",
        help="write pip/uv/poetry/pipx shims that run the guard first "
        "(default folder: the user data folder)",
    )
    parser.add_argument("--shim-dir", type=Path, default=None, help=argparse.SUPPRESS)
    add_guard_options(parser)
    parser.add_argument(
        "installer",
        nargs=argparse.REMAINDER,
        metavar="-- COMMAND ...",
        help="the installer command line to vet and run",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, streams: Streams) -> int:
    """Dispatch to the hook, the shim installer or the guard."""
    if args.hook:
        return run_hook(args, streams, sys.stdin)
    if args.install_shims is not None:
        return _install_shims(args, streams)
    argv = list(args.installer)
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        from auditor.errors import ConfigError

        raise ConfigError(
            "guard: give the installer command after --, e.g. auditor guard -- pip install requests"
        )
    return _guard(args, streams, argv)


def _guard(args: argparse.Namespace, streams: Streams, argv: list[str]) -> int:
    from auditor.cli.vet import guard_config
    from auditor.guard import run as runner
    from auditor.guard.commands import parse_install

    command = parse_install(argv)
    if command is not None and command.names_anything:
        answer = decide([command], guard_config(args), mode="guard")
        for line in answer.lines:
            streams.say(line)
        if not answer.allow:
            return answer.code
    try:
        runner.exec_installer(argv, skip_dir=args.shim_dir)
    except (runner.InstallerNotFound, OSError) as exc:
        streams.say(f"auditor guard: cannot run {argv[0]}: {exc}")
        return 127


def decide(
    commands: Sequence[InstallCommand], config: Config, *, mode: str, cwd: Path | None = None
) -> CachedVerdict:
    """Return the gate's answer for `commands` (remembered for a while when complete).

    `mode` is ``guard`` (lines for a person; refusal exits 1, or 3 when only what could not be
    vetted refuses) or ``hook`` (one paragraph for an agent; refusal exits 2).
    """
    from auditor.cache import Cache
    from auditor.guard.policy import vet_policy
    from auditor.guard.verdicts import CachedVerdict, cached_verdict, remember, verdict_key

    cache = Cache(config.cache_dir)
    try:
        cwd = cwd or Path.cwd()
        key = verdict_key(commands, config, cwd, mode)
        hit = cached_verdict(cache, key)
        if hit is not None:
            return hit
        from auditor.guard.gate import vet_commands

        verdict = vet_commands(commands, config, cwd=cwd)
        lines = _lines(verdict)
        if mode == "hook":
            code = HOOK_ALLOW if verdict.allow else HOOK_BLOCK
            if not verdict.allow:
                lines = [hook_reason(verdict)]
        else:
            blocked = verdict.outcome is not None and verdict.outcome.blocking
            code = 0 if verdict.allow else 1 if blocked else 3
            if not verdict.allow:
                shown = "; ".join(shlex.join(c.argv) for c in commands)
                lines.append(f"auditor guard: refused {shown}")
        answer = CachedVerdict(allow=verdict.allow, code=code, lines=tuple(lines))
        if not verdict.incomplete:
            remember(cache, key, answer, vet_policy(config).verdict_ttl)
        return answer
    finally:
        cache.close()


def _lines(verdict: Verdict) -> list[str]:
    """Return the findings that block or warn, the gaps and the notes, one line each."""
    lines: list[str] = []
    outcome = verdict.outcome
    if outcome is not None:
        for label, findings in (("blocked", outcome.blocking), ("warning", outcome.warnings)):
            for f in findings:
                version = f" {f.version}" if f.version else ""
                lines.append(f"auditor guard: {label}: {f.rule_id} [{f.severity}] "
                             f"{f.package or ''}{version}: {f.message}")  # fmt: skip
    lines.extend(f"auditor guard: not vetted: {g.source}: {g.reason}" for g in verdict.incomplete)
    lines.extend(f"auditor guard: note: {note}" for note in verdict.notes)
    return lines


def _install_shims(args: argparse.Namespace, streams: Streams) -> int:
    from auditor.guard.run import default_shim_dir, install_shims

    folder = Path(args.install_shims) if args.install_shims else default_shim_dir()
    written = install_shims(folder)
    for path in written:
        streams.out.write(f"{path}\n")
    quoted = shlex.quote(str(folder.resolve()))
    streams.say(
        f"auditor guard: {len(written)} shim(s) in {folder}; make them the default "
        f'with: export PATH={quoted}:"$PATH" (or aliases: alias pip="auditor guard '
        '-- pip")'
    )
    return 0


# -- the agent hook ------------------------------------------------------------------------------


def event_command(event: Any) -> str | None:
    """Return the shell command of a pre-tool-use event (Claude Code, Codex), else None."""
    if not isinstance(event, dict):
        return None
    tool_input = event.get("tool_input")
    if not isinstance(tool_input, dict):
        return None
    command = tool_input.get("command")
    if isinstance(command, list) and all(isinstance(c, str) for c in command):
        return shlex.join(command)
    return command if isinstance(command, str) else None


def run_hook(args: argparse.Namespace, streams: Streams, stdin: Any) -> int:
    """Answer one pre-tool-use event: 0 allow, 2 block (reason on stderr)."""
    from auditor.guard.shell import find_installs

    raw = stdin.read(MAX_EVENT_BYTES + 1)
    if len(raw) > MAX_EVENT_BYTES:
        return _hook_failure(args, streams, "the hook event is over 1 MiB")
    try:
        event = json.loads(raw)
    except ValueError as exc:
        return _hook_failure(args, streams, f"the hook event is not readable JSON ({exc})")
    if isinstance(event, dict) and event.get("tool_name") in _EDITING_TOOLS:
        return HOOK_ALLOW  # file edits carry text in tool_input.command, not a shell line
    command = event_command(event)
    if command is None:
        return HOOK_ALLOW  # not a shell command: nothing is installed through it
    found = find_installs(command)
    installs = [c for c in found.commands if c.names_anything]
    if not installs and not found.unreadable:
        return HOOK_ALLOW  # the fast path: no install in the line
    if found.unreadable:
        return _hook_failure(
            args,
            streams,
            "the command mentions an installer but cannot be "
            f"read as a shell line: {found.unreadable[0][:200]}",
        )
    try:
        from auditor.cli.vet import guard_config
        from auditor.guard.policy import vet_policy

        cwd = _event_cwd(event)
        config = guard_config(args, cwd)
        policy = vet_policy(config)
        if config.run_timeout is None:
            config = config.with_overrides(run_timeout=policy.hook_timeout).started()
        answer = decide(installs, config, mode="hook", cwd=cwd)
    except Exception as exc:  # noqa: BLE001 - the hook must answer; the reason says what failed
        return _hook_failure(args, streams, f"vetting failed: {type(exc).__name__}: {exc}")
    for line in answer.lines:
        streams.say(line)
    return answer.code


def _event_cwd(event: Any) -> Path:
    """The folder the agent runs the command in (``cwd`` of the event), else this one."""
    where = event.get("cwd") if isinstance(event, dict) else None
    if isinstance(where, str) and where and Path(where).is_dir():
        return Path(where)
    return Path.cwd()


def _hook_failure(args: argparse.Namespace, streams: Streams, why: str) -> int:
    """Fail closed (block) unless the policy lets the command through when vetting fails."""
    fail_open = False
    try:
        from auditor.cli.vet import guard_config
        from auditor.guard.policy import vet_policy

        fail_open = vet_policy(guard_config(args)).hook_fail_open
    except Exception:  # noqa: BLE001, S110 - no readable policy: stay closed
        pass
    if fail_open:
        streams.say(f"auditor guard: could not vet ({why}); allowed (hook_fail_open)")
        return HOOK_ALLOW
    streams.say(
        f"Auditor blocked this command: it could not vet what it installs ({why}). "
        "Check the package names by hand, or set [tool.auditor.policy.guard] "
        "hook_fail_open = true to let such commands through."
    )
    return HOOK_BLOCK


def hook_reason(verdict: Verdict) -> str:
    """Return the one paragraph an agent reads when its install is blocked."""
    commands = "; ".join(shlex.join(c.argv) for c in verdict.commands)
    parts: list[str] = []
    outcome = verdict.outcome
    for f in (outcome.blocking if outcome is not None else ())[:_REASONS_SHOWN]:
        version = f" {f.version}" if f.version else ""
        via = f" (pulled in via {' -> '.join(f.path_from_root[:-1])})" if len(
            f.path_from_root) > 1 else ""  # fmt: skip
        text = f"{f.package or ''}{version}{via}: {f.message}"
        text += f" [{f.rule_id} {f.rule_name}, {f.severity}]"
        if f.fix:
            text += f"; fix: {f.fix}"
        parts.append(text[:600])
    blocked = len(outcome.blocking) if outcome is not None else 0
    if blocked > _REASONS_SHOWN:
        parts.append(f"and {blocked - _REASONS_SHOWN} more finding(s)")
    if verdict.incomplete and not blocked:
        shown = "; ".join(gap.reason for gap in verdict.incomplete[:3])
        parts.append(f"not vetted (the policy fails closed): {shown}")
    return (
        f"Auditor blocked `{commands[:300]}`: "
        + " | ".join(parts)
        + ". Do not install these names; use the real, established package (run `auditor vet "
        "NAME` to check one) or ask the user."
    )


__all__ = ["decide", "event_command", "hook_reason", "register", "run", "run_hook"]
