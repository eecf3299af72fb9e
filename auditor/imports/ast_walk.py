"""The imports of one Python file: walk its AST (or the fallback's statements) into records.

Every ``.py`` file is parsed with `ast` (never imported or executed). For each import the walk
records the full dotted module, the line, the symbols used from it (``from x import a`` gives
``x.a``; ``import x`` followed by ``x.a.b(...)`` gives ``x.a.b``; ``import x.y as z`` followed
by ``z.f`` gives ``x.y.f``) and flags: ``type_only``, ``optional`` and skipped Python 2
branches (see `auditor.imports.conditions`), ``dynamic`` (``importlib.import_module("literal")``
or ``__import__("literal")``), ``relative`` (``from . import x``, always first-party) and
``star``, and where it sits: ``lazy`` (inside a function or method body, or a lambda: it runs
only when called) and ``in_except`` (inside an ``except`` handler: it runs only when something
else failed). Dynamic calls get the flags of the statement they sit in, like static imports.

A file that ``ast`` rejects with a SyntaxError -- typically newer syntax than the running
interpreter knows -- is read again by the line-based fallback (`auditor.imports.recovery`),
whose statements go through the same walk: its import sites are kept, flagged ``approximate``,
and the file still gets an error with a note saying how many imports were recovered. Files with
NUL bytes or an undecodable encoding get no fallback.

Symbols are tracked per file without scoping (a name bound by an import anywhere in the file is
followed everywhere in it): cheap, and a superset of what the code really uses.
"""

from __future__ import annotations

import ast
import dataclasses
import io
import re
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass, field

from auditor.imports.conditions import catches_import_error, is_type_checking, python3_truth
from auditor.imports.records import ImportRecord, ParsedFile, StatementContext
from auditor.imports.recovery import fallback_statements

__all__ = ["Collector", "fallback_note", "parse_python", "recover_imports"]

# ``name.attr.attr``: a dotted chain not preceded by a dot or identifier character.
_CHAIN = re.compile(rb"(?<![\w.])([A-Za-z_]\w*)((?:[ \t]*\.[ \t]*[A-Za-z_]\w*)+)")
_TOP_LEVEL = StatementContext()


@dataclass(slots=True)
class _Found:
    """An import being collected: its symbols grow while the file's text is read."""

    module: str
    line: int
    context: StatementContext
    dynamic: bool = False
    relative: bool = False
    star: bool = False
    symbols: list[str] = field(default_factory=list)
    cell: int | None = None

    def record(self) -> ImportRecord:
        """Freeze into the record kept in the cache (symbols sorted, without duplicates)."""
        context = self.context
        return ImportRecord(
            module=self.module,
            line=self.line,
            symbols=tuple(sorted(set(self.symbols))),
            type_only=context.type_only,
            optional=context.optional,
            dynamic=self.dynamic,
            relative=self.relative,
            star=self.star,
            approximate=context.approximate,
            cell=self.cell,
            lazy=context.lazy,
            in_except=context.in_except,
        )


