"""Builders for the pin-check unit tests: requirements, locked packages, a CheckContext."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from checkrun import CheckRun, loopback_config, run_check
from packaging.specifiers import SpecifierSet

from auditor.checks.base import CheckContext
from auditor.config import load_policy_defaults
from auditor.discover import Discovery
from auditor.graph.build import build_graph
from auditor.model import (
    Finding,
    InputIssue,
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
from auditor.specs import marker_of

RULES = load_rules()


def req(
    name: str,
    spec: str = "",
    *,
    path: str = "requirements.txt",
    line: int = 1,
    kind: InputKind | None = None,
    **kw: Any,
) -> Requirement:
    """A requirement as a parser would emit it."""
    if kind is None:
        kind = InputKind.PYPROJECT if path.endswith("pyproject.toml") else InputKind.REQUIREMENTS
    if "marker" in kw:  # given as text, as the sources read it
        kw["marker_text"] = kw["marker"]
        kw["marker"] = marker_of(kw["marker"])
    return Requirement(
        name=canonical_name(name),
        raw_name=name,
        specifier=SpecifierSet(spec),
        location=Location(path=path, line=line),
        kind=kind,
        line_text=kw.pop("line_text", f"{name}{spec}"),
        **kw,
    )


def pkg(
    name: str,
    version: str | None,
    *,
    path: str = "uv.lock",
    line: int = 1,
    deps: Iterable[str] = (),
    kind: InputKind = InputKind.UV_LOCK,
    **kw: Any,
) -> LockedPackage:
    """A locked package."""
    return LockedPackage(
        name=normalize_name(name),
        raw_name=name,
        version=version,
        location=Location(path=path, line=line),
        kind=kind,
        dependencies=tuple(LockedDependency(name=normalize_name(d)) for d in deps),
        **kw,
    )


def manifest(
    path: str, *reqs: Requirement, kind: InputKind | None = None, **kw: Any
) -> ParsedInput:
    """A parsed manifest holding `reqs`."""
    if kind is None:
        kind = InputKind.PYPROJECT if path.endswith("pyproject.toml") else InputKind.REQUIREMENTS
    return ParsedInput(path=path, kind=kind, requirements=reqs, **kw)


def lockfile(path: str, kind: InputKind, *pkgs: LockedPackage) -> ParsedInput:
    """A parsed lockfile holding `pkgs`."""
    return ParsedInput(path=path, kind=kind, packages=pkgs)


def issue(code: str, path: str, line: int, text: str, suggestion: str | None = None) -> InputIssue:
    """A parser issue."""
    return InputIssue(
        code=code,
        message=f"{code}: {text!r}",
        location=Location(path=path, line=line),
        line_text=text,
        suggestion=suggestion,
    )


def context(root: Path, *inputs: ParsedInput, policy: dict[str, Any] | None = None) -> CheckContext:
    """A CheckContext over `inputs` with the packaged policy (plus `policy` overrides)."""
    merged = load_policy_defaults()
    merged["pins"] = {**merged.get("pins", {}), **(policy or {})}
    config = loopback_config(root, merged)
    return CheckContext(
        config=config,
        root=root,
        inputs=tuple(inputs),
        graph=build_graph(inputs),
        rules=RULES,
        discovery=Discovery(root=root),
        enabled_rules=frozenset(r.id for r in RULES),
    )


def run(check_module: str, ctx: CheckContext) -> list[Finding]:
    """Run one pin check module's CHECK."""
    return run_full(check_module, ctx).findings


def run_full(check_module: str, ctx: CheckContext) -> CheckRun:
    """Run one pin check module's CHECK; findings and what it could not judge."""
    from auditor.checks.base import load_check

    return run_check(load_check(check_module), ctx)


def ids(findings: Iterable[Finding], rule: str | None = None) -> list[tuple[str, str | None]]:
    """Return (rule id, package) pairs, optionally for one rule."""
    return sorted((f.rule_id, f.package) for f in findings if rule is None or f.rule_id == rule)
