"""The slicer: the used symbols of a package and what they need inside it, as one module.

Deterministic and offline. Each module of the distribution is parsed with `ast` (never imported);
its top-level statements become units that bind names. A function's or class's free names come
from `symtable` (the names its body looks up globally) plus the names its decorators, bases,
defaults and annotations read at definition time; other statements contribute every name they
load. Starting from the used symbols, the closure follows those names through the module,
through the package's own imports (``from .x import y``, re-exports, ``from .x import *``) and
stops at the standard library and other distributions, whose imports are kept. The units are
written in dependency order into one module that starts with the provenance and the original
license notice (or the slice is refused when the license does not allow copying: see
`auditor.replace.license`).
"""

from __future__ import annotations

import ast
import builtins
import symtable
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from auditor.errors import AuditorError
from auditor.replace.source import PackageSource

_BUILTINS = frozenset(dir(builtins)) | {"__name__", "__file__", "__doc__", "__spec__"}
_BRANCHES = (
    ast.If,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.IfExp,
    ast.ExceptHandler,
    ast.With,
    ast.AsyncWith,
    ast.comprehension,
    ast.Assert,
    ast.match_case,
)


# Past this many modules the used part is no sliver, and slicing stops (bounded work per scan).
MAX_MODULES = 40


class SliceError(AuditorError):
    """The used part cannot be sliced into one module (the message says why)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Param:
    """One parameter of a used function: name, kind, annotation and default as source text."""

    name: str
    kind: str
    annotation: str | None = None
    default: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SymbolInfo:
    """A used symbol as the slice exports it.

    `qualified` is the name the project uses (``pkg.sub.func``); `name` the exported name;
    `kind` is ``function``, ``class`` or ``value``; `params` and `doc` serve the verifier.
    """

    qualified: str
    name: str
    kind: str
    params: tuple[Param, ...] = ()
    doc: str | None = None
    returns: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Slice:
    """One self-contained module holding the used symbols and their closure.

    Attributes:
        text: the module's source.
        symbols: the used symbols, as exported.
        used_lines: non-blank lines of the sliced code (the header not counted).
        package_lines: non-blank lines of every module of the distribution.
        complexity: cyclomatic complexity of the sliced code (1 + branches per function).
        units: top-level statements copied; modules: the package modules they came from.
        imports: the import statements kept (standard library or other distributions).
        unresolved: names the closure could not find (builtins and dynamic names aside).
    """

    package: str
    version: str
    text: str
    symbols: tuple[SymbolInfo, ...]
    used_lines: int
    package_lines: int
    complexity: int
    units: int
    modules: tuple[str, ...]
    imports: tuple[str, ...] = ()
    unresolved: tuple[str, ...] = ()
    license: str | None = None
    statement_lines: tuple[tuple[str, int], ...] = ()

    @property
    def third_party(self) -> tuple[str, ...]:
        """Top-level modules the kept imports need beyond the standard library."""
        from auditor.replace.capabilities import imported_distributions

        return imported_distributions("\n".join(self.imports))


@dataclass(slots=True, eq=False)
class _Unit:
    module: str
    index: int
    node: ast.stmt
    text: str
    binds: frozenset[str]
    needs: frozenset[str]
    internal: dict[str, tuple[str, str]] = field(default_factory=dict)
    namespaces: frozenset[str] = frozenset()
    external: bool = False
    rewrites: list[tuple[int, int, int, int, str]] = field(default_factory=list)

    def rendered(self) -> str:
        """The unit's text with ``module.attr`` uses flattened to ``attr``."""
        if not self.rewrites:
            return self.text
        start = min(
            [self.node.lineno, *(d.lineno for d in getattr(self.node, "decorator_list", ()))]
        )
        lines = [line.encode() for line in self.text.splitlines(keepends=True)]
        for line, col, end_line, end_col, attr in sorted(set(self.rewrites), reverse=True):
            first, last = line - start, end_line - start
            if first == last:
                lines[first] = lines[first][:col] + attr.encode() + lines[first][end_col:]
            else:
                lines[first] = lines[first][:col] + attr.encode() + lines[last][end_col:]
                del lines[first + 1 : last + 1]
        return b"".join(lines).decode()


@dataclass(slots=True)
class _Module:
    name: str
    source: str
    tree: ast.Module
    units: list[_Unit]
    binders: dict[str, list[_Unit]]
    stars: list[str]
    future: set[str]