class Collector:
    """Walks one module's AST; imports come from statements, dynamic imports from calls.

    One collector may take several trees (a notebook's cells share one namespace): `found`
    holds the imports in the order met, `records` freezes them once every text was read.
    While `scan_calls` is set, the walk also keeps every call it meets with its statement's
    context; `dynamic_calls` then records the literal dynamic imports among them (after the
    walk, so an ``import importlib`` further down still counts).
    """

    def __init__(self) -> None:
        self.found: list[_Found] = []
        self.scan_calls = False
        self.calls: list[tuple[ast.Call, StatementContext]] = []
        # bound name -> (qualified name, index in `found`)
        self.bindings: dict[str, tuple[str, int]] = {}
        self.import_module_names = {"import_module"}
        self.importlib_names = {"importlib"}

    def records(self) -> list[ImportRecord]:
        """Return the imports collected so far as records."""
        return [found.record() for found in self.found]

    def add(
        self,
        module: str,
        line: int,
        context: StatementContext,
        *,
        symbols: list[str] | None = None,
        relative: bool = False,
        star: bool = False,
        dynamic: bool = False,
    ) -> int:
        """Add one import; return its index in `found`."""
        self.found.append(_Found(module, line, context, dynamic, relative, star, symbols or []))
        return len(self.found) - 1

    def statements(self, body: Sequence[ast.stmt], context: StatementContext) -> None:
        """Walk a block of statements (simple ones hold no import unless calls are kept)."""
        if self.scan_calls:
            for node in body:
                self.statement(node, context)
            return
        statement = self.statement
        for node in body:
            if type(node) not in _NO_IMPORTS:
                statement(node, context)

    def statement(self, node: ast.stmt, context: StatementContext) -> None:
        """Walk one statement: record its imports, descend into its blocks."""
        if self.scan_calls:
            self._statement_calls(node, context)
        if isinstance(node, ast.Import):
            for alias in node.names:
                index = self.add(alias.name, node.lineno, context)
                if alias.asname:
                    self.bindings[alias.asname] = (alias.name, index)
                else:
                    top = alias.name.partition(".")[0]
                    self.bindings[top] = (top, index)
                    if top == "importlib":
                        self.importlib_names.add(top)
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            names = [a.name for a in node.names]
            symbols = [self._join(base, n) for n in names if n != "*"]
            index = self.add(
                base,
                node.lineno,
                context,
                symbols=symbols,
                relative=bool(node.level),
                star="*" in names,
            )
            for alias in node.names:
                if alias.name == "*":
                    continue
                self.bindings[alias.asname or alias.name] = (self._join(base, alias.name), index)
                if base == "importlib" and alias.name == "import_module":
                    self.import_module_names.add(alias.asname or alias.name)
        elif isinstance(node, ast.If):
            truth = python3_truth(node.test)
            inner = (
                dataclasses.replace(context, type_only=True)
                if is_type_checking(node.test)
                else context
            )
            if truth is not False:
                self.statements(node.body, inner)
            if truth is not True:
                self.statements(node.orelse, context)
        elif isinstance(node, ast.Try | ast.TryStar):
            guarded = catches_import_error(node.handlers)
            inner = dataclasses.replace(context, optional=True) if guarded else context
            self.statements(node.body, inner)
            handler_context = dataclasses.replace(inner, in_except=True)
            for handler in node.handlers:
                self.statements(handler.body, handler_context)
            # ``else:`` runs only when the guarded imports succeeded: optional like them
            # (``try: from urllib3.contrib import pyopenssl ... else: import OpenSSL``).
            self.statements(node.orelse, inner)
            self.statements(node.finalbody, context)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            lazy = context if context.lazy else dataclasses.replace(context, lazy=True)
            self.statements(node.body, lazy)
        elif isinstance(
            node,
            ast.ClassDef | ast.With | ast.AsyncWith | ast.For | ast.AsyncFor | ast.While,
        ):
            self.statements(node.body, context)
            self.statements(getattr(node, "orelse", ()), context)
        elif isinstance(node, ast.Match):
            for case in node.cases:
                self.statements(case.body, context)

    def _statement_calls(self, node: ast.stmt, context: StatementContext) -> None:
        """Keep the calls in a statement's own expressions (its blocks are walked later)."""
        calls = self.calls
        stack: list[tuple[ast.AST, StatementContext]] = []
        for _name, value in ast.iter_fields(node):
            if isinstance(value, ast.AST):
                stack.append((value, context))
            elif isinstance(value, list):
                stack.extend(
                    (item, context)
                    for item in value
                    if isinstance(item, ast.AST) and not isinstance(item, _BLOCK_ITEMS)
                )
        if isinstance(node, ast.Match):
            stack.extend((case.guard, context) for case in node.cases if case.guard is not None)
        while stack:
            current, where = stack.pop()
            if isinstance(current, ast.Call):
                calls.append((current, where))
            elif isinstance(current, ast.Lambda) and not where.lazy:
                where = dataclasses.replace(where, lazy=True)
            stack.extend((child, where) for child in ast.iter_child_nodes(current))

    @staticmethod
    def _join(base: str, name: str) -> str:
        if base.endswith(".") or not base:
            return base + name
        return f"{base}.{name}"

    def attribute_chains(self, data: bytes) -> None:
        """Record ``name.a.b`` chains on imported names, found in the source text.

        A scan of the bytes instead of a Python walk over every AST node: it is several times
        faster, and a dotted mention inside a string or comment adding a symbol is harmless
        (the symbol list is a superset by design).
        """
        bindings = self.bindings
        found = self.found
        for head, tail in _chains(data):
            bound = bindings.get(head.decode("ascii"))
            if bound is None:
                continue
            qualified, index = bound
            symbol = qualified + tail.decode("ascii").replace(" ", "")
            module = found[index].module
            if module == symbol or module.startswith(symbol + "."):
                continue  # the import statement itself (``import a.b.c``)
            found[index].symbols.append(symbol)

    def dynamic_calls(self) -> None:
        """Record the ``importlib.import_module("x")`` and ``__import__("x")`` calls kept."""
        for node, context in self.calls:
            self._dynamic(node, context)
        self.calls = []

    def _dynamic(self, node: ast.Call, context: StatementContext) -> None:
        func = node.func
        if isinstance(func, ast.Name):
            dynamic = func.id == "__import__" or func.id in self.import_module_names
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            dynamic = func.attr == "import_module" and func.value.id in self.importlib_names
        else:
            dynamic = False
        if not dynamic or not node.args:
            return
        first = node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value:
            name = first.value.strip()
            self.add(name, node.lineno, context, dynamic=True, relative=name.startswith("."))


