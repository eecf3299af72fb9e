"""The project layout the pin checks reason about: manifests, lockfiles, scopes, libraries.

A *scope* is the folder a manifest belongs to (a ``requirements/`` style folder counts as its
parent; see `auditor.projects`). A lockfile *covers* the manifests of its own scope and of every
scope below it (lenient: AUD101/AUD102/AUD103 accept its pins), but it *locks* (`project_locks`,
what drift compares) only its own project: its folder, the uv workspace members
(``[tool.uv.workspace] members`` minus ``exclude``) and the path dependencies it records.
Compiled requirements files (`auditor.checks.compiled`) are locks of the files they came from.
A requirements file whose every requirement is pinned exactly (``pip freeze`` /
``pip-compile`` output) counts as a lock for its scope too.

Whether a scope is an application (which needs a lockfile) or a library (whose metadata should
stay loose) follows the ``application`` policy: ``true``/``false`` force it; ``"auto"`` calls a
scope a library when it carries build metadata (a pyproject.toml with both ``[project]`` and
``[build-system]``, a setup.py, or a setup.cfg with ``[options]``) and holds none of the
``application_markers`` files (app.py, manage.py, Dockerfile ...). Everything else is an
application.

Requirements files that a library's metadata reads (``setup.py`` opening
``requirements/default.txt``, ``[tool.setuptools.dynamic]`` or hatch-requirements-txt; see
``ParsedInput.metadata_files``) are that library's declared dependencies: their requirements are
judged by ``library_require`` and they need no lockfile.
"""

from __future__ import annotations

import functools
import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli

from auditor.checks.base import CheckContext
from auditor.checks.compiled import Compiled, compiled_files
from auditor.checks.library_files import (
    library_side_files,
    publishes,
    pyproject_declares_package,
    read_setup_cfg,
)
from auditor.checks.lock_envs import ALL, Envs, lock_environments
from auditor.checks.pin_policy import POLICY, PinPolicy, _normalize
from auditor.model import (
    MAIN_GROUP,
    InputKind,
    InputStatus,
    LockedPackage,
    ParsedInput,
    Requirement,
)
from auditor.projects import scope_covers, scope_of


