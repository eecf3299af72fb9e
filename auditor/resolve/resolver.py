"""resolve(request): ask the configured resolver once, cache the answer by what it depends on.

The cache key is (resolver kind, requirements, constraints, index, python, platform); answers
are stored in the one on-disk cache (`auditor.cache`) for ``cache_ttl`` seconds. Offline, only a
cached answer is used. A resolver that cannot run, fails, or passes its deadline gives a
`Resolution` with `error` set: the caller reports it as not checked, never as clean.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.errors import ConfigError
from auditor.resolve.model import Resolution, ResolveError, ResolveRequest, ResolveTarget

if TYPE_CHECKING:
    from auditor.cache import Cache
    from auditor.config import Config

log = logging.getLogger(__name__)

CACHE_NAMESPACE = "resolve"
RESOLVERS = ("auto", "uv", "pip")


@dataclass(frozen=True, slots=True, kw_only=True)
class ResolvePolicy:
    """The ``resolve`` policy table, validated."""

    resolver: str = "auto"
    uv: str = ""
    python: str = ""
    platform: str = ""
    timeout: float = 60.0
    cache_ttl: float = 21600.0
    max_excluded: int = 25

    @classmethod
    def from_policy(cls, table: Mapping[str, Any]) -> ResolvePolicy:
        """Build from the merged policy table (raises ConfigError when malformed)."""
        where = "policy.resolve"
        resolver = str(table.get("resolver", "auto"))
        if resolver not in RESOLVERS:
            raise ConfigError(f"{where}.resolver: expected one of {', '.join(RESOLVERS)}")
        values: dict[str, Any] = {"resolver": resolver}
        for key in ("uv", "python", "platform"):
            value = table.get(key, "")
            if not isinstance(value, str):
                raise ConfigError(f"{where}.{key}: expected a string")
            values[key] = value.strip()
        for key in ("timeout", "cache_ttl", "max_excluded"):
            if key in table:
                value = table[key]
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                    raise ConfigError(f"{where}.{key}: expected a positive number")
                values[key] = int(value) if key == "max_excluded" else float(value)
        return cls(**values)

    def target(self) -> ResolveTarget:
        """Return the target environment (default: the running Python, this platform)."""
        python = self.python or f"{sys.version_info.major}.{sys.version_info.minor}"
        return ResolveTarget(python=python, platform=self.platform)


def resolve_policy(config: Config) -> ResolvePolicy:
    """Return the run's resolve policy."""
    return ResolvePolicy.from_policy(config.policy_section("resolve"))


def _choose(policy: ResolvePolicy) -> tuple[str, str | None]:
    """Return (kind, uv binary or None) for the policy (raises ResolveError when none runs)."""
    from auditor.resolve.uv import find_uv

    if policy.resolver in ("auto", "uv"):
        binary = find_uv(policy.uv)
        if binary is not None:
            return "uv", binary
        if policy.resolver == "uv":
            raise ResolveError("uv not found (install auditor[resolve] or put uv on PATH)")
    return "pip", None


def resolve(
    request: ResolveRequest,
    *,
    policy: ResolvePolicy,
    cache: Cache | None,
    cache_dir: Path | None = None,
    offline: bool = False,
    time_left: float | None = None,
) -> Resolution:
    """Return what installing `request` would bring (cached); never raises for resolver faults.

    Args:
        request: requirements, index and target.
        policy: resolver choice, deadline, cache TTL.
        cache: the on-disk cache (None: no caching).
        cache_dir: Auditor's cache folder; uv keeps its own cache under it.
        offline: only a cached answer may be used.
        time_left: the run's remaining time; the resolver gets the smaller of it and
            `policy.timeout`.
    """
    from auditor.index.client import redact_url

    where = redact_url(request.index_url)
    started = time.monotonic()
    # Keyed by the policy's choice, so a cached answer needs no resolver to be looked for.
    key = request.cache_key(policy.resolver)
    if cache is not None:
        entry = cache.get(CACHE_NAMESPACE, key)
        if entry is not None:
            try:
                hit = Resolution.from_json(entry)
            except (TypeError, ValueError):
                hit = None
            if hit is not None:
                return replace(hit, cached=True, seconds=time.monotonic() - started)
    if offline:
        return _failed(request, where, policy.resolver, "offline and no cached resolution")
    try:
        kind, binary = _choose(policy)
    except ResolveError as exc:
        return _failed(request, where, "resolver", str(exc))
    timeout = policy.timeout if time_left is None else max(0.001, min(policy.timeout, time_left))
    try:
        if kind == "uv" and binary is not None:
            from auditor.resolve.uv import resolve_with_uv, uv_version

            name = uv_version(binary)
            uv_cache = None if cache_dir is None else cache_dir / "uv"
            packages, unresolved, error = resolve_with_uv(
                binary, request, timeout=timeout, cache_dir=uv_cache, offline=False,
                max_excluded=policy.max_excluded,
            )  # fmt: skip
        else:
            from auditor.resolve.pip import pip_version, resolve_with_pip

            name = pip_version()
            packages, unresolved, error = resolve_with_pip(request, timeout=timeout)
    except ResolveError as exc:
        return _failed(request, where, kind, str(exc))
    result = Resolution(
        packages=tuple(sorted(packages, key=lambda p: p.name)),
        resolver=name,
        index_url=where,
        target=request.target,
        unresolved=tuple(unresolved),
        error=error,
        seconds=time.monotonic() - started,
    )
    if cache is not None and error is None:
        cache.set(CACHE_NAMESPACE, key, result.to_json(), ttl=policy.cache_ttl)
    log.debug("resolved %d requirement(s) in %.2f s: %s", len(request.requirements),
              result.seconds, result.describe())  # fmt: skip
    return result


def _failed(request: ResolveRequest, where: str, resolver: str, error: str) -> Resolution:
    return Resolution(
        packages=(), resolver=resolver, index_url=where, target=request.target, error=error
    )


__all__ = ["CACHE_NAMESPACE", "RESOLVERS", "ResolvePolicy", "resolve", "resolve_policy"]
