"""The ``if`` and ``try`` conditions that change what the imports inside a block mean.

* ``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``): the imports are type-only;
* a ``try`` whose handlers catch ImportError / ModuleNotFoundError (a bare ``except`` too): the
  imports in its body and handlers are optional;
* ``if PY2:`` / ``if sys.version_info[0] < 3:`` / ``if sys.version_info < (3,):`` (and the
  ``else`` of their Python 3 forms): the branch never runs on Python 3, so its imports
  (``urllib2``, ``StringIO``) are skipped. Only comparisons decided by the major version alone
  count; ``sys.version_info < (3, 11)`` is left alone.

Both the AST walk and the line-based fallback ask these questions of `ast` expressions.
"""

from __future__ import annotations

import ast
from typing import Any

__all__ = ["catches_import_error", "is_type_checking", "python3_truth"]

_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError"})


def is_type_checking(test: ast.expr) -> bool:
    """Whether an ``if`` test is ``TYPE_CHECKING`` (bare or as an attribute)."""
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    if isinstance(test, ast.Attribute):
        return test.attr == "TYPE_CHECKING"
    return False


_PY2_FLAGS = frozenset({"PY2", "PY2K", "IS_PY2", "PYTHON2", "is_py2", "py2"})
_PY3_FLAGS = frozenset({"PY3", "PY3K", "IS_PY3", "PYTHON3", "is_py3", "py3"})


def _is_version_info(node: ast.expr) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "version_info") or (
        isinstance(node, ast.Name) and node.id == "version_info"
    )


def _major_of(node: ast.expr) -> bool:
    """Whether `node` is ``sys.version_info[0]`` or ``sys.version_info.major``."""
    if isinstance(node, ast.Subscript) and _is_version_info(node.value):
        index = node.slice
        return isinstance(index, ast.Constant) and index.value == 0
    return isinstance(node, ast.Attribute) and node.attr == "major" and _is_version_info(node.value)


def _sign_against(left: ast.expr, right: ast.expr) -> int | None:
    """Python 3's version compared with `right`: -1, 0, 1, or None when it depends on the minor."""
    if not isinstance(right, ast.Constant | ast.Tuple):
        return None
    if _major_of(left) and isinstance(right, ast.Constant) and type(right.value) is int:
        return (right.value < 3) - (right.value > 3)
    if _is_version_info(left) and isinstance(right, ast.Tuple) and right.elts:
        parts = [
            e.value for e in right.elts if isinstance(e, ast.Constant) and type(e.value) is int
        ]
        if len(parts) != len(right.elts):
            return None
        if parts[0] != 3:
            return 1 if parts[0] < 3 else -1
        # version_info is a 5-tuple: always greater than (3,) and (3, 0)
        return 1 if parts in ([3], [3, 0]) else None
    return None


_OPS: dict[type[ast.cmpop], Any] = {
    ast.Lt: lambda s: s < 0,
    ast.LtE: lambda s: s <= 0,
    ast.Gt: lambda s: s > 0,
    ast.GtE: lambda s: s >= 0,
    ast.Eq: lambda s: s == 0,
    ast.NotEq: lambda s: s != 0,
}


def python3_truth(test: ast.expr) -> bool | None:
    """Whether an ``if`` test is always true (True) or always false (False) on Python 3.

    None when it is not a Python 2/3 check or depends on more than the major version.
    """
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = python3_truth(test.operand)
        return None if inner is None else not inner
    ident = (
        test.id
        if isinstance(test, ast.Name)
        else test.attr
        if isinstance(test, ast.Attribute)
        else None
    )
    if ident in _PY2_FLAGS:
        return False
    if ident in _PY3_FLAGS:
        return True
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        op = _OPS.get(type(test.ops[0]))
        sign = _sign_against(test.left, test.comparators[0])
        if op is not None and sign is not None:
            return bool(op(sign))
    return None


def catches_import_error(handlers: list[ast.ExceptHandler]) -> bool:
    """Whether a ``try`` with these handlers catches ImportError (a bare ``except`` does)."""
    for handler in handlers:
        kind = handler.type
        if kind is None:
            return True
        names = kind.elts if isinstance(kind, ast.Tuple) else [kind]
        for name in names:
            ident = (
                name.id
                if isinstance(name, ast.Name)
                else name.attr
                if isinstance(name, ast.Attribute)
                else ""
            )
            if ident in _IMPORT_ERRORS:
                return True
    return False