def _bound(node: ast.AST) -> set[str]:
    """Names a top-level statement binds in the module namespace."""
    names: set[str] = set()
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {node.name}
    if isinstance(node, ast.Import | ast.ImportFrom):
        return {(a.asname or a.name.split(".")[0]) for a in node.names if a.name != "*"}
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
            names.add(child.id)
        elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(child.name)
        elif isinstance(child, ast.Import | ast.ImportFrom):
            names.update(a.asname or a.name.split(".")[0] for a in child.names if a.name != "*")
    return names


def _loads(nodes: Iterable[ast.AST | None]) -> set[str]:
    return {
        n.id
        for node in nodes
        if node is not None
        for n in ast.walk(node)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    }


def _table_globals(table: symtable.SymbolTable) -> set[str]:
    """Global names a function or class body (and everything nested in it) looks up."""
    found = {s.get_name() for s in table.get_symbols() if s.is_global() and s.is_referenced()}
    if table.get_type() == "class":
        found |= {
            s.get_name()
            for s in table.get_symbols()
            if s.is_referenced() and not s.is_assigned() and not s.is_local()
        }
    for child in table.get_children():
        found |= _table_globals(child)
    return found


def _definition_time(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> set[str]:
    """Names read when the def/class statement itself runs (decorators, defaults, bases)."""
    exprs: list[ast.AST | None] = list(node.decorator_list)
    if isinstance(node, ast.ClassDef):
        exprs += [*node.bases, *(k.value for k in node.keywords)]
    else:
        args = node.args
        exprs += [*args.defaults, *args.kw_defaults, node.returns]
        exprs += [
            a.annotation
            for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg)
            if a is not None
        ]
    return _loads(exprs)


def _segment(lines: Sequence[str], node: ast.stmt) -> str:
    start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))])
    end = node.end_lineno or node.lineno
    return "".join(lines[start - 1 : end]).rstrip() + "\n"


def _is_main_guard(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.If)
        and isinstance(node.test, ast.Compare)
        and isinstance(node.test.left, ast.Name)
        and node.test.left.id == "__name__"
    )


