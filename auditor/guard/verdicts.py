"""A short-lived cache of the gate's answers, so a repeated install is answered at once.

An agent runs the same install lines again and again; the hook stands in front of each. The key
holds everything the answer depends on: the commands' names, the contents of the files they
read, the index and advisory sources, the guard and resolve policies, rule selection, severity
overrides and ignores, Auditor's version. Only complete answers are kept (an answer with
something not vetted is asked again next time), for ``verdict_ttl`` seconds of the guard policy.
This module imports no stage, so a cache hit costs no graph or check imports.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from auditor.cache import Cache
    from auditor.config import Config
    from auditor.guard.commands import InstallCommand

NAMESPACE = "guard-verdict"


@dataclass(frozen=True, slots=True, kw_only=True)
class CachedVerdict:
    """A remembered answer: allow or not, the exit code and the lines that were shown."""

    allow: bool
    code: int
    lines: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """Return the cached form."""
        return {"allow": self.allow, "code": self.code, "lines": list(self.lines)}

    @classmethod
    def from_json(cls, data: Any) -> CachedVerdict | None:
        """Rebuild from the cached form; None when it is not one."""
        if not isinstance(data, dict):
            return None
        lines = data.get("lines")
        if not isinstance(lines, list) or not all(isinstance(x, str) for x in lines):
            return None
        allow, code = data.get("allow"), data.get("code")
        if not isinstance(allow, bool) or not isinstance(code, int):
            return None
        return cls(allow=allow, code=code, lines=tuple(lines))


def _file_digest(cwd: Path, name: str) -> str:
    path = Path(name) if Path(name).is_absolute() else cwd / name
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "unreadable"


def _default_cache_dir() -> Path:
    from auditor.cache import default_cache_dir

    return default_cache_dir()


def _stamp(path: Path) -> list[float]:
    try:
        info = path.stat()
    except OSError:
        return []
    return [info.st_mtime, float(info.st_size)]


def verdict_key(commands: Sequence[InstallCommand], config: Config, cwd: Path, mode: str) -> str:
    """Return the key of the answer for `commands` under `config` (see the module docstring)."""
    from auditor import __version__

    parts: dict[str, Any] = {
        "mode": mode,
        "version": __version__,
        "commands": [
            {
                "installer": c.installer,
                "requirements": list(c.requirements),
                "directory": c.directory,
                "files": [[f, _file_digest(cwd / c.directory, f)] for f in c.files],
                "constraints": [
                    [f, _file_digest(cwd / c.directory, f)] for f in c.constraint_files
                ],
                "local": list(c.local),
                "remote": list(c.remote),
                "unknown": list(c.unknown),
                "index": c.index_url,
                "extra": list(c.extra_index_urls),
            }
            for c in commands
        ],
        "index": config.index_url,
        "osv": config.osv_url,
        "offline": config.offline,
        "policy": {
            k: config.policy_section(k)
            for k in ("guard", "resolve", "reputation", "advisories", "index")
        },
        "enable": list(config.enable),
        "disable": list(config.disable),
        "severity": {k: str(v) for k, v in sorted(config.severity_overrides.items())},
        "ignores": [repr(i) for i in config.ignores],
        "today": str(config.today_date()),
        # `auditor db import|update` replaces the store: an answer given before does not hold.
        "store": _stamp((config.cache_dir or _default_cache_dir()) / "osv.sqlite3"),
    }
    text = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def cached_verdict(cache: Cache, key: str) -> CachedVerdict | None:
    """Return the remembered answer for `key`, if any."""
    return CachedVerdict.from_json(cache.get(NAMESPACE, key))


def remember(cache: Cache, key: str, verdict: CachedVerdict, ttl: float) -> None:
    """Remember an answer for `ttl` seconds."""
    if ttl > 0:
        cache.set(NAMESPACE, key, verdict.to_json(), ttl=ttl)


__all__ = ["NAMESPACE", "CachedVerdict", "cached_verdict", "remember", "verdict_key"]
