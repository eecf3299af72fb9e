"""Known replacements: distributions the standard library replaces (rules/policy/replacements.yaml).

These need no slicing and no LLM: the catalogue says what replaces the package, from which Python
on, whether the swap is exact, and (where it is a mechanical import rewrite) which modules map to
which. `applicable` decides, for the symbols a project uses and its oldest supported Python,
whether the replacement fits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from auditor.config import rules_dir
from auditor.errors import ConfigError
from auditor.model import normalize_name
from auditor.yamlio import load_listing

PythonVersion = tuple[int, int]


@dataclass(frozen=True, slots=True, kw_only=True)
class NameMove:
    """One name that moved into another module in a given Python release."""

    module: str
    min_python: PythonVersion


@dataclass(frozen=True, slots=True, kw_only=True)
class KnownReplacement:
    """One catalogue entry (see the file's header for the fields)."""

    package: str
    display_name: str
    replacement: str
    min_python: PythonVersion
    exact: bool
    note: str = ""
    modules: Mapping[str, str] = field(default_factory=dict)
    names: Mapping[str, NameMove] = field(default_factory=dict)
    references: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Applicability:
    """Whether a known replacement fits a project's use, and what it would rewrite.

    `rewrites` maps an imported module or a fully qualified name to its new home; `left` lists
    the used names that must stay (newer than the project's Python, or not in the catalogue).
    """

    entry: KnownReplacement
    fits: bool
    exact: bool
    reason: str
    rewrites: Mapping[str, str] = field(default_factory=dict)
    left: tuple[str, ...] = ()


def parse_python(text: str, where: str) -> PythonVersion:
    """Parse ``"3.11"`` into ``(3, 11)``."""
    parts = str(text).strip().split(".")
    try:
        major, minor = int(parts[0]), int(parts[1]) if len(parts) > 1 else 0
    except ValueError:
        raise ConfigError(f"{where}: expected a Python version like 3.11") from None
    return (major, minor)


def show_python(version: PythonVersion) -> str:
    """Format ``(3, 11)`` as ``3.11``."""
    return f"{version[0]}.{version[1]}"


def project_python(root: Path) -> tuple[PythonVersion, str]:
    """The oldest Python the project supports, and where that came from.

    Read from ``requires-python`` in the root pyproject.toml; without one, the running
    interpreter's version (said so in the second value).
    """
    import sys

    import tomli
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    path = root / "pyproject.toml"
    try:
        data = tomli.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomli.TOMLDecodeError, RecursionError):
        data = {}
    project = data.get("project")
    spec_text = project.get("requires-python") if isinstance(project, dict) else None
    if isinstance(spec_text, str):
        try:
            spec = SpecifierSet(spec_text)
        except InvalidSpecifier:
            spec = None
        if spec is not None:
            for minor in range(0, 30):
                if spec.contains(f"3.{minor}", prereleases=True) or spec.contains(
                    f"3.{minor}.99", prereleases=True
                ):
                    return (3, minor), f"pyproject.toml requires-python {spec_text}"
    here = (sys.version_info.major, sys.version_info.minor)
    return here, f"no requires-python: assumed the running Python {show_python(here)}"


def load_catalogue(path: Path | None = None) -> Mapping[str, KnownReplacement]:
    """Read the catalogue into ``{normalized name: entry}``.

    Raises:
        ConfigError: naming the file and the entry that is malformed.
    """
    path = path or rules_dir() / "policy" / "replacements.yaml"
    entries = load_listing(path, "replacements")
    found: dict[str, KnownReplacement] = {}
    for index, entry in enumerate(entries):
        item = _entry(entry, f"{path}: /replacements/{index}")
        if item.package in found:
            raise ConfigError(f"{path}: /replacements/{index}: {item.display_name} listed twice")
        found[item.package] = item
    return found


def _entry(entry: object, where: str) -> KnownReplacement:
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: expected a mapping")
    for key in ("package", "replacement"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise ConfigError(f"{where}/{key}: expected text")
    if not isinstance(entry.get("exact"), bool):
        raise ConfigError(f"{where}/exact: expected true or false")
    modules = entry.get("modules") or {}
    if not isinstance(modules, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in modules.items()
    ):
        raise ConfigError(f"{where}/modules: expected a mapping of module names")
    names: dict[str, NameMove] = {}
    raw_names = entry.get("names") or {}
    if not isinstance(raw_names, dict):
        raise ConfigError(f"{where}/names: expected a mapping")
    for name, move in raw_names.items():
        if not isinstance(move, dict) or not isinstance(move.get("module"), str):
            raise ConfigError(f"{where}/names/{name}: expected {{module, min_python}}")
        names[str(name)] = NameMove(
            module=move["module"],
            min_python=parse_python(move.get("min_python", "3.0"), f"{where}/names/{name}"),
        )
    references = entry.get("references") or []
    if not isinstance(references, list) or not all(isinstance(r, str) for r in references):
        raise ConfigError(f"{where}/references: expected a list of links")
    return KnownReplacement(
        package=normalize_name(entry["package"]),
        display_name=entry["package"].strip(),
        replacement=entry["replacement"].strip(),
        min_python=parse_python(entry.get("min_python", "3.0"), f"{where}/min_python"),
        exact=entry["exact"],
        note=" ".join(str(entry.get("note") or "").split()),
        modules=dict(modules),
        names=names,
        references=tuple(references),
    )


def applicable(
    entry: KnownReplacement, symbols: Iterable[str], python: PythonVersion
) -> Applicability:
    """Decide whether `entry` fits a project that uses `symbols` and supports `python` and up."""
    used = sorted(set(symbols))
    if python < entry.min_python:
        return Applicability(
            entry=entry,
            fits=False,
            exact=False,
            reason=f"needs Python {show_python(entry.min_python)}; the project supports "
            f"{show_python(python)}",
        )
    if not entry.names:
        return Applicability(
            entry=entry,
            fits=True,
            exact=entry.exact,
            reason=f"{entry.replacement} (Python {show_python(entry.min_python)}+)",
            rewrites=dict(entry.modules),
        )
    rewrites: dict[str, str] = {}
    left: list[str] = []
    for symbol in used:
        name = symbol.rpartition(".")[2]
        move = entry.names.get(name)
        if move is not None and python >= move.min_python:
            rewrites[symbol] = f"{move.module}.{name}"
        else:
            left.append(symbol)
    fits = bool(rewrites) and not left
    if fits:
        reason = f"every used name is in {entry.replacement} on Python {show_python(python)}"
    elif rewrites:
        reason = (
            f"{len(rewrites)} of {len(used)} used names are in {entry.replacement} on Python "
            f"{show_python(python)}; still needed: {', '.join(left)}"
        )
    else:
        reason = f"no used name is in {entry.replacement} on Python {show_python(python)}"
    return Applicability(
        entry=entry,
        fits=fits,
        exact=entry.exact and fits,
        reason=reason,
        rewrites=rewrites,
        left=tuple(left),
    )


__all__ = [
    "Applicability",
    "KnownReplacement",
    "NameMove",
    "PythonVersion",
    "applicable",
    "load_catalogue",
    "parse_python",
    "project_python",
    "show_python",
]
