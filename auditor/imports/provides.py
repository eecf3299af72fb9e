"""What the project's declared and locked distributions provide: module lists and build needs.

`known_provides` gathers, for the distributions the project declares or locks, the module
lists the mapping's strongest sources know: the installed environment's metadata first, then
the wheel metadata of the locked (or newest) version read from the index. It runs only when a
question is open -- an import no declared name explains, or a declared name no import matched
-- and reads only the wheels that question depends on. The build settings are read here too:
the build requirements (what a setup.py may import) and the version modules a build backend
writes (first-party modules missing from a checkout).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tomli

from auditor.graph import query
from auditor.imports.mapping import cached_installed_modules
from auditor.model import normalize_name

if TYPE_CHECKING:
    from auditor.context import RunContext
    from auditor.imports.wheelmeta import WheelModules
    from auditor.scanning import Scan

_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
# The source layout folders (as in auditor.imports.usage): ``src/pkg/_version.py`` is ``pkg``'s.
_LAYOUT_DIRS = ("src", "lib", "python")


def build_requirements(
    root: Path, python_files: Iterable[str], pyprojects: Iterable[str]
) -> set[str]:
    """Return the build requirements (PEP 503 names) of the project's pyproject.toml files.

    A setup.py with no ``[build-system]`` table builds with setuptools and wheel (PEP 517's
    fallback), so those two count then.
    """
    names: set[str] = set()
    seen_table = False
    for manifest in pyprojects:
        try:
            data = tomli.loads((root / manifest).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomli.TOMLDecodeError, RecursionError):
            continue
        table = data.get("build-system")
        if not isinstance(table, dict):
            continue
        seen_table = True
        requires = table.get("requires")
        for text in requires if isinstance(requires, list) else ():
            if match := _NAME.match(str(text)):
                names.add(normalize_name(match.group(1)))
    if not seen_table and any(f.rpartition("/")[2] == "setup.py" for f in python_files):
        names.update({"setuptools", "wheel"})
    return names


# Settings of the common build backends that write a version module at build time: the module
# is missing from a checkout (it is git-ignored) yet the project imports it.
_VERSION_FILE_KEYS = (
    ("tool", "hatch", "build", "hooks", "vcs", "version-file"),
    ("tool", "setuptools_scm", "write_to"),
    ("tool", "setuptools_scm", "version_file"),
    ("tool", "setuptools-scm", "write_to"),
    ("tool", "setuptools-scm", "version_file"),
    ("tool", "pdm", "build", "write_to"),
    ("tool", "pdm", "version", "write_to"),
    ("tool", "poetry-dynamic-versioning", "files"),
)


def generated_module_names(root: Path, manifests: Iterable[str] = ("pyproject.toml",)) -> set[str]:
    """Return the top-level modules a build backend writes (``_black_version`` ...).

    Reads hatch-vcs's ``version-file``, setuptools-scm's ``write_to``/``version_file`` and
    pdm-backend's ``write_to`` from each pyproject.toml named (repository-relative).
    """
    names: set[str] = set()
    for manifest in manifests:
        try:
            data = tomli.loads((root / manifest).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomli.TOMLDecodeError, RecursionError):
            continue
        for keys in _VERSION_FILE_KEYS:
            value: Any = data
            for key in keys:
                value = value.get(key) if isinstance(value, dict) else None
            targets = value if isinstance(value, list) else [value]
            for target in targets:
                if not isinstance(target, str) or not target.endswith(".py"):
                    continue
                parts = target.replace("\\", "/").strip("/").split("/")
                if parts[0] in _LAYOUT_DIRS and len(parts) > 1:
                    parts = parts[1:]
                names.add(parts[0].removesuffix(".py"))
    names.discard("")
    return names


def declared_names(scan: Scan) -> set[str]:
    """Return the names the project declares itself (any group; not constraints)."""
    names: set[str] = {r.name for i in scan.inputs for r in i.requirements if not r.constraint}
    names.update(node.name for node in query.direct_packages(scan.graph))
    return names


def _versions(scan: Scan) -> dict[str, str | None]:
    """Return each index-installed package's single locked or pinned version (None: unknown)."""
    from auditor.index.targets import off_index_names

    skip = off_index_names(scan.inputs, scan.graph)
    return {n.name: n.version for n in query.packages(scan.graph) if n.name not in skip}


def wheel_targets(
    versions: Mapping[str, str | None],
    unknown: Iterable[str],
    *,
    unresolved: bool,
    unmatched: set[str],
    limit: int,
) -> dict[str, str | None]:
    """Choose the distributions whose wheels to read: those an open question depends on.

    An unresolved import may come from any declared or locked distribution whose module list
    is `unknown`; a declared distribution no import matched (`unmatched`) may be imported
    under another name. Declared names come first when `limit` cuts the list.
    """
    pool = [n for n in sorted(set(unknown)) if n in versions]
    wanted = pool if unresolved else [n for n in pool if n in unmatched]
    wanted.sort(key=lambda n: (n not in unmatched, n))
    return {name: versions[name] for name in wanted[: max(0, limit)]}


def _read_wheels(
    context: RunContext, wanted: dict[str, str | None], policy: Mapping[str, Any]
) -> WheelModules:
    from auditor.imports.wheelmeta import WheelModules, WheelReader, read_wheel_modules

    if not wanted:
        return WheelModules()
    config = context.config
    reader = WheelReader(
        open_session=lambda: context.session,
        index_url=config.index_url,
        max_bytes=int(policy.get("wheel_metadata_max_bytes", 8_000_000)),
    )
    context.progress.start("wheel metadata", len(wanted))
    try:
        return read_wheel_modules(
            wanted,
            reader=reader,
            cache=context.cache,
            offline=config.offline,
            max_workers=config.max_workers,
        )
    finally:
        context.progress.finish("wheel metadata")


def known_provides(
    scan: Scan,
    context: RunContext,
    known: set[str],
    *,
    unresolved: bool,
    unmatched: set[str],
) -> tuple[dict[str, tuple[Iterable[str], str]], WheelModules | None]:
    """Return the known distributions' module lists (with their source) and the wheel read.

    Nothing is read when no question is open (`unresolved` is false and `unmatched` empty).
    """
    if not unresolved and not unmatched:
        return {}, None
    policy = context.config.policy_section("imports")
    installed = cached_installed_modules(context.cache, known)
    provides: dict[str, tuple[Iterable[str], str]] = {
        d: (installed[d], "environment") for d in known if d in installed
    }
    if not policy.get("wheel_metadata", True):
        return provides, None
    wanted = wheel_targets(
        _versions(scan),
        known - set(provides),
        unresolved=unresolved,
        unmatched=unmatched,
        limit=int(policy.get("wheel_metadata_max_packages", 400)),
    )
    wheels = _read_wheels(context, wanted, policy)
    provides.update({d: (m, "wheel-metadata") for d, m in wheels.modules.items()})
    return provides, wheels


__all__ = [
    "build_requirements",
    "declared_names",
    "generated_module_names",
    "known_provides",
    "wheel_targets",
]
