"""Map imported modules to the distributions that provide them, saying how each was found.

Sources, in order (each result's `source` names the one that decided it):

* ``environment``: installed metadata (RECORD, top_level.txt). With ``--environment`` the
  audited environment is the project's and decides outright. Otherwise the interpreter running
  Auditor is someone else's: its module lists count only for distributions the project
  declares or locks, and, for an import nothing declared provides, as a known provider to name.
* ``wheel-metadata``: the module list of a declared or locked distribution's wheel, read from
  the index (`auditor.imports.wheelmeta`).
* ``import-map``: the curated ``rules/import-map.yaml`` (``yaml`` -> PyYAML, ``cv2`` ->
  opencv-python and its variants ...), plus ``[tool.auditor.policy.imports] import_map``.
* ``name-match``: a declared or locked distribution whose module list is unknown and whose
  name is a usual spelling of the module (`auditor.imports.names`: ``django-environ`` ->
  ``environ``, ``argon2-cffi`` -> ``argon2``).
* ``heuristic``: nothing knows the module; the module's own name, normalised. Such a name is
  a guess, never advice: a project of that name on the index may be unrelated.

For each source the dotted prefixes of the import are tried deepest first
(``google.cloud.storage``, ``google.cloud``, ``google``); deeper prefixes only count when they
hit a known name, so ``from flask import json`` does not invent a dependency on some
``flask-json``. A module may map to several distributions (``cv2``, ``google``); any one of
them declared satisfies the import.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import yaml

from auditor.config import rules_dir
from auditor.imports.names import provides_by_name
from auditor.model import normalize_name
from auditor.yamlio import safe_load

if TYPE_CHECKING:
    from importlib.metadata import Distribution

log = logging.getLogger(__name__)

SOURCES = ("environment", "wheel-metadata", "import-map", "name-match", "heuristic")
# Sources that know a distribution provides the module (a fix may name what they found).
KNOWING_SOURCES = frozenset({"environment", "wheel-metadata", "import-map"})


@dataclass(frozen=True, slots=True, kw_only=True)
class ModuleMapping:
    """The distributions (PEP 503 names) that may provide `module`, and how that was found.

    `matched` is the dotted prefix (or symbol path) of the import that decided the result.
    """

    module: str
    distributions: tuple[str, ...]
    source: str
    matched: str

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form (used in the ``imports`` report section)."""
        return {
            "module": self.module,
            "distributions": list(self.distributions),
            "source": self.source,
            "matched": self.matched,
        }


def _as_names(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (normalize_name(value),)
    if isinstance(value, list):
        return tuple(normalize_name(str(v)) for v in value if str(v).strip())
    return ()


def load_import_map(path: Path | None = None) -> dict[str, tuple[str, ...]]:
    """Read ``rules/import-map.yaml`` (yaml.safe_load) into ``{import path: distributions}``."""
    path = path or rules_dir() / "import-map.yaml"
    try:
        data = safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        log.warning("%s: import map not loaded: %s", path, exc)
        return {}
    raw = data.get("map", {}) if isinstance(data, dict) else {}
    return {str(k): names for k, v in raw.items() if (names := _as_names(v))}


@cache
def _default_import_map() -> dict[str, tuple[str, ...]]:
    return load_import_map()


def name_variants(module: str) -> tuple[str, ...]:
    """Return the distribution names a module (or dotted prefix) is commonly published under."""
    base = normalize_name(module)
    variants = [base, f"python-{base}", f"{base}-python", f"py{base}", f"{base}-py"]
    if base.startswith("py") and len(base) > 3:
        variants.append(base[2:])
    return tuple(dict.fromkeys(variants))


def _prefixes(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:n]) for n in range(len(parts), 0, -1)]


def environment_distributions() -> dict[str, tuple[str, ...]]:
    """Return the running interpreter's top-level module -> distributions (normalised)."""
    from importlib.metadata import packages_distributions

    return {
        top: tuple(dict.fromkeys(normalize_name(d) for d in dists))
        for top, dists in packages_distributions().items()
    }


def _member_names(dist: Distribution) -> list[str]:
    """The paths a distribution installed, as RECORD lists them (its first column).

    Read straight from RECORD's text: `Distribution.files` builds a path object per line,
    which made reading a fresh environment's 50,000 files most of a cold scan. Without a
    RECORD (egg-info installs), `files` reads whatever the distribution has instead.
    """
    record = dist.read_text("RECORD")
    if record is None:
        return [str(f) for f in dist.files or ()]
    return [row[0] for row in csv.reader(record.splitlines()) if row]