@dataclass(frozen=True, slots=True, kw_only=True)
class LockView:
    """One lockfile (or fully pinned requirements file) and the versions it locks."""

    path: str
    kind: InputKind
    scope: str
    pseudo: bool
    versions: Mapping[str, tuple[str, ...]]
    packages: Mapping[str, tuple[LockedPackage, ...]]
    lines: Mapping[str, int | None]
    # (name, version) -> the markers of the environments that version is locked for (empty:
    # every environment); the environments the whole lock was resolved for.
    markers: Mapping[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    environments: Envs = ALL
    # The project folders this lock locks: its own scope, workspace members, path dependencies.
    members: frozenset[str] = frozenset()
    compiled: Compiled | None = None

    @property
    def has_edges(self) -> bool:
        """Whether the lockfile records dependency edges between its packages."""
        return any(p.dependencies for items in self.packages.values() for p in items)


@dataclass(slots=True)
class ProjectLayout:
    """Manifests and lockfiles of the scan, grouped so the pin checks can pair them."""

    manifests: list[ParsedInput] = field(default_factory=list)
    locks: list[LockView] = field(default_factory=list)
    library_inputs: frozenset[str] = frozenset()
    library_scopes: frozenset[str] = frozenset()
    marker_scopes: frozenset[str] = frozenset()
    policy: PinPolicy = field(default_factory=PinPolicy)
    # requirements file -> the library metadata (setup.py, pyproject.toml) that reads it
    metadata_feeds: Mapping[str, str] = field(default_factory=dict)
    # requirements files that are lock data (pip-compile, uv export, pip freeze, constraints)
    compiled: Mapping[str, Compiled] = field(default_factory=dict)
    # manifest path -> the Python versions its project supports (requires-python), if it says
    requires_python: Mapping[str, str] = field(default_factory=dict)
    # requirements files in a library's folder that are its developers' tooling (tests, docs, CI)
    tooling_inputs: frozenset[str] = frozenset()

    def is_compiled(self, path: str) -> bool:
        """Whether the requirements file at `path` is lock data rather than declarations."""
        return path in self.compiled

    def compiled_kind(self, path: str) -> str | None:
        """How the lock-data requirements file at `path` was made (None: a declaration)."""
        found = self.compiled.get(path)
        return found.kind if found is not None else None

    def project_locks(self, path: str) -> list[LockView]:
        """Return the locks of the project the manifest at `path` belongs to (nearest first).

        A lockfile locks its own folder's project and the workspace members and path
        dependencies it records; a sub-project elsewhere below it (``examples/x``) is separate.
        A compiled requirements file locks the files it was compiled from, or its own folder.
        """
        scope = scope_of(path)
        found = []
        for lock in self.locks:
            if lock.path == path:
                continue
            if lock.compiled is not None and lock.compiled.sources:
                if path in lock.compiled.sources:
                    found.append(lock)
            elif lock.pseudo:
                if lock.scope == scope and (
                    lock.compiled is not None or _is_compile_pair(path, lock.path)
                ):
                    found.append(lock)
            elif scope == lock.scope or scope in lock.members:
                found.append(lock)
        return sorted(found, key=lambda lock: (-len(lock.scope), lock.path))

    def covering_locks(self, path: str, *, real_only: bool = False) -> list[LockView]:
        """Return the locks that cover the file at `path` (nearest scope first)."""
        scope = scope_of(path)
        found = [
            lock
            for lock in self.locks
            if lock.path != path
            and scope_covers(lock.scope, scope)
            and not (real_only and lock.pseudo)
        ]
        return sorted(found, key=lambda lock: (-len(lock.scope), lock.path))

    def locked_versions(self, path: str, name: str) -> list[tuple[LockView, tuple[str, ...]]]:
        """Return (lock, versions) for each lock covering `path` that locks `name`."""
        return [
            (lock, lock.versions[name])
            for lock in self.covering_locks(path)
            if name in lock.versions
        ]

    def is_library_requirement(self, item: ParsedInput, req: Requirement | None = None) -> bool:
        """Whether `item` (or the file `req` is written in) is library metadata.

        Library metadata is judged by library_require: a setup.py, setup.cfg or pyproject.toml
        with build metadata, and the requirements files such metadata reads.
        """
        return (
            item.path in self.library_inputs
            or item.path in self.metadata_feeds
            or (req is not None and req.location.path in self.metadata_feeds)
        )

    def is_dev_requirement(self, item: ParsedInput, req: Requirement) -> bool:
        """Whether `req` is for development only: it never ships to the project's users.

        A group named like one (``test``, ``docs``), any other dependency group of a pyproject
        (PEP 735, Poetry or PDM groups are never installed with the package), and requirements
        files that are a library's tooling.
        """
        return (
            self.policy.is_dev_group(req.group)
            or (
                item.kind is InputKind.PYPROJECT
                and req.group != MAIN_GROUP
                and not req.group.startswith("optional")
            )
            or item.path in self.tooling_inputs
            or req.location.path in self.tooling_inputs
        )

    def feeds_metadata_of(self, path: str) -> str | None:
        """Return the library manifest whose metadata reads the requirements file `path`."""
        return self.metadata_feeds.get(path)

    def is_application_scope(self, scope: str) -> bool:
        """Whether the scope is an application (needs a lockfile), by the policy heuristic."""
        if self.policy.application is not None:
            return self.policy.application
        return scope not in self.library_scopes or scope in self.marker_scopes

    def application_reason(self, scope: str) -> str:
        """Explain why the scope counts as an application (for finding evidence)."""
        if self.policy.application is not None:
            return f"policy pins.application = {str(self.policy.application).lower()}"
        if scope not in self.library_scopes:
            return "auto: no build metadata ([project] with [build-system], setup.py, setup.cfg)"
        return "auto: build metadata, but an application file is present (application_markers)"

    def required_level(self, item: ParsedInput, req: Requirement) -> str:
        """Return the pinning level required of `req`: exact, upper-bound, any or none."""
        if self.is_dev_requirement(item, req):
            return self.policy.dev_require
        if self.is_library_requirement(item, req):
            return self.policy.library_require
        return self.policy.require


def is_self_reference(item: ParsedInput, req: Requirement) -> bool:
    """Whether `req` names the project `item` declares (``pdm[keyring]`` in pdm's extras).

    Such a requirement re-installs the project with extras: what it pulls in is declared in the
    same file, and no index version is involved, so pins do not apply to it.
    """
    return (
        item.project_name is not None
        and req.url is None
        and req.name == _normalize(item.project_name)
    )


def counted_requirements(item: ParsedInput) -> list[Requirement]:
    """Return the requirements that install something from elsewhere.

    Constraints are not requirements, and a project naming itself (to pull in its own extras)
    installs nothing new.
    """
    return [
        req for req in item.requirements if not req.constraint and not is_self_reference(item, req)
    ]


def is_manifest(item: ParsedInput) -> bool:
    """Whether the input is a hand-written manifest that parsed."""
    return (
        item.status is InputStatus.OK
        and not item.kind.is_lockfile
        and item.kind not in (InputKind.ENVIRONMENT, InputKind.NOTEBOOK)
    )


def _is_compile_pair(manifest: str, lock: str) -> bool:
    """Whether `lock` is the pip-compile output of `manifest` (``x.in`` -> ``x.txt``)."""
    stem, ext = posixpath.splitext(manifest)
    return ext == ".in" and lock == stem + ".txt"


def _is_pseudo_lock(item: ParsedInput, compiled: Compiled | None = None) -> bool:
    if item.kind is not InputKind.REQUIREMENTS:
        return False
    if compiled is not None and compiled.kind != "constraints":
        return True
    reqs = counted_requirements(item)
    return bool(reqs) and all(req.url is None and req.pinned is not None for req in reqs)


def _lock_view(
    root: Path, item: ParsedInput, *, pseudo: bool, compiled: Compiled | None = None
) -> LockView:
    versions: dict[str, list[str]] = {}
    markers: dict[tuple[str, str], tuple[str, ...]] = {}
    packages: dict[str, list[LockedPackage]] = {}
    lines: dict[str, int | None] = {}
    if pseudo:
        for req in counted_requirements(item):
            if req.pinned is not None:
                versions.setdefault(req.name, []).append(str(req.pinned))
                lines.setdefault(req.name, req.location.line)
    else:
        for pkg in item.packages:
            if pkg.is_root:
                packages.setdefault("", []).append(pkg)
                continue
            packages.setdefault(pkg.name, []).append(pkg)
            lines.setdefault(pkg.name, pkg.location.line)
            if pkg.version is not None and pkg.version not in versions.get(pkg.name, []):
                versions.setdefault(pkg.name, []).append(pkg.version)
            if pkg.version is not None:
                markers[(pkg.name, pkg.version)] = pkg.markers
    scope = scope_of(item.path)
    return LockView(
        path=item.path,
        kind=item.kind,
        scope=scope,
        pseudo=pseudo,
        versions={k: tuple(v) for k, v in versions.items()},
        packages={k: tuple(v) for k, v in packages.items()},
        lines=lines,
        markers=markers,
        environments=ALL if pseudo else lock_environments(root / item.path, str(item.kind)),
        members=frozenset() if pseudo else _members(root, scope, item.packages),
        compiled=compiled,
    )


def _members(root: Path, scope: str, packages: Iterable[LockedPackage]) -> frozenset[str]:
    """Return the project folders a lockfile at `scope` locks (see `project_locks`)."""
    found = {scope}
    for pkg in packages:
        url = pkg.source_url or ""
        if url and "://" not in url and not url.startswith(("git+", "hg+", "svn+", "bzr+")):
            url = url.replace("${PROJECT_ROOT}", ".").removeprefix("file:")
            found.add(posixpath.normpath(posixpath.join(scope, url)).removeprefix("./"))
    data = _read_toml(root / scope / "pyproject.toml") if scope else _read_toml(
        root / "pyproject.toml"
    )  # fmt: skip
    workspace = _dig(data, "tool", "uv", "workspace")
    if isinstance(workspace, dict):
        base = root / scope if scope else root
        excluded: set[Path] = set()
        for pattern in workspace.get("exclude") or []:
            if isinstance(pattern, str):
                excluded.update(base.glob(pattern))
        for pattern in workspace.get("members") or []:
            if not isinstance(pattern, str):
                continue
            for folder in base.glob(pattern):
                if folder not in excluded and (folder / "pyproject.toml").is_file():
                    rel = folder.relative_to(root).as_posix()
                    found.add("" if rel == "." else rel)
    found.discard(".")
    return frozenset(found)


def _read_toml(path: Path) -> dict[str, Any] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return _read_toml_cached(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=256)
def _read_toml_cached(path: Path, _mtime: int, _size: int) -> dict[str, Any] | None:
    try:
        return tomli.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomli.TOMLDecodeError, RecursionError):
        return None


