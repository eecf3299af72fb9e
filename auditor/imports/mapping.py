"""Map imported modules to the distributions that provide them, saying how each was found.

Sources, strongest first (each result's `source` names the one that decided it):

* ``environment``: the installed environment's metadata (``packages_distributions()``, which
  reads top_level.txt and RECORD). Strong only when the audited environment is the project's
  (``config.environment``); otherwise the interpreter running Auditor is someone else's, so its
  answers are used only as a hint that confirms a name the project declares or locks.
* ``lockfile-metadata``: a declared or locked package whose name matches the module (after the
  name heuristics below), so the project's own files decide.
* ``import-map``: the curated ``rules/import-map.yaml`` (``yaml`` -> PyYAML, ``cv2`` ->
  opencv-python and its variants ...), plus ``[tool.auditor.policy.imports] import_map``.
* ``heuristic``: the module name itself, normalised (``foo_bar`` -> ``foo-bar``).

The name heuristics try, for each dotted prefix of the import (``google.cloud.storage``,
``google.cloud``, ``google``), the normalised name and the ``python-<x>``, ``<x>-python``,
``py<x>`` and ``<x>-py`` spellings. Deeper prefixes only count when they hit a known name, so
``from flask import json`` does not invent a dependency on some ``flask-json``. A module may map to
several distributions (``cv2``, ``google``); any one of them declared satisfies the import.
"""

from __future__ import annotations

import hashlib
import logging
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import yaml

from auditor.config import rules_dir
from auditor.model import normalize_name
from auditor.yamlio import safe_load

log = logging.getLogger(__name__)

SOURCES = ("environment", "lockfile-metadata", "import-map", "heuristic")


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


def environment_fingerprint() -> str:
    """Return a key that changes whenever a package is installed into or removed from sys.path.

    Installing or removing a distribution changes the mtime of its site-packages folder.
    """
    parts = [sys.executable]
    for entry in sys.path:
        try:
            parts.append(f"{entry}:{Path(entry or '.').stat().st_mtime_ns}")
        except OSError:
            continue
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def cached_environment_distributions(cache: CacheLike) -> dict[str, tuple[str, ...]]:
    """Return `environment_distributions()`, kept in the cache per environment fingerprint."""
    key = environment_fingerprint()
    stored = cache.get("env-dists:v1", key)
    if isinstance(stored, dict):
        return {top: tuple(dists) for top, dists in stored.items()}
    table = environment_distributions()
    cache.set("env-dists:v1", key, {k: list(v) for k, v in table.items()}, ttl=7 * 86400)
    return table


class CacheLike(Protocol):
    """The part of auditor.cache.Cache the environment table needs."""

    def get(self, namespace: str, key: str, *, max_age: float | None = None) -> Any | None:
        """Return a stored value or None."""
        ...

    def set(self, namespace: str, key: str, value: Any, *, ttl: float | None = None) -> None:
        """Store a value."""
        ...


class DistributionMapper:
    """Resolves imported modules to distributions; results are memoised per import path.

    Args:
        known: names the project declares or locks (PEP 503 normalised).
        import_map: the curated map (default: rules/import-map.yaml).
        extra_map: policy additions, merged over the curated map.
        environment: a callable returning the environment's module -> distributions table, or
            None to never look at an environment.
        environment_is_project: whether that environment is the audited project's own.
    """

    def __init__(
        self,
        *,
        known: Iterable[str] = (),
        import_map: Mapping[str, tuple[str, ...]] | None = None,
        extra_map: Mapping[str, Any] | None = None,
        environment: Callable[[], Mapping[str, tuple[str, ...]]] | None = None,
        environment_is_project: bool = False,
    ) -> None:
        self.known = frozenset(normalize_name(n) for n in known)
        table = dict(_default_import_map() if import_map is None else import_map)
        for key, value in (extra_map or {}).items():
            if names := _as_names(value):
                table[str(key)] = names
        self.import_map = table
        self._environment_loader = environment
        self._environment: Mapping[str, tuple[str, ...]] | None = None
        self.environment_is_project = environment_is_project
        self._memo: dict[tuple[str, tuple[str, ...]], ModuleMapping] = {}

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
        deeper = tuple(sorted({s for s in symbols if s.count(".") <= module.count(".") + 1}))
        key = (module, deeper)
        if key not in self._memo:
            self._memo[key] = self._resolve(module, deeper)
        return self._memo[key]

    def _resolve(self, module: str, symbols: tuple[str, ...]) -> ModuleMapping:
        candidates = sorted({*symbols, *_prefixes(module)}, key=lambda p: -p.count("."))
        top = module.partition(".")[0]
        env = self._env() if self._environment_loader else {}
        # 1. the project's own environment decides outright.
        if self.environment_is_project and top in env:
            return self._result(module, env[top], "environment", top)
        # 2. declared or locked names matching a prefix (deepest first).
        for prefix in candidates:
            hits = [v for v in name_variants(prefix) if v in self.known]
            mapped = [d for d in self.import_map.get(prefix, ()) if d in self.known]
            if hits or mapped:
                return self._result(module, (*mapped, *hits), "lockfile-metadata", prefix)
        # 3. a weak environment hint, only when it names a declared or locked distribution.
        if not self.environment_is_project and top in env:
            confirmed = [d for d in env[top] if d in self.known]
            if confirmed:
                return self._result(module, confirmed, "environment", top)
        # 4. the curated import map (deepest prefix first).
        for prefix in candidates:
            if prefix in self.import_map:
                return self._result(module, self.import_map[prefix], "import-map", prefix)
        # 5. the module's own name.
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
    "SOURCES",
    "DistributionMapper",
    "ModuleMapping",
    "environment_distributions",
    "load_import_map",
    "name_variants",
]
