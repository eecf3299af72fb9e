"""Modules that frameworks and packaging load by name, from strings rather than import statements.

Such a module is used though no ``import`` names it, so the distribution providing it is not
unused (AUD502). These sites only ever count as use: a string that merely looks like a dotted
name (``"example.com"``) must never become a missing dependency, so they do not feed AUD501,
AUD503 or AUD504.

* Settings files (``settings.py``, ``settings/*.py``, ``*_settings.py``, Sphinx's ``conf.py``,
  ``conftest.py``, ``gunicorn.conf.py``, ``celeryconfig.py``, or any file assigning
  ``INSTALLED_APPS``): the string values of module-level assignments to upper-case names and to
  ``extensions``, ``pytest_plugins`` and ``html_theme``, nested in lists, tuples, sets and
  dicts (keys too). Dotted strings count anywhere (``"corsheaders.middleware.CorsMiddleware"``,
  ``"storages.backends.s3boto3.S3Boto3Storage"``); a bare name only as an item of a list,
  tuple or set (``INSTALLED_APPS = ["rest_framework"]``, ``extensions = ["myst_parser"]``) or
  as ``html_theme``. Only the top-level of a dotted path counts: ``"django.db.backends.x"``
  uses ``django``, nothing more.
* Entry points: ``[project.scripts]``, ``[project.gui-scripts]``,
  ``[project.entry-points.*]``, ``[tool.poetry.scripts]`` and ``[tool.poetry.plugins.*]`` in
  pyproject.toml, and ``[options.entry_points]`` in setup.cfg (``name = module.path:attr``).

Literal ``importlib.import_module("x")`` and ``__import__("x")`` calls are found by the import
scanner itself (flagged ``dynamic``).
"""

from __future__ import annotations

import ast
import configparser
import contextlib
import fnmatch
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import tomli

from auditor.imports.scanner import ImportSite

_SETTINGS_FILES = ("settings.py", "settings_*.py", "*_settings.py", "conf.py", "conftest.py",
                   "gunicorn.conf.py", "gunicorn_conf.py", "celeryconfig.py")  # fmt: skip
_MARKERS = (b"INSTALLED_APPS", b"MIDDLEWARE")
_NAMED = frozenset({"extensions", "pytest_plugins", "html_theme"})
_DOTTED = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+$")
_ENTRY_POINT = re.compile(r"^\s*(?:[^=]+=)?\s*([A-Za-z_][\w.]*)\s*(?::[\w.]+)?\s*(?:\[.*\])?\s*$")
_MAX_BYTES = 1_000_000


# The names above as one regex: this test runs once per Python file of the repository.
_SETTINGS_NAME = re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in _SETTINGS_FILES))


def _is_settings_file(relpath: str) -> bool:
    folder, _, name = relpath.rpartition("/")
    if folder.rpartition("/")[2] == "settings":
        return True
    return _SETTINGS_NAME.match(name) is not None


def _target_names(node: ast.stmt) -> list[str]:
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        targets = [node.target]
    else:
        return []
    return [t.id for t in targets if isinstance(t, ast.Name)]