def _dig(data: Any, *keys: str) -> Any:
    """``data[k1][k2]...`` through tables only; None where a level is missing or not a table."""
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _requires_python(root: Path, item: ParsedInput) -> str | None:
    """Return a pyproject's supported Pythons: ``requires-python`` or Poetry's ``python``."""
    data = _read_toml(root / item.path) or {}
    project = data.get("project")
    if isinstance(project, dict) and isinstance(project.get("requires-python"), str):
        return str(project["requires-python"])
    poetry = _dig(data, "tool", "poetry", "dependencies")
    if isinstance(poetry, dict) and isinstance(poetry.get("python"), str):
        from auditor.sources.poetry_constraint import UnsupportedConstraint, poetry_to_pep440

        try:
            return poetry_to_pep440(poetry["python"])
        except UnsupportedConstraint:
            return None
    return None


def _is_library_metadata(root: Path, item: ParsedInput) -> bool:
    if item.kind is InputKind.SETUP_PY:
        return True
    if item.kind is InputKind.SETUP_CFG:
        parser = read_setup_cfg(root / item.path)
        return parser is not None and (
            parser.has_section("options") or parser.has_section("metadata")
        )
    if item.kind is InputKind.PYPROJECT:
        data = _read_toml(root / item.path)
        return data is not None and pyproject_declares_package(data)
    return False


