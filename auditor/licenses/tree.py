"""An SPDX expression as a small tree (license-expression parses; this keeps what we need)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Leaf:
    """One license id, with its ``WITH`` exception if any."""

    license: str
    exception: str | None = None


@dataclass(frozen=True, slots=True)
class Node:
    """``AND`` / ``OR`` over two or more children."""

    operator: str
    children: tuple[Node | Leaf, ...]


Tree = Node | Leaf


def _convert(item: Any) -> Tree:
    from license_expression import AND, OR, LicenseWithExceptionSymbol

    if isinstance(item, LicenseWithExceptionSymbol):
        return Leaf(str(item.license_symbol.key), str(item.exception_symbol.key))
    if isinstance(item, (AND, OR)):
        operator = "AND" if isinstance(item, AND) else "OR"
        return Node(operator, tuple(_convert(arg) for arg in item.args))
    return Leaf(str(getattr(item, "key", item)))


@functools.lru_cache(maxsize=4096)
def parse_tree(expression: str) -> Tree | None:
    """Parse a canonical SPDX expression; None when license-expression cannot."""
    from license_expression import Licensing

    try:
        parsed = Licensing().parse(expression)
    # license-expression and boolean.py raise assorted errors on hostile text
    # (ExpressionError, an assert on '( AND MIT', IndexError on '( )').
    except Exception:  # noqa: BLE001 - see above
        return None
    return None if parsed is None else _convert(parsed)


def leaves(tree: Tree) -> list[Leaf]:
    """Every license id of the tree, left to right."""
    if isinstance(tree, Leaf):
        return [tree]
    return [leaf for child in tree.children for leaf in leaves(child)]


__all__ = ["Leaf", "Node", "Tree", "leaves", "parse_tree"]
