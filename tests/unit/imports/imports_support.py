"""Build a CheckContext over a tmp repo with hand-made requirements (no manifest parsers)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from auditor.checks.base import CheckContext
from auditor.config import load_config
from auditor.discover import discover
from auditor.graph.build import build_graph
from auditor.model import (
    InputKind,
    Location,
    LockedDependency,
    LockedPackage,
    ParsedInput,
    Requirement,
    canonical_name,
    normalize_name,
)
from auditor.rules.catalog import load_rules

ALL_RULES = ("AUD501", "AUD502", "AUD503", "AUD504")


def requirement(name: str, group: str = "main", line: int = 1) -> Requirement:
    return Requirement(
        name=canonical_name(name),
        raw_name=name,
        group=group,
        location=Location(path="pyproject.toml", line=line),
        kind=InputKind.PYPROJECT,
    )


def make_ctx(
    root: Path,
    declared: Mapping[str, str | Iterable[str]],
    *,
    locked: Mapping[str, Iterable[str]] | None = None,
    enabled: Iterable[str] = ALL_RULES,
    project_name: str | None = None,
) -> CheckContext:
    reqs: list[Requirement] = [
        requirement(name, group, line)
        for line, (name, groups) in enumerate(declared.items(), start=1)
        for group in ([groups] if isinstance(groups, str) else groups)
    ]
    inputs = [
        ParsedInput(
            path="pyproject.toml",
            kind=InputKind.PYPROJECT,
            requirements=tuple(reqs),
            project_name=project_name,
        )
    ]
    if locked is not None:
        inputs.append(
            ParsedInput(
                path="uv.lock",
                kind=InputKind.UV_LOCK,
                packages=tuple(
                    LockedPackage(
                        name=normalize_name(name),
                        raw_name=name,
                        version="1.0",
                        location=Location(path="uv.lock", line=i + 1),
                        kind=InputKind.UV_LOCK,
                        dependencies=tuple(LockedDependency(name=d) for d in deps),
                    )
                    for i, (name, deps) in enumerate(locked.items())
                ),
            )
        )
    config = load_config(root)
    return CheckContext(
        config=config,
        root=root,
        inputs=tuple(inputs),
        graph=build_graph(inputs),
        rules=load_rules(),
        discovery=discover(root),
        enabled_rules=frozenset(enabled),
    )
