"""Which repository paths are development code (tests, docs, tooling): the policy's globs.

`dev_path_matcher` answers exactly as fnmatch would (its ``*`` crosses slashes), the common
glob shapes by plain string tests; it runs once per code file of a scan.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable


def dev_path_matcher(patterns: Iterable[str]) -> Callable[[str], bool]:
    """Return a fast predicate: is a path development code by these globs (fnmatch's meaning).

    The common shapes are string tests with exactly fnmatch's answer (its ``*`` crosses
    slashes): ``tests/*`` a prefix, ``*/tests/*`` and ``*_tests/*`` a substring, ``*_test.py``
    a suffix, ``test_*.py`` a prefix and a suffix, a literal an equality. The rest (``?``,
    ``[...]``, several ``*``) go into one regex.
    """
    exact: set[str] = set()
    prefixes: list[str] = []
    inside: list[str] = []
    suffixes: list[str] = []
    both: list[tuple[str, str]] = []
    others: list[str] = []
    for glob in (str(p) for p in patterns):
        stars = glob.count("*")
        if "?" in glob or "[" in glob or stars > 2:
            others.append(glob)
        elif stars == 0:
            exact.add(glob)
        elif stars == 2 and glob[0] == "*" and glob[-1] == "*" and len(glob) > 2:
            inside.append(glob[1:-1])
        elif stars == 1 and glob[-1] == "*":
            prefixes.append(glob[:-1])
        elif stars == 1 and glob[0] == "*":
            suffixes.append(glob[1:])
        elif stars == 1:
            head, _, tail = glob.partition("*")
            both.append((head, tail))
        else:
            others.append(glob)
    starts, ends = tuple(prefixes), tuple(suffixes)
    regex = re.compile("|".join(f"(?:{fnmatch.translate(g)})" for g in others)) if others else None

    def is_dev(path: str) -> bool:
        return (
            path in exact
            or (bool(starts) and path.startswith(starts))
            or (bool(ends) and path.endswith(ends))
            or any(part in path for part in inside)
            or any(
                len(path) >= len(h) + len(t) and path.startswith(h) and path.endswith(t)
                for h, t in both
            )
            or (regex is not None and regex.match(path) is not None)
        )

    return is_dev


def is_dev_path(relpath: str, patterns: Iterable[str]) -> bool:
    """Whether `relpath` is development code (tests, docs, examples ...) by the policy globs."""
    return dev_path_matcher(patterns)(relpath)


__all__ = ["dev_path_matcher", "is_dev_path"]
