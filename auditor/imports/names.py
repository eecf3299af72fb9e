"""Name similarity between an imported module and a distribution the project declares or locks.

The last source of the module -> distribution mapping, used only for declared or locked names
whose module list is unknown (not installed, no wheel metadata): a distribution is taken to
provide a module when the module's name is one of the distribution's usual spellings.

A distribution name gives its module spellings by dropping one common prefix (``python-``,
``py-``, ``py``, ``django-``, ``flask-``; ``scikit-`` becomes ``sk``) and up to two common
suffixes (``-python``, ``-py``, ``-cffi``, ``-core``, ``-binary``, ``-client``, ``-sdk``,
``-api``, ``-lib``, ``-bindings``, ``-headless``). Names are compared "squashed": lower case
with every ``-``, ``_`` and ``.`` removed, so ``django-cors-headers`` matches ``corsheaders``,
``mysql-connector-python`` matches ``mysql.connector`` and ``gevent-websocket`` matches
``geventwebsocket``. Trailing digits are never dropped: ``psycopg2`` is not ``psycopg``.
"""

from __future__ import annotations

from functools import cache

from auditor.model import normalize_name

PREFIXES: tuple[tuple[str, str], ...] = (
    ("python-", ""),
    ("py-", ""),
    ("py", ""),
    ("django-", ""),
    ("flask-", ""),
    ("scikit-", "sk"),
)
SUFFIXES: tuple[str, ...] = (
    "-python",
    "-py",
    "-cffi",
    "-core",
    "-binary",
    "-client",
    "-sdk",
    "-api",
    "-lib",
    "-bindings",
    "-headless",
)
# Shorter than this after stripping, a spelling matches too much (``py-a`` -> ``a``).
_MIN_LENGTH = 2


def squash(name: str) -> str:
    """Return `name` lower-cased without ``-``, ``_`` and ``.`` (the compared form)."""
    return name.lower().replace("-", "").replace("_", "").replace(".", "")


def _strip_suffixes(name: str, depth: int = 2) -> set[str]:
    found = {name}
    if depth == 0:
        return found
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            found |= _strip_suffixes(name[: -len(suffix)], depth - 1)
    return found


@cache
def module_spellings(distribution: str) -> frozenset[str]:
    """Return the squashed module names `distribution` is commonly imported as."""
    base = normalize_name(distribution)
    stems = {base}
    for prefix, replacement in PREFIXES:
        if base.startswith(prefix) and len(base) > len(prefix):
            stems.add(replacement + base[len(prefix) :].lstrip("-"))
    spellings = {squash(s) for stem in stems for s in _strip_suffixes(stem)}
    return frozenset(s for s in spellings if len(s) >= _MIN_LENGTH)


def provides_by_name(distribution: str, module: str) -> bool:
    """Whether `module` (dotted, any case) is one of `distribution`'s usual spellings."""
    return squash(module) in module_spellings(distribution)


__all__ = ["PREFIXES", "SUFFIXES", "module_spellings", "provides_by_name", "squash"]
