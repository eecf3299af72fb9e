"""AUD501's words: where a missing module is imported, and the fix that never misleads.

`missing_fix` names a distribution only when a source knows it provides the module; for a
module imported only lazily (inside functions) or in ``except`` handlers it advises an extra.
`site_evidence` lists every site with its scope (module level or function body) and guard.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from auditor.imports.mapping import KNOWING_SOURCES
from auditor.imports.usage import ResolvedSite

__all__ = ["lazily", "missing_fix", "site_evidence", "soft_site"]


def soft_site(item: ResolvedSite) -> bool:
    """Whether a site alone keeps a missing module below medium (dev, typing, guarded, beside)."""
    return item.dev or item.site.type_only or item.site.optional or item.beside


def missing_fix(
    module: str,
    candidates: tuple[str, ...],
    source: str,
    provided: Iterable[str] = (),
    *,
    lazy: bool = False,
) -> str:
    """Return AUD501's fix: name a distribution only when a source knows it provides `module`.

    `provided` are the module paths the source matched (``google.protobuf`` for ``google``).
    `lazy`: the module is imported only lazily or in ``except`` handlers, so the advice is an
    extra (an optional dependency) rather than a main dependency.
    """
    if source in KNOWING_SOURCES and candidates:
        names = " or ".join(candidates)
        paths = ", ".join(f"'{p}'" for p in (list(provided) or [module]))
        if lazy:
            return (
                f"declare {names} (known to provide {paths}: {source}) as an extra (an "
                "optional dependency of the feature that imports it), after checking it is "
                "the project you meant; or in the main dependencies if that code always runs"
            )
        return (
            f"declare {names} (known to provide {paths}: {source}) as a dependency, "
            "after checking it is the project you meant; or remove the import"
        )
    return (
        f"no known distribution provides '{module}': find the project whose documentation "
        f"shows `import {module}` and declare it"
        + (" as an extra (an optional dependency)" if lazy else "")
        + ", or remove the import. Do not install a "
        f"project just because it is named '{module}' on the index: it may be unrelated "
        "(`import argon2` comes from argon2-cffi, not from the project named argon2)"
    )


def _where(item: ResolvedSite) -> str:
    """How an import site is reached: ``function`` body or ``module`` level, and its guard."""
    site = item.site
    if site.in_except:
        return "except handler"
    if site.optional:
        return "try/except ImportError"
    return "function body" if site.lazy else "module level"


def site_evidence(items: Iterable[ResolvedSite]) -> list[dict[str, object]]:
    """Every site of a missing module with its scope and guard (the evidence of AUD501)."""
    return [
        {
            "path": i.site.path,
            "line": i.site.line,
            "scope": "function" if i.site.lazy else "module",
            "guard": "except-handler"
            if i.site.in_except
            else "try-import-error"
            if i.site.optional
            else "type-checking"
            if i.site.type_only
            else None,
            "dynamic": i.site.dynamic,
        }
        for i in sorted(items, key=lambda i: (i.site.path, i.site.line))
    ]


def lazily(items: list[ResolvedSite], integration: Callable[[ResolvedSite], bool]) -> str:
    """Say where a module is imported lazily or optionally (``a.py:3 (function body)``)."""
    soft = sorted(
        {
            (i.site.path, i.site.line, "integration module" if integration(i) else _where(i))
            for i in items
            if i.site.lazy or i.site.in_except or integration(i)
        }
    )
    shown = ", ".join(f"{path}:{line} ({where})" for path, line, where in soft[:3])
    more = f" (+{len(soft) - 3} more)" if len(soft) > 3 else ""
    return f"; it is imported only lazily or optionally, at {shown}{more}"