class _Slicer:
    def __init__(self, source: PackageSource) -> None:
        self.source = source
        self.modules: dict[str, _Module] = {}
        self.included: dict[int, _Unit] = {}
        self.order: list[_Unit] = []
        self.seen: set[tuple[str, str]] = set()
        self.unresolved: set[str] = set()
        self.aliases: list[tuple[str, str]] = []

    def module(self, name: str) -> _Module:
        if name in self.modules:
            return self.modules[name]
        if len(self.modules) >= MAX_MODULES:
            raise SliceError(
                f"the used part of {self.source.name} spans more than {MAX_MODULES} modules: "
                "not a sliver"
            )
        text = self.source.read(name)
        try:
            tree = ast.parse(text)
            table = symtable.symtable(text, name, "exec")
        except (SyntaxError, ValueError) as exc:
            raise SliceError(f"{self.source.name}: {name} does not parse: {exc}") from exc
        children = {(t.get_name(), t.get_lineno()): t for t in table.get_children()}
        lines = text.splitlines(keepends=True)
        is_package = self.source.module_file(name) is not None and str(
            self.source.module_file(name)
        ).endswith("__init__.py")
        units: list[_Unit] = []
        stars: list[str] = []
        future: set[str] = set()
        for index, node in enumerate(tree.body):
            if index == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
                continue
            if _is_main_guard(node):
                continue
            if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                future.update(a.name for a in node.names)
                continue
            unit = self._unit(name, index, node, lines, children, is_package, stars)
            if unit is not None:
                units.append(unit)
        binders: dict[str, list[_Unit]] = {}
        for unit in units:
            for bound in unit.binds:
                binders.setdefault(bound, []).append(unit)
        info = _Module(name, text, tree, units, binders, stars, future)
        self.modules[name] = info
        return info

    def _absolute(self, module: str, node: ast.ImportFrom, is_package: bool) -> str | None:
        """The absolute module an ImportFrom names, when it lies inside this distribution."""
        if node.level:
            base = module.split(".")
            if not is_package:
                base = base[:-1]
            base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
            target = ".".join([*base, *([node.module] if node.module else [])])
        else:
            target = node.module or ""
        top = target.split(".")[0]
        owned = {f.split("/")[0].removesuffix(".py") for f in self.source.files}
        return target if top in owned else None

    def _unit(
        self,
        module: str,
        index: int,
        node: ast.stmt,
        lines: Sequence[str],
        children: dict[tuple[str, int], symtable.SymbolTable],
        is_package: bool,
        stars: list[str],
    ) -> _Unit | None:
        text = _segment(lines, node)
        if isinstance(node, ast.ImportFrom):
            target = self._absolute(module, node, is_package)
            if target is not None:
                internal: dict[str, tuple[str, str]] = {}
                for alias in node.names:
                    if alias.name == "*":
                        stars.append(target)
                    else:
                        internal[alias.asname or alias.name] = (target, alias.name)
                if not internal:
                    return None
                return _Unit(module, index, node, text, frozenset(internal), frozenset(), internal)
            return _Unit(
                module, index, node, text, frozenset(_bound(node)), frozenset(), {}, external=True
            )
        if isinstance(node, ast.Import):
            owned = {f.split("/")[0].removesuffix(".py") for f in self.source.files}
            aliased = {
                a.asname: (a.name.rpartition(".")[0], a.name.rpartition(".")[2])
                for a in node.names
                if a.asname and "." in a.name and a.name.split(".")[0] in owned
            }
            mine = {
                a.asname or a.name.split(".")[0]
                for a in node.names
                if a.name.split(".")[0] in owned and a.asname not in aliased
            }
            if aliased and not mine and len(aliased) == len(node.names):
                return _Unit(module, index, node, text, frozenset(aliased), frozenset(), aliased)
            return _Unit(
                module,
                index,
                node,
                text,
                frozenset(_bound(node)),
                frozenset(),
                {},
                namespaces=frozenset(mine),
                external=not mine,
            )
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return None
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            table = children.get((node.name, node.lineno))
            needs = _definition_time(node)
            needs |= _table_globals(table) if table is not None else _loads([node])
        else:
            needs = _loads([node])
        binds = frozenset(_bound(node))
        return _Unit(module, index, node, text, binds, frozenset(needs - binds - _BUILTINS))

    def require(self, module: str, name: str, origin: str) -> None:
        key = (module, name)
        if key in self.seen:
            return
        self.seen.add(key)
        info = self.module(module)
        units = info.binders.get(name)
        if not units:
            for star in info.stars:
                if name in self.module(star).binders or self._star_has(star, name):
                    self.require(star, name, origin)
                    return
            if self.source.is_module(f"{module}.{name}"):
                raise SliceError(
                    f"{origin} uses the module {module}.{name} as an object; slicing takes "
                    "functions, classes and values"
                )
            if name not in _BUILTINS:
                self.unresolved.add(f"{module}.{name}")
            return
        for unit in units:
            if unit.internal:  # follow only the imported name asked for, not its neighbours
                self.follow(unit, name, origin)
            else:
                self.include(unit, origin)

    def follow(self, unit: _Unit, local: str, origin: str) -> None:
        target, attr = unit.internal[local]
        if self.source.is_module(f"{target}.{attr}"):
            raise SliceError(
                f"{unit.module} line {unit.node.lineno}: {origin} is the module "
                f"{target}.{attr} itself; slicing takes functions, classes and values"
            )
        self.require(target, attr, origin)
        if local != attr:
            self.aliases.append((local, attr))

    def locate(self, module: str, name: str, depth: int = 0) -> tuple[str, str]:
        """Follow re-exports to the module that defines `name`."""
        info = self.module(module)
        for unit in info.binders.get(name, []):
            if unit.internal and depth < 20:
                target, attr = unit.internal[name]
                return self.locate(target, attr, depth + 1)
            return module, name
        for star in info.stars:
            if depth < 20 and (name in self.module(star).binders or self._star_has(star, name)):
                return self.locate(star, name, depth + 1)
        return module, name

    def _star_has(self, module: str, name: str) -> bool:
        return any(name in self.module(s).binders for s in self.module(module).stars)

    def include(self, unit: _Unit, origin: str) -> None:
        if id(unit) in self.included:
            return
        self.included[id(unit)] = unit
        if unit.namespaces:
            raise SliceError(
                f"{unit.module} line {unit.node.lineno}: {origin} needs the package imported "
                f"as a namespace ({', '.join(sorted(unit.namespaces))}); not sliceable"
            )
        self.inline_local_imports(unit, origin)
        for need in sorted(unit.needs):
            namespace = self.namespace_of(unit.module, need)
            if namespace is None:
                self.require(unit.module, need, origin)
                continue
            for attr in self.flatten(unit, need, origin):
                self.require(namespace, attr, origin)
        self.order.append(unit)

    def inline_local_imports(self, unit: _Unit, origin: str) -> None:
        """Imports of the package inside a function body: require the names, drop the import."""
        if isinstance(unit.node, ast.Import | ast.ImportFrom):
            return
        module = unit.module
        path = self.source.module_file(module)
        is_package = path is not None and path.name == "__init__.py"
        for node in ast.walk(unit.node):
            if not isinstance(node, ast.ImportFrom) or node is unit.node:
                continue
            target = self._absolute(module, node, is_package)
            if target is None:
                continue
            renames = []
            for alias in node.names:
                if alias.name == "*":
                    raise SliceError(
                        f"{module} line {node.lineno}: {origin} star-imports {target} "
                        "locally; not sliceable"
                    )
                if self.source.is_module(f"{target}.{alias.name}"):
                    raise SliceError(
                        f"{module} line {node.lineno}: {origin} imports the module "
                        f"{target}.{alias.name} locally; not sliceable"
                    )
                self.require(target, alias.name, origin)
                if alias.asname and alias.asname != alias.name:
                    renames.append(f"{alias.asname} = {alias.name}")
            end = (node.end_lineno or node.lineno, node.end_col_offset or 0)
            replacement = "; ".join(renames) or "pass"
            unit.rewrites.append((node.lineno, node.col_offset, *end, replacement))

    def namespace_of(self, module: str, name: str) -> str | None:
        """The package module `name` is bound to in `module` (``from . import sub``), if any."""
        for unit in self.module(module).binders.get(name, []):
            if unit.internal and name in unit.internal:
                target, attr = unit.internal[name]
                if self.source.is_module(f"{target}.{attr}"):
                    return f"{target}.{attr}"
        return None

    def flatten(self, unit: _Unit, name: str, origin: str) -> list[str]:
        """Rewrite ``name.attr`` to ``attr`` in the unit's text; return the attrs used.

        A module object used any other way (passed around, ``name.a.b`` into a subpackage)
        cannot live in one flat module: refused.
        """
        attrs: list[str] = []
        parents = {id(c): p for p in ast.walk(unit.node) for c in ast.iter_child_nodes(p)}
        for node in ast.walk(unit.node):
            if not (isinstance(node, ast.Name) and node.id == name):
                continue
            parent = parents.get(id(node))
            if not (isinstance(parent, ast.Attribute) and isinstance(parent.ctx, ast.Load)):
                if isinstance(node.ctx, ast.Load):
                    raise SliceError(
                        f"{unit.module} line {node.lineno}: {origin} needs the module "
                        f"{name} as an object; not sliceable"
                    )
                continue
            attrs.append(parent.attr)
            end = (parent.end_lineno or parent.lineno, parent.end_col_offset or 0)
            unit.rewrites.append((parent.lineno, parent.col_offset, *end, parent.attr))
        return sorted(set(attrs))


