"""The names the reputation checks look at: every declared requirement, where it is declared.

A name declared as a local path, VCS link or direct URL does not come from the index and is
left out (`auditor.index.targets.off_index_names`). A name declared in a file that also
configures another package index (``--index-url``/``--extra-index-url`` in a requirements file,
``[[tool.poetry.source]]``, ``[[tool.uv.index]]``, ``[[tool.pdm.source]]`` in pyproject.toml)
may come from that index, so the existence check cannot judge it: `other_index` says so.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field

from auditor.checks.base import CheckContext
from auditor.graph import query
from auditor.index.targets import off_index_names
from auditor.model import InputKind, InputStatus, Location, Requirement

_INDEX_OPTION = re.compile(
    r"^\s*(?:-i|--index-url|--extra-index-url|-f|--find-links)(?:\s*=\s*|\s+)(\S+)", re.MULTILINE
)


@dataclass(frozen=True, slots=True, kw_only=True)
class NameUse:
    """One package name the project declares, with every place and requirement naming it."""

    name: str
    display_name: str
    locations: tuple[Location, ...]
    requirements: tuple[Requirement, ...] = ()
    other_index: str | None = None

    @property
    def first_location(self) -> Location | None:
        """The first place the name is declared."""
        return self.locations[0] if self.locations else None


@dataclass(slots=True)
class _Gathered:
    display: str
    locations: list[Location] = field(default_factory=list)
    requirements: list[Requirement] = field(default_factory=list)


def _other_index_inputs(ctx: CheckContext) -> dict[str, str]:
    """Return ``{input path: the other index it configures}`` for manifests that add one."""
    default = ctx.config.index_url.rstrip("/")
    found: dict[str, str] = {}
    for item in ctx.inputs:
        if item.status is not InputStatus.OK:
            continue
        path = ctx.root / item.path
        try:
            if item.kind is InputKind.REQUIREMENTS:
                text = path.read_text(encoding="utf-8", errors="replace")
                for match in _INDEX_OPTION.finditer(text):
                    if match.group(1).rstrip("/") != default:
                        found[item.path] = match.group(1)
                        break
            elif item.kind is InputKind.PYPROJECT:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
                tool = data.get("tool", {})
                for section in (
                    tool.get("poetry", {}).get("source"),
                    tool.get("uv", {}).get("index"),
                    tool.get("pdm", {}).get("source"),
                ):
                    if isinstance(section, list) and section:
                        first = section[0]
                        url = first.get("url") if isinstance(first, dict) else None
                        found[item.path] = str(url or "a configured source")
                        break
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, AttributeError):
            # The input's own parser reports unreadable files; here they add no index.
            continue
    return found


def declared_uses(ctx: CheckContext) -> list[NameUse]:
    """Return every index-installed name the project declares itself, sorted by name."""
    skip = off_index_names(ctx)
    gathered: dict[str, _Gathered] = {}
    for item in ctx.inputs:
        if item.status is not InputStatus.OK:
            continue
        for req in item.requirements:
            if req.constraint or req.name in skip or not req.name:
                continue
            entry = gathered.setdefault(req.name, _Gathered(display=req.raw_name))
            entry.requirements.append(req)
            if req.location not in entry.locations:
                entry.locations.append(req.location)
    for node in query.direct_packages(ctx.graph):
        if node.name in skip or node.name in gathered:
            continue
        gathered[node.name] = _Gathered(display=node.display_name, locations=list(node.locations))
    other = _other_index_inputs(ctx)
    uses = []
    for name in sorted(gathered):
        entry = gathered[name]
        via = next((other[loc.path] for loc in entry.locations if loc.path in other), None)
        uses.append(
            NameUse(
                name=name,
                display_name=entry.display,
                locations=tuple(entry.locations),
                requirements=tuple(entry.requirements),
                other_index=via,
            )
        )
    return uses


def shared_declared_uses(ctx: CheckContext) -> list[NameUse]:
    """`declared_uses`, computed once per run."""
    return ctx.fact("reputation-declared-uses", declared_uses)


__all__ = ["NameUse", "declared_uses", "shared_declared_uses"]
