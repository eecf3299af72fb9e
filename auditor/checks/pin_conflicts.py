"""The conflict check (AUD109): one package declared in several places with no common version.

Declarations are compared within one project scope (see `auditor.checks.pin_layout`), so two
services of a monorepo may pin different versions. A declaration without an environment marker
applies everywhere and is compared with every other; marked declarations are compared with the
unmarked ones and with those carrying the same marker. Constraints (``-c``) take part: pip
fails when a constraint excludes every version a requirement allows. Separate requirements
files are separate installs (see `_environments`); project metadata joins each of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from auditor.checks.base import CheckContext
from auditor.checks.pin_layout import (
    ProjectLayout,
    build_layout,
    is_manifest,
    is_self_reference,
    scope_of,
)
from auditor.checks.pin_specs import check_satisfiable
from auditor.checks.pins import describe
from auditor.model import (
    MAIN_GROUP,
    Finding,
    InputKind,
    Location,
    ParsedInput,
    Requirement,
)


def _marker_key(marker: str | None) -> str | None:
    if marker is None:
        return None
    return " ".join(marker.replace('"', "'").split())


def _environments(
    decls: list[tuple[ParsedInput, Requirement]],
) -> list[list[tuple[ParsedInput, Requirement]]]:
    """Split declarations into the sets that are installed together.

    The main dependencies of project metadata (pyproject, setup.cfg, setup.py, Pipfile) apply
    to every install; each of its other groups (an extra, a dependency group, Poetry's dev
    group) is installed on top of them, not necessarily with the other groups: datasets'
    ``benchmarks`` extra pinning ``torch==2.0.1`` and its ``tests`` extra asking for
    ``torch>=2.8`` are two environments, as are uv groups declared as conflicting. Each
    requirements file (with the files it includes through -r/-c, already folded into it) is
    its own install too: ``requirements/dev.txt`` and ``requirements/tests-min.txt`` pinning
    different versions are not a conflict.
    """
    metadata = [(item, req) for item, req in decls if item.kind is not InputKind.REQUIREMENTS]
    base = [(item, req) for item, req in metadata if req.group == MAIN_GROUP]
    groups = sorted({req.group for _item, req in metadata if req.group != MAIN_GROUP})
    files = sorted({item.path for item, _req in decls if item.kind is InputKind.REQUIREMENTS})
    envs = [[*base, *((i, r) for i, r in metadata if r.group == group)] for group in groups]
    envs += [[*base, *((i, r) for i, r in decls if i.path == path)] for path in files]
    return envs or [base]


class ConflictCheck:
    """Finds packages whose declarations admit no common version."""

    name = "pin_conflicts"

    def run(self, ctx: CheckContext) -> Iterable[Finding]:
        """Return the findings of AUD109."""
        layout = build_layout(ctx)
        groups: dict[tuple[str, str], dict[Location, tuple[ParsedInput, Requirement]]] = {}
        for item in ctx.inputs:
            if not is_manifest(item) or layout.is_compiled(item.path):
                continue  # compiled files are lock data: their mismatches are drift (AUD104)
            scope = scope_of(item.path)
            for req in item.requirements:
                if req.url is not None or not req.specifier:
                    continue
                if is_self_reference(item, req):
                    continue
                groups.setdefault((scope, req.name), {})[req.location] = (item, req)
        findings: list[Finding] = []
        for (scope, name), found in sorted(groups.items()):
            findings.extend(self._judge(ctx, layout, scope, name, list(found.values())))
        return findings

    def _judge(
        self,
        ctx: CheckContext,
        layout: ProjectLayout,
        scope: str,
        name: str,
        decls: list[tuple[ParsedInput, Requirement]],
    ) -> Iterator[Finding]:
        locked = sorted(
            {
                version
                for item, _req in decls
                for _lock, versions in layout.locked_versions(item.path, name)
                for version in versions
            }
        )
        reported: set[frozenset[Location]] = set()
        for env in _environments(decls):
            markers = {_marker_key(req.marker_text) for _item, req in env}
            for marker in sorted(markers, key=lambda m: m or ""):
                subset = [
                    (item, req)
                    for item, req in env
                    if _marker_key(req.marker_text) in (None, marker)
                ]
                verdict = check_satisfiable([req.specifier for _item, req in subset], locked)
                if verdict.satisfiable:
                    continue
                where = frozenset(req.location for _item, req in subset)
                if where not in reported:
                    reported.add(where)
                    yield self._finding(ctx, scope, subset, marker, locked)
                break

    @staticmethod
    def _finding(
        ctx: CheckContext,
        scope: str,
        subset: list[tuple[ParsedInput, Requirement]],
        marker: str | None,
        locked: list[str],
    ) -> Finding:
        ordered = sorted(subset, key=lambda pair: pair[1].location)
        first = ordered[0][1]
        parts = [f"{describe(req)} ({req.location})" for _item, req in ordered]
        single = len(ordered) == 1
        message = (
            f"{parts[0]} admits no version at all"
            if single
            else f"{first.raw_name} is declared with specifiers no version satisfies together: "
            + " vs ".join(parts)
        )
        if marker:
            message += f" (when {marker})"
        return ctx.finding(
            "AUD109",
            message=message,
            package=first.raw_name,
            locations=[req.location for _item, req in ordered],
            evidence={
                "scope": scope,
                "marker": marker,
                "declarations": [
                    {
                        "path": req.location.path,
                        "line": req.location.line,
                        "specifier": str(req.specifier),
                        "marker": req.marker_text,
                        "group": req.group,
                        "constraint": req.constraint,
                    }
                    for _item, req in ordered
                ],
                "locked_versions": locked,
            },
            fix=(
                f"Choose one version range for {first.raw_name} that every file accepts and "
                "write it in one place (have the other files include it with -r/-c), then "
                "re-lock."
            ),
            key=scope,
        )


CHECK = ConflictCheck()

__all__ = ["CHECK", "ConflictCheck"]
