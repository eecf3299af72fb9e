"""How a vulnerable version reaches the project, which decides how loud a finding should be.

A range in library metadata (``urllib3>=1.26`` in a library's pyproject) is a floor: the
library's users install the newest release, so old vulnerable versions it admits are a low
finding, not a gate failure. A pin or range in a development group (tests, docs, lint,
minimum-versions test environments) never ships to users. A project requiring itself with extras
(``requests[socks]`` in requests) installs nothing from the index. An application's runtime
requirement keeps the rule's severity.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from auditor.checks.base import CheckContext
from auditor.checks.pin_layout import ProjectLayout, build_layout, is_self_reference
from auditor.model import MAIN_GROUP, InputStatus, Location, ParsedInput, Requirement


class Role(enum.StrEnum):
    """What a declaration is for."""

    RUNTIME = "runtime"  # an application's runtime requirement, or a lockfile entry
    LIBRARY = "library"  # a library's metadata: a floor, its users install the newest
    DEV = "dev"  # a development-only group
    EXAMPLE = "example"  # an example, demo or docs environment
    SELF = "self"  # the project requiring itself with extras
    CONSTRAINT = "constraint"  # a constraints file: narrows installs, installs nothing itself


@dataclass(frozen=True, slots=True)
class DeclarationScope:
    """The requirement written at each location, with the layout that classifies it."""

    layout: ProjectLayout
    declared: dict[Location, tuple[ParsedInput, Requirement]]
    locked_paths: frozenset[str]

    def role(self, location: Location) -> Role:
        """The role of the requirement written at `location` (runtime when none is known)."""
        found = self.declared.get(location)
        if found is None:
            return Role.RUNTIME
        item, req = found
        if is_self_reference(item, req):
            return Role.SELF
        # An extra named like a development group (``test``, ``min-versions``) is one too, and
        # a dependency group (PEP 735, Poetry/PDM groups) is never installed with the package.
        if self.layout.policy.is_dev_group(req.group.removeprefix("optional:")) or (
            req.group != MAIN_GROUP and not req.group.startswith("optional:")
        ):
            return Role.DEV
        if req.constraint or self.layout.compiled_kind(location.path) == "constraints":
            return Role.CONSTRAINT
        if self.layout.is_dev_requirement(item, req):
            return Role.DEV
        if self.layout.policy.is_example(location.path):
            return Role.EXAMPLE
        if self.layout.is_library_requirement(item, req):
            return Role.LIBRARY
        return Role.RUNTIME

    def pin_role(self, places: Iterable[Location], version: str | None = None) -> Role:
        """The role of an exact version: runtime if any lockfile or runtime pin installs it.

        With `version`, only the requirements pinned to it count: a library's floor
        (``jinja2>=2.11.1``) beside a minimum-versions test pin (``jinja2==2.11.1``) does not
        make that pin a runtime one.
        """
        roles = set()
        for place in places:
            if place.path in self.locked_paths:
                return Role.RUNTIME
            found = self.declared.get(place)
            if version is not None and found is not None and str(found[1].pinned) != version:
                continue
            roles.add(self.role(place))
        if not roles or roles & {Role.RUNTIME, Role.LIBRARY, Role.CONSTRAINT}:
            return Role.RUNTIME
        for role in (Role.DEV, Role.EXAMPLE):
            if role in roles:
                return role
        return Role.SELF


def declaration_scope(ctx: CheckContext) -> DeclarationScope:
    """Index the run's requirements by location and classify them with the pin layout."""
    declared: dict[Location, tuple[ParsedInput, Requirement]] = {}
    locked: set[str] = set()
    for item in ctx.inputs:
        if item.status is not InputStatus.OK:
            continue
        if item.kind.is_lockfile:
            locked.add(item.path)
        for req in item.requirements:
            declared.setdefault(req.location, (item, req))
    return DeclarationScope(
        layout=build_layout(ctx), declared=declared, locked_paths=frozenset(locked)
    )


ROLE_NOTES = {
    Role.LIBRARY: "library metadata: its users install the newest release, so this is a floor "
    "to raise, not what gets installed",
    Role.DEV: "a development-only requirement: it does not ship to users",
    Role.EXAMPLE: "an example, demo or docs environment, not what the project ships",
}

__all__ = ["ROLE_NOTES", "DeclarationScope", "Role", "declaration_scope"]
