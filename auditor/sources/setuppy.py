"""Read ``setup.py`` statically with `ast`: the file is never executed or imported.

``setup(install_requires=[...], extras_require={...}, tests_require=[...])`` is read when the
values are literal lists/dicts of strings, module-level names bound once to such literals, or
``+`` of those, with ``*name`` unpacking. A module-level list that is later grown with
``NAME.append(...)``, ``NAME.extend(...)`` or ``NAME += ...`` (often inside an ``if`` on the
platform) is read with its additions: each is a dependency under some condition. Anything else (a
function call, a comprehension, ``**kwargs``, a variable rebound or shrunk) becomes a
``dynamic-value`` issue "could not read statically" at its line.
Groups: install_requires -> ``main``, extras_require keys -> ``optional:<extra>``,
tests_require -> ``dev``.
"""

from __future__ import annotations

import ast
from pathlib import Path

from auditor.errors import ParseError
from auditor.model import MAIN_GROUP, InputIssue, InputKind, Location, ParsedInput, Requirement
from auditor.sources.declared import requirement_or_issue
from auditor.sources.reading import read_text

__all__ = ["SetupPySource"]

KIND = InputKind.SETUP_PY
_SETUP_NAMES = frozenset({"setup"})


class SetupPySource:
    """Static parser for setup.py."""

    kind = KIND

    def parse(self, root: Path, relpath: str) -> ParsedInput:
        """Parse the setup() call of a setup.py without running it.

        Raises:
            ParseError: the file cannot be read or is not valid Python.
        """
        text = read_text(root, relpath)
        try:
            tree = ast.parse(text, filename=relpath)
        except SyntaxError as exc:
            raise ParseError(relpath, exc.lineno, f"invalid Python: {exc.msg}") from exc
        except (ValueError, RecursionError, MemoryError) as exc:
            raise ParseError(relpath, None, f"invalid Python: {exc}") from exc
        reader = _Reader(relpath, _module_bindings(tree))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _is_setup(node.func):
                reader.read_call(node)
        return ParsedInput(
            path=relpath,
            kind=KIND,
            requirements=tuple(reader.requirements),
            issues=tuple(reader.issues),
            project_name=reader.project_name,
        )