def _resolve_symbol(source: PackageSource, symbol: str) -> tuple[str, str]:
    parts = symbol.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        module = ".".join(parts[:cut])
        if source.is_module(module):
            return module, parts[cut]
    raise SliceError(f"{symbol}: not a function, class or value of a module of {source.name}")


def _complexity(units: Iterable[_Unit]) -> int:
    total = 0
    for unit in units:
        for node in ast.walk(unit.node):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, *_BRANCHES)):
                total += 1
            elif isinstance(node, ast.BoolOp):
                total += len(node.values) - 1
    return total


def _statement_lines(source: PackageSource, units: Iterable[_Unit]) -> set[tuple[str, int]]:
    """(file, line) of every statement inside the sliced functions' bodies (for coverage)."""
    found: set[tuple[str, int]] = set()
    for unit in units:
        path = source.module_file(unit.module)
        if path is None:
            continue
        relpath = path.relative_to(source.root).as_posix()
        for func in ast.walk(unit.node):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            body = func.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                body = body[1:]
            for stmt in body:
                found.update(
                    (relpath, n.lineno)
                    for n in ast.walk(stmt)
                    if isinstance(n, ast.stmt)
                    and not isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                )
    return found


def _package_lines(source: PackageSource) -> int:
    """Lines of the package's modules (tests aside), counted cheaply from the raw bytes."""
    total = 0
    for relpath in source.files:
        if "/tests/" in f"/{relpath}" or relpath.rpartition("/")[2].startswith("test_"):
            continue
        try:
            total += (source.root / relpath).read_bytes().count(b"\n")
        except OSError:
            continue
    return total


def count_lines(text: str) -> int:
    """Count non-blank, non-comment lines."""
    return sum(
        1 for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
    )


