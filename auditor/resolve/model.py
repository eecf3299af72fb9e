"""What a resolution asks and answers: the request, the resolved packages, what was not resolved."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from auditor.errors import AuditorError
from auditor.model import normalize_name

# Why a package was left out of a resolution (the `Unresolved.reason` texts).
WOULD_BUILD = (
    "not resolved: would execute its build (no wheel for the target; sdists are never built)"
)
NOT_FOUND = "not resolved: not found on the index"


class ResolveError(AuditorError):
    """The resolver could not run or could not resolve (the message says why)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ResolveTarget:
    """The environment resolved for: a Python version (``3.11``) and a platform (``linux``).

    An empty `platform` means the platform Auditor runs on.
    """

    python: str
    platform: str = ""

    def describe(self) -> str:
        """Return ``Python 3.11, linux`` (or ``this platform``)."""
        return f"Python {self.python}, {self.platform or 'this platform'}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ResolveRequest:
    """Requirements (PEP 508 lines) and constraints to resolve against one index for one target."""

    requirements: tuple[str, ...]
    index_url: str
    target: ResolveTarget
    constraints: tuple[str, ...] = ()

    def cache_key(self, resolver: str) -> str:
        """Return a key naming everything the answer depends on (hashed: no secret in clear)."""
        text = json.dumps(
            [resolver, sorted(self.requirements), sorted(self.constraints), self.index_url,
             self.target.python, self.target.platform],
            separators=(",", ":"),
        )  # fmt: skip
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, slots=True, kw_only=True)
class ResolvedPackage:
    """One distribution an install would bring, and who asks for it.

    `parents` are the normalized names of the resolved packages depending on it; `requested`
    is true when a requirement of the request names it.
    """

    name: str
    display_name: str
    version: str
    requested: bool
    parents: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Unresolved:
    """A package the resolution had to leave out, and why."""

    name: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Resolution:
    """What an install of a request would bring, as one resolver answered it."""

    packages: tuple[ResolvedPackage, ...]
    resolver: str  # "uv 0.13.9", "pip 26.3"
    index_url: str  # redacted: no user name or password
    target: ResolveTarget
    unresolved: tuple[Unresolved, ...] = ()
    error: str | None = None  # the resolution failed as a whole (the resolver's own words)
    cached: bool = False
    seconds: float = 0.0

    def package(self, name: str) -> ResolvedPackage | None:
        """Return the resolved package of `name` (any spelling)."""
        key = normalize_name(name)
        return next((p for p in self.packages if p.name == key), None)

    def describe(self) -> str:
        """Return ``uv 0.13.9 against URL for Python 3.11, linux``."""
        return f"{self.resolver} against {self.index_url} for {self.target.describe()}"

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form (the cache stores it)."""
        return {
            "packages": [
                {"name": p.name, "display_name": p.display_name, "version": p.version,
                 "requested": p.requested, "parents": list(p.parents)}
                for p in self.packages
            ],
            "resolver": self.resolver,
            "index_url": self.index_url,
            "python": self.target.python,
            "platform": self.target.platform,
            "unresolved": [{"name": u.name, "reason": u.reason} for u in self.unresolved],
            "error": self.error,
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: Any) -> Resolution:
        """Rebuild a resolution from `to_json` output (raises ValueError when malformed)."""
        if not isinstance(data, dict):
            raise TypeError("resolution: expected an object")
        try:
            packages = tuple(
                ResolvedPackage(
                    name=str(p["name"]),
                    display_name=str(p["display_name"]),
                    version=str(p["version"]),
                    requested=bool(p["requested"]),
                    parents=tuple(str(x) for x in p["parents"]),
                )
                for p in data["packages"]
            )
            unresolved = tuple(
                Unresolved(name=str(u["name"]), reason=str(u["reason"])) for u in data["unresolved"]
            )
            error = data.get("error")
            return cls(
                packages=packages,
                resolver=str(data["resolver"]),
                index_url=str(data["index_url"]),
                target=ResolveTarget(python=str(data["python"]), platform=str(data["platform"])),
                unresolved=unresolved,
                error=None if error is None else str(error),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"resolution: malformed cache entry ({exc})") from None


__all__ = [
    "NOT_FOUND",
    "WOULD_BUILD",
    "Resolution",
    "ResolveError",
    "ResolveRequest",
    "ResolveTarget",
    "ResolvedPackage",
    "Unresolved",
]