def _is_setup(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in _SETUP_NAMES
    return isinstance(func, ast.Attribute) and func.attr in _SETUP_NAMES


def _module_bindings(tree: ast.Module) -> dict[str, ast.expr | None]:
    """Module-level names bound exactly once by a plain assignment (None if rebound/changed).

    Growth by ``append``/``extend``/``+=`` anywhere in the file is folded into the binding as
    ``literal + [item]`` / ``literal + other`` so the reader sees every possible element.
    """
    bound: dict[str, ast.expr | None] = {}
    for stmt in tree.body:
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(stmt, ast.Assign):
            targets, value = stmt.targets, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            targets, value = [stmt.target], stmt.value
        for target in targets:
            if isinstance(target, ast.Name):
                bound[target.id] = None if target.id in bound else value
    # In source order, so requirements keep the order a reader sees them in.
    nodes = sorted(
        (n for n in ast.walk(tree) if isinstance(n, ast.AugAssign | ast.Call)),
        key=lambda n: (n.lineno, n.col_offset),
    )
    for node in nodes:
        name, added = _growth(node)
        if name is None or name not in bound:
            continue
        current = bound[name]
        if added is None or current is None:
            bound[name] = None
        else:
            bound[name] = ast.BinOp(left=current, op=ast.Add(), right=added)
    return bound


def _growth(node: ast.AST) -> tuple[str | None, ast.expr | None]:
    """Return (name, what is added) for ``NAME.append/extend(x)`` and ``NAME += x``.

    Other changes (``insert``, ``pop``, ``remove``, ``update``, ``-=`` ...) give (name, None):
    the name is no longer static.
    """
    if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
        return node.target.id, node.value if isinstance(node.op, ast.Add) else None
    if not (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
    ):
        return None, None
    name, method = node.func.value.id, node.func.attr
    if method in ("append", "extend") and len(node.args) == 1 and not node.keywords:
        arg = node.args[0]
        return name, ast.List(elts=[arg], ctx=ast.Load()) if method == "append" else arg
    if method in ("insert", "update", "pop", "remove", "clear"):
        return name, None
    return None, None


class _Reader:
    def __init__(self, relpath: str, bindings: dict[str, ast.expr | None]) -> None:
        self.relpath = relpath
        self.bindings = bindings
        self.requirements: list[Requirement] = []
        self.issues: list[InputIssue] = []
        self.project_name: str | None = None

    def loc(self, node: ast.AST) -> Location:
        return Location(path=self.relpath, line=getattr(node, "lineno", None))

    def dynamic(self, node: ast.AST, what: str) -> None:
        text = ast.unparse(node) if isinstance(node, ast.expr) else what
        self.issues.append(
            InputIssue(
                code="dynamic-value",
                message=f"{what}: could not read statically ({text[:80]})",
                location=self.loc(node),
                line_text=text[:200],
            )
        )

    def read_call(self, call: ast.Call) -> None:
        for keyword in call.keywords:
            if keyword.arg is None:
                self.dynamic(keyword.value, "setup(**...)")
            elif keyword.arg in ("install_requires", "tests_require"):
                group = MAIN_GROUP if keyword.arg == "install_requires" else "dev"
                self.read_list(keyword.value, keyword.arg, group)
            elif keyword.arg == "extras_require":
                self.read_extras(keyword.value)
            elif (
                keyword.arg == "name"
                and isinstance(keyword.value, ast.Constant)
                and isinstance(keyword.value.value, str)
            ):
                self.project_name = keyword.value.value

    def resolve(self, node: ast.expr, seen: frozenset[str] = frozenset()) -> ast.expr | None:
        """Follow module-level names to the literal they are bound to."""
        while isinstance(node, ast.Name):
            if node.id in seen:
                return None
            seen = seen | {node.id}
            bound = self.bindings.get(node.id)
            if bound is None:
                return None
            node = bound
        return node

    def read_list(self, node: ast.expr, what: str, group: str) -> None:
        value = self.resolve(node)
        if value is None:
            self.dynamic(node, what)
        elif isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add):
            self.read_list(value.left, what, group)
            self.read_list(value.right, what, group)
        elif isinstance(value, (ast.List, ast.Tuple)):
            for element in value.elts:
                if isinstance(element, ast.Constant) and isinstance(element.value, str):
                    self.add_string(element, element.value, group)
                elif isinstance(element, ast.Starred):
                    self.read_list(element.value, f"{what} item", group)
                else:
                    self.dynamic(element, f"{what} item")
        elif isinstance(value, ast.Constant) and isinstance(value.value, str):
            self.add_string(value, value.value, group)
        else:
            self.dynamic(node, what)

    def read_extras(self, node: ast.expr) -> None:
        value = self.resolve(node)
        if not isinstance(value, ast.Dict):
            self.dynamic(node, "extras_require")
            return
        for key, item in zip(value.keys, value.values, strict=True):
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                self.dynamic(key if key is not None else item, "extras_require key")
                continue
            extra = key.value
            if ":" in extra:  # "extra:python_version<'3'" form: the marker part is dropped
                extra = extra.split(":", 1)[0]
            group = f"optional:{extra}" if extra else MAIN_GROUP
            self.read_list(item, f"extras_require[{key.value!r}]", group)

    def add_string(self, node: ast.Constant, value: str, group: str) -> None:
        first = getattr(node, "lineno", 1)
        multiline = "\n" in value
        for offset, raw in enumerate(value.splitlines() if multiline else [value]):
            text = raw.split(" #", 1)[0].strip()
            if not text or text.startswith("#"):
                continue
            line = first + offset if multiline else first
            location = Location(path=self.relpath, line=line)
            parsed = requirement_or_issue(text, location=location, kind=KIND, group=group)
            if isinstance(parsed, Requirement):
                self.requirements.append(parsed)
            else:
                self.issues.append(parsed)