_LAYOUT = ("pin-layout",)


def build_layout(ctx: CheckContext) -> ProjectLayout:
    """Group the scan's inputs into manifests and locks, and classify scopes.

    Several checks ask for it; it is built once per `CheckContext` (by identity: a changed
    copy of the context gets its own) and shared, so callers must not change it.
    """
    cached = ctx.graph.memo.get(_LAYOUT)
    if cached is not None and cached[0] is ctx:
        layout: ProjectLayout = cached[1]
        return layout
    layout = _build_layout(ctx)
    ctx.graph.memo[_LAYOUT] = (ctx, layout)
    return layout


def _build_layout(ctx: CheckContext) -> ProjectLayout:
    policy = PinPolicy.from_mapping(ctx.config.policy_section(POLICY))
    layout = ProjectLayout(policy=policy)
    library_inputs: set[str] = set()
    requires_python: dict[str, str] = {}
    layout.compiled = compiled_files(
        ctx.root, ctx.inputs, frozen_min_requirements=policy.frozen_min_requirements
    )
    for item in ctx.inputs:
        if item.status is not InputStatus.OK or item.kind is InputKind.ENVIRONMENT:
            continue
        if item.kind.is_lockfile:
            layout.locks.append(_lock_view(ctx.root, item, pseudo=False))
            continue
        layout.manifests.append(item)
        compiled = layout.compiled.get(item.path)
        if _is_pseudo_lock(item, compiled):
            layout.locks.append(_lock_view(ctx.root, item, pseudo=True, compiled=compiled))
        if _is_library_metadata(ctx.root, item):
            library_inputs.add(item.path)
        if item.kind is InputKind.PYPROJECT:
            requires = _requires_python(ctx.root, item)
            if requires is not None:
                requires_python[item.path] = requires
    layout.requires_python = requires_python
    layout.library_inputs = frozenset(library_inputs)
    feeds = _metadata_feeds(ctx.inputs, library_inputs)
    layout.library_scopes = frozenset(scope_of(p) for p in library_inputs)
    published = {
        scope_of(item.path)
        for item in ctx.inputs
        if item.path in library_inputs
        and publishes(ctx.root, item, _read_toml(ctx.root / item.path))
    }
    layout.marker_scopes = frozenset(
        _marker_scopes(ctx.root, layout.library_scopes - published, policy)
    )
    mirrors, layout.tooling_inputs = library_side_files(
        ctx.inputs,
        library_inputs=frozenset(library_inputs),
        application_scopes=layout.marker_scopes,
        metadata_feeds=feeds,
        compiled=layout.compiled,
    )
    layout.metadata_feeds = {**mirrors, **feeds}
    return layout


def _metadata_feeds(inputs: Iterable[ParsedInput], library_inputs: set[str]) -> dict[str, str]:
    """Map each requirements file that library metadata reads to that metadata's path.

    Files reached only through a ``-r`` include are kept too: the lines written in them are the
    library's declarations whichever file includes them.
    """
    feeds: dict[str, str] = {}
    for item in sorted(inputs, key=lambda i: i.path):
        if item.path in library_inputs:
            for path in item.metadata_files:
                feeds.setdefault(path, item.path)
    return feeds


def _marker_scopes(root: Path, scopes: Iterable[str], policy: PinPolicy) -> set[str]:
    found = set()
    for scope in scopes:
        folder = root / scope if scope else root
        if any((folder / marker).exists() for marker in policy.application_markers):
            found.add(scope)
    return found


__all__ = [
    "POLICY",
    "LockView",
    "PinPolicy",
    "ProjectLayout",
    "build_layout",
    "counted_requirements",
    "is_manifest",
    "is_self_reference",
    "scope_covers",
    "scope_of",
]
