"""The names the reputation checks look at: every declared requirement, where it is declared.

A name declared as a local path, VCS link or direct URL does not come from the index and is
left out (`auditor.index.targets.off_index_names`). A name declared in a file that also
configures another package index (``--index-url``/``--extra-index-url`` in a requirements file,
``[[tool.poetry.source]]``, ``[[tool.uv.index]]``, ``[[tool.pdm.source]]`` in pyproject.toml)
may come from that index, so the existence check cannot judge it: `other_index` says so.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import tomli

from auditor.graph import query
from auditor.graph.build import DependencyGraph
from auditor.index.targets import off_index_names
from auditor.model import InputKind, InputStatus, Location, ParsedInput, Requirement

if TYPE_CHECKING:
    from auditor.imports.usage import ImportUsage

# PEP 508 names start and end with a letter or digit (normalised: separators become "-").
_VALID_PROJECT = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")

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
    # Brought only by resolution (`scan --resolve`, `vet`): judged by the rules about what is
    # installed (typosquat, new, young), not by those about what someone wrote.
    resolved: bool = False

    def spellings_in(self, path: str) -> list[str]:
        """The ways the name is written in `path`: its display name and each raw spelling."""
        texts = {self.display_name} | {
            r.raw_name for r in self.requirements if r.location.path == path
        }
        return sorted(texts)

    @property
    def first_location(self) -> Location | None:
        """The first place the name is declared."""
        return self.locations[0] if self.locations else None


@dataclass(slots=True)
class _Gathered:
    display: str
    locations: list[Location] = field(default_factory=list)
    requirements: list[Requirement] = field(default_factory=list)
    seen: set[Location] = field(default_factory=set)


def _other_index_inputs(
    root: Path, inputs: Sequence[ParsedInput], index_url: str
) -> dict[str, str]:
    """Return ``{input path: the other index it configures}`` for manifests that add one."""
    default = index_url.rstrip("/")
    found: dict[str, str] = {}
    for item in inputs:
        if item.status is not InputStatus.OK:
            continue
        path = root / item.path
        try:
            if item.kind is InputKind.REQUIREMENTS:
                text = path.read_text(encoding="utf-8", errors="replace")
                for match in _INDEX_OPTION.finditer(text):
                    if match.group(1).rstrip("/") != default:
                        found[item.path] = match.group(1)
                        break
            elif item.kind is InputKind.PYPROJECT:
                data = tomli.loads(path.read_text(encoding="utf-8"))
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
        except (OSError, UnicodeDecodeError, tomli.TOMLDecodeError, AttributeError,
                RecursionError):  # fmt: skip
            # The input's own parser reports unreadable files; here they add no index.
            continue
    return found


def declared_uses(
    root: Path, inputs: Sequence[ParsedInput], graph: DependencyGraph, index_url: str
) -> list[NameUse]:
    """Return every index-installed name the project declares itself, sorted by name.

    Args:
        root: the scanned folder (manifests are read again for index options).
        inputs: the parsed inputs.
        graph: the dependency graph.
        index_url: the configured index, which a manifest may repeat without adding another.
    """
    skip = off_index_names(inputs, graph)
    gathered: dict[str, _Gathered] = {}
    for item in inputs:
        if item.status is not InputStatus.OK:
            continue
        for req in item.requirements:
            if req.constraint or req.name in skip or not req.name:
                continue
            entry = gathered.setdefault(req.name, _Gathered(display=req.raw_name))
            entry.requirements.append(req)
            if req.location not in entry.seen:  # a set beside the list: stays linear
                entry.seen.add(req.location)
                entry.locations.append(req.location)
    for node in query.direct_packages(graph):
        if node.name in skip or node.name in gathered:
            continue
        gathered[node.name] = _Gathered(display=node.display_name, locations=list(node.locations))
    resolved = set()
    for node in query.packages(graph):
        if node.resolved and node.name not in skip and node.name not in gathered:
            resolved.add(node.name)
            gathered[node.name] = _Gathered(display=node.display_name,
                                            locations=list(node.locations))  # fmt: skip
    other = _other_index_inputs(root, inputs, index_url)
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
                resolved=name in resolved,
            )
        )
    return uses


def imported_only(
    uses: Sequence[NameUse], usage: ImportUsage, *, dev_code: bool = False
) -> dict[str, tuple[list[Location], bool]]:
    """Third-party imports whose distribution is only guessed from the module name.

    Returns name -> (import sites, whether any site is production code). Imports that a
    declared name, the lockfile or the import map explains are left out, and so are optional
    (``try``/``except ImportError``), type-only and dynamic imports, and modules whose name
    cannot be a project's (``_private_module`` normalises to ``-private-module``, which the
    index refuses to register). Names imported only by development code are left out unless
    `dev_code`.
    """
    declared = {use.name for use in uses}
    found: dict[str, tuple[list[Location], bool]] = {}
    for item in usage.resolved:
        site = item.site
        if item.mapping.source != "heuristic" or site.optional or site.type_only or site.dynamic:
            continue
        for name in item.mapping.distributions:
            if name in declared or not _VALID_PROJECT.match(name):
                continue
            where = Location(path=site.path, line=site.line)
            places, production = found.get(name, ([], False))
            if where not in places:
                places.append(where)
            found[name] = (places, production or not item.dev)
    if not dev_code:
        found = {name: entry for name, entry in found.items() if entry[1]}
    return found


__all__ = ["NameUse", "declared_uses", "imported_only"]