_WORD = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_HEAD = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_DOT = 46  # b"."


def _chains(data: bytes) -> list[tuple[bytes, bytes]]:
    """Return the (head, tail) of every match of `_CHAIN` in `data`, as ``finditer`` would.

    ``finditer`` tries the pattern at every identifier of the file; this finds the dots (a
    C-speed search) and tries it only at the identifier before each dot, keeping
    ``finditer``'s leftmost, non-overlapping matches (checked equal on the standard library
    and site-packages, ~29,000 files).
    """
    out: list[tuple[bytes, bytes]] = []
    consumed = 0  # where the last match ended: nothing before it starts a match
    find = data.find
    pos = find(b".")
    while pos >= 0:
        end = pos
        while end > consumed and data[end - 1] in b" \t":
            end -= 1
        start = end
        while start > consumed and data[start - 1] in _WORD:
            start -= 1
        if (
            start < end
            and data[start] in _HEAD
            and (start == 0 or data[start - 1] != _DOT)
            and (match := _CHAIN.match(data, start)) is not None
        ):
            out.append((match.group(1), match.group(2)))
            consumed = match.end()
            pos = find(b".", consumed)
        else:
            pos = find(b".", pos + 1)
    return out


# Simple statements: no import inside them but in calls (most statements of a file).
_NO_IMPORTS = frozenset(
    {
        ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return, ast.Pass, ast.Break,
        ast.Continue, ast.Raise, ast.Delete, ast.Global, ast.Nonlocal, ast.Assert,
    }
)  # fmt: skip
# Statements and handlers inside a compound statement: walked as blocks, not as expressions.
_BLOCK_ITEMS = (ast.stmt, ast.ExceptHandler, ast.match_case)


def _records_for_tree(tree: ast.Module, data: bytes) -> list[ImportRecord]:
    collector = Collector()
    collector.scan_calls = b"import_module" in data or b"__import__" in data
    collector.statements(tree.body, _TOP_LEVEL)
    if collector.scan_calls:
        collector.dynamic_calls()
    if collector.bindings:
        collector.attribute_chains(data)
    return collector.records()


def recover_imports(text: str) -> list[ImportRecord]:
    """Return the import records the line-based fallback reads from `text`.

    Every record is flagged approximate; symbols come from attribute chains as usual.
    """
    collector = Collector()
    for node, context in fallback_statements(text):
        collector.statement(node, dataclasses.replace(context, approximate=True))
    if collector.bindings:
        collector.attribute_chains(text.encode("utf-8"))
    return collector.records()


def fallback_note(count: int) -> str:
    """Return the note added to a syntax error when the fallback recovered `count` imports."""
    return f"{count} import(s) recovered by the line-based fallback (approximate)"


def _error_line(exc: SyntaxError) -> int | None:
    return exc.lineno if isinstance(exc.lineno, int) else None


def _decoded(data: bytes) -> str | None:
    """Decode Python source bytes as the compiler would (BOM, PEP 263 cookie); None if not."""
    try:
        encoding, _lines = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError):
        return None


def parse_python(data: bytes) -> ParsedFile:
    """Parse one Python file's bytes into its import records, or say why it failed.

    The bytes are handed to the compiler as they are, so PEP 263 coding cookies and BOMs are
    honoured exactly as Python would.
    """
    if b"\x00" in data:
        return ParsedFile(error="file contains NUL bytes")
    try:
        tree = ast.parse(data, type_comments=False)
    except SyntaxError as exc:
        message = f"syntax error: {exc.msg}"
        text = _decoded(data)  # undecodable source (also a SyntaxError) gets no fallback
        records = recover_imports(text) if text is not None else []
        if records:
            message += f"; {fallback_note(len(records))}"
        return ParsedFile(imports=tuple(records), error=message, error_line=_error_line(exc))
    except (ValueError, UnicodeDecodeError, LookupError) as exc:
        return ParsedFile(error=f"cannot decode: {exc}")
    except (RecursionError, MemoryError):
        # ``"1+" * 10**6`` and friends exhaust the compiler: a problem of this file only.
        return ParsedFile(error=TOO_DEEP)
    try:
        return ParsedFile(imports=tuple(_records_for_tree(tree, data)))
    except RecursionError:
        return ParsedFile(error=TOO_DEEP)


TOO_DEEP = "syntax error: nested too deeply (or too large) for the Python parser"