def _symbol_info(qualified: str, name: str, units: Sequence[_Unit]) -> SymbolInfo:
    for unit in units:
        node = unit.node
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            args = node.args
            params: list[Param] = []
            positional = [*args.posonlyargs, *args.args]
            defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
            for arg, default in zip(positional, defaults, strict=True):
                kind = "positional" if arg in args.posonlyargs else "either"
                params.append(_param(arg, kind, default))
            if args.vararg:
                params.append(_param(args.vararg, "var_positional", None))
            for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
                params.append(_param(arg, "keyword", default))
            if args.kwarg:
                params.append(_param(args.kwarg, "var_keyword", None))
            return SymbolInfo(
                qualified=qualified,
                name=name,
                kind="function",
                params=tuple(params),
                doc=ast.get_docstring(node),
                returns=ast.unparse(node.returns) if node.returns else None,
            )
        if isinstance(node, ast.ClassDef) and node.name == name:
            return SymbolInfo(
                qualified=qualified, name=name, kind="class", doc=ast.get_docstring(node)
            )
    return SymbolInfo(qualified=qualified, name=name, kind="value")


def _param(arg: ast.arg, kind: str, default: ast.expr | None) -> Param:
    return Param(
        name=arg.arg,
        kind=kind,
        annotation=ast.unparse(arg.annotation) if arg.annotation else None,
        default=ast.unparse(default) if default is not None else None,
    )


def slice_package(
    source: PackageSource, symbols: Iterable[str], *, header: str = "", notice: str = ""
) -> Slice:
    """Slice the used `symbols` (fully qualified names) of `source` into one module.

    Raises:
        SliceError: a symbol is not in the package, a module does not parse, the used code
            needs a module object, or two modules define the same name differently.
    """
    if not source.pure:
        raise SliceError(
            f"{source.name} ships compiled code ({', '.join(source.native[:3])}): "
            "the slicer copies pure Python only"
        )
    wanted = sorted(set(symbols))
    if not wanted:
        raise SliceError(f"the project uses no symbol of {source.name}")
    slicer = _Slicer(source)
    exported: list[tuple[str, str, str]] = []
    for symbol in wanted:
        module, name = _resolve_symbol(source, symbol)
        slicer.require(module, name, symbol)
        exported.append((symbol, module, name))
    units = slicer.order
    owners: dict[str, _Unit] = {}
    for unit in units:
        if unit.external or unit.internal:
            continue
        for name in unit.binds:
            other = owners.setdefault(name, unit)
            if other.module != unit.module:
                raise SliceError(
                    f"{name} is defined in both {other.module} and {unit.module}: one module "
                    "cannot hold both"
                )
    imports = tuple(dict.fromkeys(u.text.strip() for u in units if u.external))
    body = [u for u in units if not u.external and not u.internal]
    future = sorted({f for m in {u.module for u in units} for f in slicer.modules[m].future})
    names = sorted({name for _s, _m, name in exported})
    parts = [f'"""{header or _default_header(source, wanted)}"""\n']
    if notice:
        parts.append("\n".join(f"# {line}".rstrip() for line in notice.splitlines()) + "\n")
    if future:
        parts.append(f"from __future__ import {', '.join(future)}\n")
    if imports:
        parts.append("\n".join(imports) + "\n")
    parts.extend(u.rendered() for u in body)
    parts.extend(f"{local} = {attr}\n" for local, attr in dict.fromkeys(slicer.aliases))
    parts.append(f"__all__ = {names!r}\n")
    code_lines = sum(count_lines(u.rendered()) for u in body)
    package_lines = _package_lines(source)
    infos = []
    for symbol, module, name in exported:
        home, attr = slicer.locate(module, name)
        info = _symbol_info(symbol, attr, slicer.modules[home].binders.get(attr, []))
        infos.append(replace(info, name=name))
    return Slice(
        package=source.name,
        version=source.version,
        text="\n\n".join(p.rstrip("\n") + "\n" for p in parts),
        symbols=tuple(infos),
        used_lines=code_lines,
        package_lines=package_lines,
        complexity=_complexity(body),
        units=len(body),
        modules=tuple(sorted({u.module for u in body})),
        imports=imports,
        unresolved=tuple(sorted(slicer.unresolved)),
        license=source.license,
        statement_lines=tuple(sorted(_statement_lines(source, body))),
    )


def _default_header(source: PackageSource, symbols: Sequence[str]) -> str:
    return (
        f"The parts of {source.name} {source.version} this project uses "
        f"({', '.join(symbols)}).\n\nSliced by Auditor from the original source; "
        "see the notice below.\n"
    )


__all__ = ["Param", "Slice", "SliceError", "SymbolInfo", "count_lines", "slice_package"]
