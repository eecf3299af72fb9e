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

Many libraries keep their dependencies in requirements files that setup.py reads
(``open("requirements.txt")``, ``_reqs("default.txt")``, ``read_req_file("install")`` with
``os.path.join("requirements", f"{name}.txt")``). Such files are found statically: string
literals passed to calls in setup.py (and the strings a comprehension feeds to such a call)
that name an existing requirements file next to setup.py or in its ``requirements/`` style
folder, either by relative path, by file name, or by stem when every folder on the way is named
by a literal too. They are recorded in ``ParsedInput.metadata_files``.
"""

from __future__ import annotations

import ast
import posixpath
from collections.abc import Iterator
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
        line: int | None = None
        try:
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and _is_setup(node.func):
                    line = node.lineno
                    reader.read_call(node)
            metadata_files = read_requirements_files(tree, root, relpath)
        except RecursionError as exc:  # an expression the compiler took but we cannot walk
            raise ParseError(relpath, line, "expression nested too deeply to read") from exc
        return ParsedInput(
            path=relpath,
            kind=KIND,
            requirements=tuple(reader.requirements),
            issues=tuple(reader.issues),
            project_name=reader.project_name,
            metadata_files=metadata_files,
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


# -- requirements files read by setup.py ---------------------------------------------------

# Folders whose files belong to the project next to them (as in discovery and the pin layout).
_REQUIREMENTS_DIRS = frozenset({"requirements", "requirements.d", "reqs", "requires"})
_REQUIREMENTS_EXTS = (".txt", ".in", ".pip")
_MAX_DEPTH = 3


def read_requirements_files(tree: ast.Module, root: Path, relpath: str) -> tuple[str, ...]:
    """Return the repo-relative requirements files setup.py reads its dependencies from.

    Only files that exist are returned; nothing is executed (see the module docstring).
    """
    strings = _call_strings(tree)
    if not strings:
        return ()
    parts = {part for text in strings for part in text.split("/") if part}
    folder = posixpath.dirname(relpath)
    found = [
        posixpath.join(folder, rel) if folder else rel
        for rel in _candidate_files(root / folder if folder else root)
        if _names_file(rel, strings, parts)
    ]
    return tuple(sorted(found))


def _names_file(rel: str, strings: set[str], parts: set[str]) -> bool:
    """Whether the literals name `rel` (a path relative to setup.py's folder)."""
    if rel in strings:
        return True
    *folders, name = rel.split("/")
    stem = posixpath.splitext(name)[0]
    for text in strings:
        pieces = [p for p in text.split("/") if p]
        if not pieces or len(pieces) > len(folders) + 1:
            continue
        tail = rel.split("/")[-len(pieces) :]
        named = pieces == tail or (pieces[:-1] == tail[:-1] and pieces[-1] == stem and folders)
        if not named:
            continue
        rest = folders[: len(folders) - (len(pieces) - 1)]
        if all(folder in parts for folder in rest):
            return True
    return False


def _candidate_files(base: Path) -> Iterator[str]:
    """Requirements-like files in `base` and below its ``requirements/`` style folders."""
    try:
        children = sorted(base.iterdir())
    except OSError:
        return
    for child in children:
        if child.is_file() and child.name.lower().endswith(_REQUIREMENTS_EXTS):
            yield child.name
        elif child.is_dir() and not child.is_symlink() and child.name in _REQUIREMENTS_DIRS:
            yield from (f"{child.name}/{rel}" for rel in _walk(child, _MAX_DEPTH))


def _walk(folder: Path, depth: int) -> Iterator[str]:
    try:
        children = sorted(folder.iterdir())
    except OSError:
        return
    for child in children:
        if child.is_symlink():
            continue
        if child.is_file() and child.name.lower().endswith(_REQUIREMENTS_EXTS):
            yield child.name
        elif child.is_dir() and depth > 1:
            yield from (f"{child.name}/{rel}" for rel in _walk(child, depth - 1))


def _call_strings(tree: ast.Module) -> set[str]:
    """String values passed to calls other than setup() (and pathlib ``/`` operands)."""
    loops = _loop_values(tree)
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and not _is_setup(node.func):
            for arg in (*node.args, *(k.value for k in node.keywords)):
                out.update(_strings(arg, loops))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            out.update(_strings(node.right, loops))
    return {_clean_path(text) for text in out if text.strip()}


def _clean_path(text: str) -> str:
    text = text.strip().replace("\\", "/")
    while text.startswith("./"):
        text = text[2:]
    return text


def _strings(node: ast.expr, loops: dict[str, set[str]], depth: int = 0) -> set[str]:
    """Possible string values of an argument expression (literal parts only)."""
    if depth > 8:
        return set()
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.Name):
        return set(loops.get(node.id, ()))
    if isinstance(node, ast.JoinedStr):
        return {
            v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)
        }
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left = _strings(node.left, loops, depth + 1)
        right = _strings(node.right, loops, depth + 1)
        if left and right:
            return {a + b for a in left for b in right} | left | right
        return left | right
    if isinstance(node, ast.Starred):
        return _strings(node.value, loops, depth + 1)
    return set()


def _loop_values(tree: ast.Module) -> dict[str, set[str]]:
    """Loop and comprehension variables bound to string literals (``for x in EXTENSIONS``)."""
    collections: dict[str, ast.expr] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
            if isinstance(target, ast.Name):
                collections[target.id] = stmt.value
    out: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.comprehension | ast.For):
            continue
        target, source = node.target, node.iter
        if isinstance(target, ast.Name):
            if isinstance(source, ast.Name):
                source = collections.get(source.id, source)
            if isinstance(source, ast.Call) and source.args:  # sorted(X), set(X), tuple(X)
                first = source.args[0]
                source = collections.get(first.id, first) if isinstance(first, ast.Name) else first
            if isinstance(source, ast.List | ast.Tuple | ast.Set):
                values = {
                    e.value
                    for e in source.elts
                    if isinstance(e, ast.Constant) and isinstance(e.value, str)
                }
                out.setdefault(target.id, set()).update(values)
    return out
