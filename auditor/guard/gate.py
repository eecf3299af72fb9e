"""The gate in front of an installer: vet what install commands would bring, then allow or refuse.

`vet_commands` turns install commands (`auditor.guard.commands`) into requirements (names typed
on the line, ``-r`` files, ``-c`` constraint files), vets them all at once (`auditor.guard.vet`)
and decides: refuse when a finding reaches the block threshold, or when something could not be
vetted and the policy fails closed (URLs, VCS links, archives, xargs input, unreachable sources).
Local folders are the user's own code and are let through with a note.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from auditor.config import Config, json_api_url
from auditor.guard.commands import InstallCommand
from auditor.guard.vet import VetResult, parse_names, vet
from auditor.model import Incomplete, InputKind, InputStatus, ParsedInput
from auditor.scanning import parse_input

SOURCE = "guard"


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    """The gate's answer for a set of install commands."""

    allow: bool
    commands: tuple[InstallCommand, ...]
    outcome: VetResult | None = None
    reasons: tuple[str, ...] = ()  # why it refuses (empty when allowed)
    notes: tuple[str, ...] = ()
    incomplete: tuple[Incomplete, ...] = ()  # what could not be vetted


def file_input(cwd: Path, name: str, *, constraint: bool) -> ParsedInput:
    """Parse a requirements (or constraints) file named relative to `cwd`."""
    path = (cwd / name).resolve() if not Path(name).is_absolute() else Path(name)
    if not path.is_file():
        return ParsedInput(
            path=name,
            kind=InputKind.REQUIREMENTS,
            status=InputStatus.ERROR,
            error=f"{name}: no such requirements file",
        )
    from auditor.discover import classify

    parsed = parse_input(path.parent, path.name, classify(path.name) or InputKind.REQUIREMENTS)
    if not constraint:
        return parsed
    reqs = tuple(dataclasses.replace(r, constraint=True) for r in parsed.requirements)
    return dataclasses.replace(parsed, requirements=reqs)


def _gaps(commands: Sequence[InstallCommand]) -> tuple[list[Incomplete], list[str]]:
    gaps: list[Incomplete] = []
    notes: list[str] = []
    for command in commands:
        what = command.installer
        gaps.extend(
            Incomplete(
                source=SOURCE, reason=f"{what}: {item}: a URL or VCS link cannot be vetted by name"
            )
            for item in command.remote
        )
        gaps.extend(
            Incomplete(source=SOURCE, reason=f"{what}: {item}: cannot be read before it runs")
            for item in command.unknown
        )
        for item in command.local:
            if Path(item).suffix in (".whl", ".gz", ".zip", ".tgz", ".egg", ".bz2", ".xz"):
                gaps.append(Incomplete(source=SOURCE, reason=f"{command.installer}: {item}: a "
                                       "local archive cannot be vetted by name"))  # fmt: skip
            else:
                notes.append(f"{command.installer}: {item}: a local folder (your own code) is "
                             "not vetted")  # fmt: skip
        if command.extra_index_urls:
            notes.append(f"{command.installer}: extra index {', '.join(command.extra_index_urls)}"
                         ": names may come from there instead (dependency confusion)")  # fmt: skip
    return gaps, notes


def _inputs(commands: Sequence[InstallCommand], cwd: Path) -> tuple[list[ParsedInput], list[str]]:
    inputs: list[ParsedInput] = []
    errors: list[str] = []
    names = [req for command in commands for req in command.requirements]
    if names:
        inputs.append(parse_names(names))
    for command in commands:
        here = (cwd / Path(command.directory).expanduser()) if command.directory else cwd
        inputs.extend(file_input(here, name, constraint=False) for name in command.files)
        inputs.extend(file_input(here, name, constraint=True) for name in command.constraint_files)
    errors = [i.error or i.path for i in inputs if i.status is not InputStatus.OK]
    return [i for i in inputs if i.status is InputStatus.OK], errors


def vet_commands(
    commands: Sequence[InstallCommand], config: Config, *, cwd: Path | None = None
) -> Verdict:
    """Vet everything `commands` would install; see the module docstring.

    Raises `ConfigError` when a name on the line is not a valid requirement.
    """
    from auditor.guard.vet import vet_policy

    cwd = (cwd or Path.cwd()).resolve()
    commands = tuple(commands)
    index = next((c.index_url for c in commands if c.index_url), None)
    if index:
        config = config.with_overrides(
            index_url=index.rstrip("/"), index_json_url=json_api_url(index)
        )
    gaps, notes = _gaps(commands)
    inputs, errors = _inputs(commands, cwd)
    gaps.extend(Incomplete(source=SOURCE, reason=error) for error in errors)
    outcome = vet(inputs, config, root=cwd) if any(i.requirements for i in inputs) else None
    if outcome is not None and gaps:
        from auditor.pipeline import merge_incomplete

        result = dataclasses.replace(
            outcome.result, incomplete=merge_incomplete([*outcome.result.incomplete, *gaps])
        )
        outcome = dataclasses.replace(outcome, result=result)
    policy = outcome.policy if outcome is not None else vet_policy(config)
    reasons = [
        f"{f.package or f.rule_name}: {f.rule_id} {f.rule_name} ({f.severity})"
        for f in (outcome.blocking if outcome is not None else ())
    ]
    left_out = list(outcome.incomplete) if outcome is not None else gaps
    if policy.fail_closed and left_out:
        reasons.extend(f"not vetted: {gap.reason}" for gap in left_out)
    return Verdict(
        allow=not reasons,
        commands=commands,
        outcome=outcome,
        reasons=tuple(reasons),
        notes=tuple(notes),
        incomplete=tuple(left_out),
    )


__all__ = ["SOURCE", "Verdict", "file_input", "vet_commands"]