def _strings(node: ast.AST, *, in_sequence: bool) -> Iterator[tuple[str, int, bool]]:
    """Yield (string, line, whether it is a direct item of a list/tuple/set) in a value."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value, node.lineno, in_sequence
    elif isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        for item in node.elts:
            yield from _strings(item, in_sequence=True)
    elif isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values, strict=True):
            if key is not None:
                yield from _strings(key, in_sequence=False)
            yield from _strings(value, in_sequence=False)
    elif isinstance(node, ast.BinOp):
        yield from _strings(node.left, in_sequence=in_sequence)
        yield from _strings(node.right, in_sequence=in_sequence)
    elif isinstance(node, ast.Call):  # dict(...), [*x, ...] wrapped in list(...)
        for arg in [*node.args, *(k.value for k in node.keywords)]:
            yield from _strings(arg, in_sequence=in_sequence)


def settings_modules(relpath: str, data: bytes) -> list[ImportSite]:
    """Return the modules a settings file names in strings (see the module docstring)."""
    if len(data) > _MAX_BYTES:
        return []
    if not _is_settings_file(relpath) and not any(m in data for m in _MARKERS):
        return []
    try:
        tree = ast.parse(data)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    sites: list[ImportSite] = []
    with contextlib.suppress(RecursionError):  # nested deeper than we walk: keep what was found
        _settings_sites(tree, relpath, sites)
    return sites


def _settings_sites(tree: ast.Module, relpath: str, sites: list[ImportSite]) -> None:
    for node in tree.body:
        names = _target_names(node)
        value = getattr(node, "value", None)
        if value is None or not any(n.isupper() or n in _NAMED for n in names):
            continue
        bare_ok = "html_theme" in names
        for text, line, in_sequence in _strings(value, in_sequence=False):
            text = text.strip()
            if _DOTTED.match(text) or (
                text.isidentifier() and (in_sequence or bare_ok) and not text.isupper()
            ):
                sites.append(_site(text, relpath, line))


def _site(module: str, path: str, line: int) -> ImportSite:
    return ImportSite(module=module, top=module.partition(".")[0], path=path, line=line,
                      dynamic=True)  # fmt: skip


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    """Return ``data[key]`` when it is a table, else an empty one (hand-written TOML lies)."""
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _entry_point_targets(values: Iterable[Any]) -> Iterator[str]:
    for value in values:
        if isinstance(value, dict):  # poetry's {reference = "...", type = "console"}
            value = value.get("reference") or value.get("callable") or ""
        for line in str(value).splitlines():
            match = _ENTRY_POINT.match(line)
            if match and line.strip():
                yield match.group(1)


def _line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    return 1


def entry_point_modules(root: Path, manifests: Iterable[str]) -> list[ImportSite]:
    """Return the modules named by entry points in pyproject.toml and setup.cfg files."""
    sites: list[ImportSite] = []
    for relpath in manifests:
        try:
            text = (root / relpath).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        targets: list[str] = []
        if relpath.endswith("pyproject.toml"):
            try:
                data = tomli.loads(text)
            except (tomli.TOMLDecodeError, RecursionError):
                continue
            project = _table(data, "project")
            poetry = _table(_table(data, "tool"), "poetry")
            tables = [project.get("scripts"), project.get("gui-scripts"), poetry.get("scripts")]
            tables += list(_table(project, "entry-points").values())
            tables += list(_table(poetry, "plugins").values())
            for table in tables:
                if isinstance(table, dict):
                    targets.extend(_entry_point_targets(table.values()))
        else:
            parser = configparser.ConfigParser(interpolation=None)
            try:
                parser.read_string(text)
            except configparser.Error:
                continue
            if parser.has_section("options.entry_points"):
                values = [v for _k, v in parser.items("options.entry_points")]
                targets.extend(_entry_point_targets(values))
        sites.extend(_site(t, relpath, _line_of(text, t)) for t in dict.fromkeys(targets))
    return sites


def loaded_modules(
    root: Path, python_files: Iterable[str], manifests: Iterable[str]
) -> list[ImportSite]:
    """Return every module loaded by name: settings strings and entry points.

    Files with a settings-like name are read; other files whose path mentions ``conf`` or
    ``setting`` are read only when they assign ``INSTALLED_APPS`` or ``MIDDLEWARE``.
    """
    sites = entry_point_modules(root, manifests)
    for relpath in python_files:
        lowered = relpath.lower()
        if not _is_settings_file(relpath) and "conf" not in lowered and "setting" not in lowered:
            continue
        try:
            data = (root / relpath).read_bytes()
        except OSError:
            continue
        sites.extend(settings_modules(relpath, data))
    return sites


__all__ = ["entry_point_modules", "loaded_modules", "settings_modules"]