def installed_modules(names: Iterable[str] | None = None) -> dict[str, tuple[str, ...]]:
    """Return installed distributions' module paths (all, or those of `names`), as a wheel's.

    RECORD (``files``) gives them like a wheel's member list (namespace packages resolve to
    their dotted path); an editable install with no module files falls back to top_level.txt.
    """
    from importlib.metadata import distributions

    from auditor.imports.wheelmeta import modules_from_members

    if names is None:
        found_dists = list(distributions())
    else:
        found_dists = [d for n in sorted(set(names)) for d in distributions(name=n)]
    table: dict[str, set[str]] = {}
    for dist in found_dists:
        try:
            name = normalize_name(dist.metadata["Name"] or "")
            files = _member_names(dist)
            found = {m for m in modules_from_members(files) if not m.startswith("__editable__")}
            if not found:
                top = dist.read_text("top_level.txt") or ""
                found = {t.strip() for t in top.splitlines() if t.strip().isidentifier()}
        except (OSError, ValueError, KeyError):
            continue
        if name and found:
            table.setdefault(name, set()).update(found)
    return {name: tuple(sorted(mods)) for name, mods in table.items()}


def importable(top: str) -> bool:
    """Whether a top-level module is found on this interpreter's path (found, never imported).

    ``importlib.util.find_spec`` on a top-level name only looks (no module code runs); a name
    that is not an identifier cannot be one.
    """
    if not top.isidentifier():
        return False
    if top in sys.modules:
        return True
    from importlib.util import find_spec

    try:
        return find_spec(top) is not None
    except (ImportError, ValueError):
        return False


def environment_fingerprint() -> str:
    """Return a key that changes whenever a package is installed into or removed from sys.path.

    Installing or removing a distribution changes the mtime of its site-packages folder. The
    working folder (``python -m`` puts it first on the path) is left out: writing a report
    into it changes its mtime, and a distribution is not installed there.
    """
    parts = [sys.executable]
    here = str(Path.cwd())
    for entry in sys.path:
        if entry in ("", ".", here):
            continue
        try:
            parts.append(f"{entry}:{Path(entry or '.').stat().st_mtime_ns}")
        except OSError:
            continue
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def cached_environment_distributions(cache: CacheLike) -> dict[str, tuple[str, ...]]:
    """Return `environment_distributions()`, kept in the cache per environment fingerprint."""
    return _cached(cache, "env-dists:v1", environment_distributions)


def cached_installed_modules(cache: CacheLike, names: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Return `installed_modules(names)`, each kept in the cache per environment fingerprint."""
    fingerprint = environment_fingerprint()
    keys = {name: f"{fingerprint} {name}" for name in sorted({normalize_name(n) for n in names})}
    stored = cache.get_many("env-modules:v1", list(keys.values()))
    table: dict[str, tuple[str, ...]] = {}
    todo: list[str] = []
    for name, key in keys.items():
        value = stored.get(key)
        if isinstance(value, list):
            if value:
                table[name] = tuple(value)
        else:
            todo.append(name)
    if todo:
        found = installed_modules(todo)
        items = {keys[name]: list(found.get(name, ())) for name in todo}
        cache.set_many("env-modules:v1", items, ttl=7 * 86400)
        table.update(found)
    return table


def _cached(
    cache: CacheLike, namespace: str, compute: Callable[[], dict[str, tuple[str, ...]]]
) -> dict[str, tuple[str, ...]]:
    key = environment_fingerprint()
    stored = cache.get(namespace, key)
    if isinstance(stored, dict):
        return {k: tuple(v) for k, v in stored.items()}
    table = compute()
    cache.set(namespace, key, {k: list(v) for k, v in table.items()}, ttl=7 * 86400)
    return table


class CacheLike(Protocol):
    """The part of auditor.cache.Cache the environment tables need."""

    def get(self, namespace: str, key: str, *, max_age: float | None = None) -> Any | None:
        """Return a stored value or None."""
        ...

    def set(self, namespace: str, key: str, value: Any, *, ttl: float | None = None) -> None:
        """Store a value."""
        ...

    def get_many(self, namespace: str, keys: list[str]) -> dict[str, Any]:
        """Return the live values of several keys (missing ones left out)."""
        ...

    def set_many(self, namespace: str, items: dict[str, Any], *, ttl: float | None = None) -> None:
        """Store several values in one transaction."""
        ...


class DistributionMapper:
    """Resolves imported modules to distributions; results are memoised per import path.

    Args:
        known: names the project declares or locks (PEP 503 normalised).
        import_map: the curated map (default: rules/import-map.yaml).
        extra_map: policy additions, merged over the curated map.
        environment: a callable returning the environment's top-level module -> distributions
            table, or None to never look at an environment.
        environment_is_project: whether that environment is the audited project's own.
        provides: known distribution -> (its module paths, the source that listed them:
            ``environment`` or ``wheel-metadata``). A distribution listed here is matched by its
            list only, never by name similarity.
        installed: when the environment is not the project's, a cheap test of whether a
            top-level module can be installed there at all (`importable`): the environment
            table, slow to build the first time, is not read for a module that is not.
    """

    def __init__(
        self,
        *,
        known: Iterable[str] = (),
        import_map: Mapping[str, tuple[str, ...]] | None = None,
        extra_map: Mapping[str, Any] | None = None,
        environment: Callable[[], Mapping[str, tuple[str, ...]]] | None = None,
        environment_is_project: bool = False,
        provides: Mapping[str, tuple[Iterable[str], str]] | None = None,
        installed: Callable[[str], bool] | None = None,
    ) -> None:
        self.known = frozenset(normalize_name(n) for n in known)
        self._installed = installed
        table = dict(_default_import_map() if import_map is None else import_map)
        for key, value in (extra_map or {}).items():
            if names := _as_names(value):
                table[str(key)] = names
        self.import_map = table
        self._environment_loader = environment
        self._environment: Mapping[str, tuple[str, ...]] | None = None
        self.environment_is_project = environment_is_project
        self._by_module: dict[str, list[tuple[str, str]]] = {}
        listed: set[str] = set()
        for dist, (modules, source) in sorted((provides or {}).items()):
            name = normalize_name(dist)
            if name not in self.known:
                continue
            listed.add(name)
            for module in modules:
                self._by_module.setdefault(module, []).append((name, source))
        self.unlisted = tuple(sorted(self.known - listed))
        self._memo: dict[tuple[str, tuple[str, ...]], ModuleMapping] = {}
        self._given: dict[tuple[str, tuple[str, ...]], ModuleMapping] = {}

    def _env(self) -> Mapping[str, tuple[str, ...]]:
        if self._environment is None:
            self._environment = self._environment_loader() if self._environment_loader else {}
        return self._environment

    def resolve(self, module: str, symbols: Iterable[str] = ()) -> ModuleMapping:
        """Return the distributions that may provide `module` (dotted, not relative).

        `symbols` (fully qualified names used from the module, such as
        ``google.cloud.storage`` for ``from google.cloud import storage``) let namespace
        packages resolve to the precise distribution.
        """
        symbols = tuple(symbols)
        # Sites repeat the same (module, symbols) tens of thousands of times in a large tree.
        if (found := self._given.get((module, symbols))) is not None:
            return found
        deeper = tuple(sorted({s for s in symbols if s.count(".") <= module.count(".") + 1}))
        key = (module, deeper)
        if key not in self._memo:
            self._memo[key] = self._resolve(module, deeper)
        self._given[module, symbols] = self._memo[key]
        return self._memo[key]

    def _resolve(self, module: str, symbols: tuple[str, ...]) -> ModuleMapping:
        candidates = sorted({*symbols, *_prefixes(module)}, key=lambda p: -p.count("."))
        top = module.partition(".")[0]
        # 1. the project's own environment decides outright.
        if self.environment_is_project and top in (env := self._env()):
            return self._result(module, env[top], "environment", top)
        # 2. declared or locked distributions whose module lists are known.
        for prefix in candidates:
            if hits := self._by_module.get(prefix):
                return self._result(module, [d for d, _ in hits], hits[0][1], prefix)
        # 3. the curated map, among declared or locked names.
        for prefix in candidates:
            if mapped := [d for d in self.import_map.get(prefix, ()) if d in self.known]:
                return self._result(module, mapped, "import-map", prefix)
        # 4. declared or locked names that are a usual spelling of the module.
        for prefix in candidates:
            if named := [d for d in self.unlisted if provides_by_name(d, prefix)]:
                return self._result(module, named, "name-match", prefix)
        # 5. nothing declared provides it: what is known to (an installed distribution, the
        # curated map), so a fix can name it.
        if (
            not self.environment_is_project
            and (self._installed is None or self._installed(top))
            and len(found := self._env().get(top, ())) == 1
        ):
            return self._result(module, found, "environment", top)
        for prefix in candidates:
            if prefix in self.import_map:
                return self._result(module, self.import_map[prefix], "import-map", prefix)
        # 6. the module's own name: a guess.
        return self._result(module, (normalize_name(top),), "heuristic", top)

    @staticmethod
    def _result(module: str, names: Iterable[str], source: str, matched: str) -> ModuleMapping:
        return ModuleMapping(
            module=module,
            distributions=tuple(dict.fromkeys(names)),
            source=source,
            matched=matched,
        )


__all__ = [
    "KNOWING_SOURCES",
    "SOURCES",
    "DistributionMapper",
    "ModuleMapping",
    "cached_environment_distributions",
    "cached_installed_modules",
    "environment_distributions",
    "importable",
    "installed_modules",
    "load_import_map",
    "name_variants",
]
