"""Scan Python files and notebooks for imports: which modules, which symbols, and where.

Every ``.py`` file is parsed with `ast` (never imported or executed); the code cells of
``.ipynb`` notebooks are parsed the same way after IPython magics (``%``, ``!``, ``?`` lines)
are blanked out. For each import the scan records the full dotted module, the line, the
symbols used from it (``from x import a`` gives ``x.a``; ``import x`` followed by ``x.a.b(...)``
gives ``x.a.b``; ``import x.y as z`` followed by ``z.f`` gives ``x.y.f``) and flags:

* ``type_only``: inside ``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``);
* ``optional``: inside a ``try`` whose handlers catch ImportError / ModuleNotFoundError (a bare
  ``except`` too), in the body or in the fallback handler;
* ``dynamic``: ``importlib.import_module("literal")`` or ``__import__("literal")``;
* ``relative``: ``from . import x`` (always first-party).

Branches that never run on Python 3 are skipped: the body of ``if PY2:`` / ``if
sys.version_info[0] < 3:`` / ``if sys.version_info < (3,):`` (and the ``else`` of their Python 3
forms), where compatibility code imports ``urllib2`` or ``StringIO``. Only comparisons decided
by the major version alone count; ``sys.version_info < (3, 11)`` is left alone.

A file (or notebook cell) that ``ast`` rejects with a SyntaxError -- typically newer syntax
than the running interpreter knows (PEP 695, PEP 701, PEP 750) -- is read again by a
conservative line-based fallback (`fallback_statements`): its import sites are kept, flagged
``approximate``, and the file is still listed among the scan errors with a note saying how
many imports were recovered. Files with NUL bytes or an undecodable encoding get no fallback.

Symbols are tracked per file without scoping (a name bound by an import anywhere in the file is
followed everywhere in it): cheap, and a superset of what the code really uses.

Results are cached by the sha256 of each file's bytes (namespace ``imports:v2`` of the shared
cache, read and written in batches), so a warm re-scan parses only the files that changed. Cold
scans of many files run in a process pool, in chunks; small scans stay serial because starting
workers costs more than it saves.
"""

from __future__ import annotations

import ast
import contextlib
import gc
import hashlib
import io
import json
import logging
import os
import re
import tokenize
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from auditor.cache import Cache

log = logging.getLogger(__name__)

CACHE_NAMESPACE = "imports:v2"
# Bump when the shape or meaning of a cached record changes (it is part of every cache key).
SCANNER_VERSION = "5"
# Below this many files to parse, a process pool costs more than it saves.
PARALLEL_THRESHOLD = 400
_CHUNK = 250

_TYPE_ONLY = 1
_OPTIONAL = 2
_DYNAMIC = 4
_RELATIVE = 8
_STAR = 16
_APPROX = 32

# ``name.attr.attr``: a dotted chain not preceded by a dot or identifier character.
_CHAIN = re.compile(rb"(?<![\w.])([A-Za-z_]\w*)((?:[ \t]*\.[ \t]*[A-Za-z_]\w*)+)")
_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError"})


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportSite:
    """One import statement (or dynamic import call) in one file.

    `module` is the full dotted module as written (for a relative import, the dots are kept:
    ``.models``); `top` its first component (empty for ``from . import x``). `symbols` are
    fully qualified names used from the module. `line` is 1-based; in a notebook it counts the
    lines of the code cells joined in order, and `cell` is the 0-based index of the code cell.
    `approximate` is set when the file did not parse and the site was read by the line-based
    fallback (see `fallback_statements`).
    """

    module: str
    top: str
    path: str
    line: int
    symbols: tuple[str, ...] = ()
    type_only: bool = False
    optional: bool = False
    dynamic: bool = False
    relative: bool = False
    star: bool = False
    cell: int | None = None
    approximate: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanError:
    """A file that could not be scanned (syntax error, bad encoding, NUL bytes, unreadable).

    `recovered` counts the import sites the line-based fallback still read from a file with a
    syntax error (they are in the scan result, flagged approximate); the message says so too.
    """

    path: str
    line: int | None
    message: str
    recovered: int = 0

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form used in the report's ``import_errors`` section."""
        data: dict[str, Any] = {"path": self.path, "line": self.line, "message": self.message}
        if self.recovered:
            data["recovered_imports"] = self.recovered
        return data


@dataclass(slots=True)
class ScanResult:
    """Every import site found, the files that failed, and how much work the cache saved."""

    sites: list[ImportSite] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)
    files: int = 0
    parsed: int = 0
    cached: int = 0


# --- parsing one file -------------------------------------------------------------------------


def _is_type_checking(test: ast.expr) -> bool:
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


def _catches_import_error(handlers: list[ast.ExceptHandler]) -> bool:
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


class _Collector:
    """Walks one module's AST; imports come from statements, dynamic imports from calls."""

    def __init__(self) -> None:
        # record: [module, line, flags, symbols(list)] -- JSON-ready for the cache
        self.records: list[list[Any]] = []
        # bound name -> (qualified name, record index)
        self.bindings: dict[str, tuple[str, int]] = {}
        self.import_module_names = {"import_module"}
        self.importlib_names = {"importlib"}

    def add(self, module: str, line: int, flags: int, symbols: list[str]) -> int:
        self.records.append([module, line, flags, symbols])
        return len(self.records) - 1

    def statements(self, body: Sequence[ast.stmt], flags: int) -> None:
        for node in body:
            self.statement(node, flags)

    def statement(self, node: ast.stmt, flags: int) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                index = self.add(alias.name, node.lineno, flags, [])
                if alias.asname:
                    self.bindings[alias.asname] = (alias.name, index)
                else:
                    top = alias.name.partition(".")[0]
                    self.bindings[top] = (top, index)
                    if top == "importlib":
                        self.importlib_names.add(top)
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            extra = _RELATIVE if node.level else 0
            names = [a.name for a in node.names]
            if "*" in names:
                extra |= _STAR
            symbols = [self._join(base, n) for n in names if n != "*"]
            index = self.add(base, node.lineno, flags | extra, symbols)
            for alias in node.names:
                if alias.name == "*":
                    continue
                self.bindings[alias.asname or alias.name] = (self._join(base, alias.name), index)
                if base == "importlib" and alias.name == "import_module":
                    self.import_module_names.add(alias.asname or alias.name)
        elif isinstance(node, ast.If):
            truth = python3_truth(node.test)
            inner = flags | _TYPE_ONLY if _is_type_checking(node.test) else flags
            if truth is not False:
                self.statements(node.body, inner)
            if truth is not True:
                self.statements(node.orelse, flags)
        elif isinstance(node, ast.Try | ast.TryStar):
            inner = flags | _OPTIONAL if _catches_import_error(node.handlers) else flags
            self.statements(node.body, inner)
            for handler in node.handlers:
                self.statements(handler.body, inner)
            self.statements(node.orelse, flags)
            self.statements(node.finalbody, flags)
        elif isinstance(
            node,
            ast.FunctionDef
            | ast.AsyncFunctionDef
            | ast.ClassDef
            | ast.With
            | ast.AsyncWith
            | ast.For
            | ast.AsyncFor
            | ast.While,
        ):
            self.statements(node.body, flags)
            self.statements(getattr(node, "orelse", ()), flags)
        elif isinstance(node, ast.Match):
            for case in node.cases:
                self.statements(case.body, flags)

    @staticmethod
    def _join(base: str, name: str) -> str:
        if base.endswith(".") or not base:
            return base + name
        return f"{base}.{name}"

    def attribute_chains(self, data: bytes) -> None:
        """Record ``name.a.b`` chains on imported names, found in the source text.

        A C-speed regex over the bytes instead of a Python walk over every AST node: it is
        several times faster, and a dotted mention inside a string or comment adding a symbol
        is harmless (the symbol list is a superset by design).
        """
        bindings = self.bindings
        records = self.records
        for match in _CHAIN.finditer(data):
            head = match.group(1).decode("ascii")
            bound = bindings.get(head)
            if bound is None:
                continue
            qualified, index = bound
            tail = match.group(2).decode("ascii").replace(" ", "")
            symbol = qualified + tail
            module = records[index][0]
            if module == symbol or module.startswith(symbol + "."):
                continue  # the import statement itself (``import a.b.c``)
            records[index][3].append(symbol)

    def dynamic_calls(self, tree: ast.AST) -> None:
        """Find ``importlib.import_module("x")`` and ``__import__("x")`` calls."""
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                self._dynamic(node)

    def _dynamic(self, node: ast.Call) -> None:
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
            flags = _DYNAMIC | (_RELATIVE if name.startswith(".") else 0)
            self.add(name, node.lineno, flags, [])


def _records_for_tree(tree: ast.Module, data: bytes) -> list[list[Any]]:
    collector = _Collector()
    collector.statements(tree.body, 0)
    if b"import_module" in data or b"__import__" in data:
        collector.dynamic_calls(tree)
    if collector.bindings:
        collector.attribute_chains(data)
    for record in collector.records:
        record[3] = sorted(set(record[3]))
    return collector.records


def _error_line(exc: SyntaxError) -> int | None:
    return exc.lineno if isinstance(exc.lineno, int) else None


# --- the line-based fallback for syntax this interpreter does not know -----------------------
#
# A file written for a newer Python (PEP 695 ``type X = ...`` / ``def f[T]()``, PEP 701 nested
# f-strings, PEP 750 t-strings, ...) fails ``ast.parse`` on an older interpreter. Its imports
# are then read by a small lexer instead: strings (triple-quoted, prefixed, f-strings with
# nested replacement fields) are blanked and comments dropped, physical lines are joined into
# logical lines (brackets and backslash continuations), and each statement that starts with
# ``import`` or ``from`` is read with a regex. Block headers are tracked by indentation, so
# ``if TYPE_CHECKING:`` bodies are type-only, ``try`` blocks whose ``except`` clauses catch
# ImportError are optional, and dead Python 2 branches are skipped, as in the AST walk. Header
# conditions and ``except`` types are still parsed with `ast` (they are old syntax). Dynamic
# ``import_module("x")`` calls are not recovered.

_STRING_PREFIXES = frozenset(
    p
    for base in ("r", "u", "b", "f", "t", "br", "rb", "fr", "rf", "tr", "rt")
    for p in {base, base.upper(), base.capitalize(), base[::-1].capitalize()}
)
_FORMAT_PREFIX_LETTERS = frozenset("fFtT")
_WORD = re.compile(r"\w+")
_CODE_PLAIN = re.compile(r"[^\w\s'\"#\\()\[\]{}]+| +")
_STRING_STOP = re.compile(r"[\\\n'\"]")
_FSTRING_STOP = re.compile(r"[\\\n'\"{]")
_NAME = r"[^\W\d]\w*"
_DOTTED = rf"{_NAME}(?:\s*\.\s*{_NAME})*"
_IMPORT_STMT = re.compile(r"import\b\s*(.*)", re.DOTALL)
_FROM_STMT = re.compile(rf"from\b\s*((?:\.\s*)*)({_DOTTED})?\s*\bimport\b\s*(.*)", re.DOTALL)
_ALIAS = re.compile(rf"({_DOTTED})(?:\s+as\s+({_NAME}))?")
_FROM_ALIAS = re.compile(rf"(\*|{_NAME})(?:\s+as\s+({_NAME}))?")
_HEADER = re.compile(
    r"(if|elif|else|try|except|finally|while|for|with|def|class|match|case"
    r"|async\s+(?:def|for|with))\b\*?"
)
# Inside brackets in valid code, a line never starts with these; in a file with an unclosed
# bracket they end the runaway logical line (error recovery, so one typo does not hide the rest).
_STATEMENT_START = re.compile(
    rf"[ \t\f]*(?:import\s+{_NAME}|from\s+[.\w][.\w \t]*\simport\b|from\s*\.+\s*import\b"
    rf"|(?:async\s+)?def\s+{_NAME}\s*[(\[]|class\s+{_NAME}\s*[(:\[])"
)
_AS_NAME = re.compile(rf"\s+as\s+{_NAME}\s*$")


def _skip_string(text: str, i: int, formatted: bool) -> int:
    """Return the index just past the string literal whose opening quote is at `i`.

    An unterminated single-quoted string ends at its line's end; an unterminated triple-quoted
    one swallows the rest of the file (so nothing inside it is read as an import).
    """
    quote = text[i]
    delim = quote * 3 if text.startswith(quote * 3, i) else quote
    i += len(delim)
    stop = _FSTRING_STOP if formatted else _STRING_STOP
    n = len(text)
    while True:
        found = stop.search(text, i)
        if found is None:
            return n
        i = found.start()
        char = text[i]
        if char == "\\":
            i += 2
        elif char == "\n":
            if len(delim) == 1:
                return i
            i += 1
        elif char == "{":
            i = i + 2 if text.startswith("{{", i) else _skip_field(text, i + 1)
        elif text.startswith(delim, i):
            return i + len(delim)
        else:
            i += 1


def _skip_field(text: str, i: int) -> int:
    """Return the index just past the ``}`` closing an f-string replacement field at `i`."""
    depth = 0
    n = len(text)
    while i < n:
        char = text[i]
        if char in "([{":
            depth += 1
        elif char in ")]}":
            if depth == 0:
                return i + 1
            depth -= 1
        elif char in "'\"":
            i = _skip_string(text, i, formatted=False)
            continue
        elif char == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        elif char == ":" and depth == 0:
            return _skip_format_spec(text, i + 1)
        elif char == "_" or char.isalpha():
            word = _WORD.match(text, i)
            end = word.end() if word else i + 1
            if end < n and text[end] in "'\"" and text[i:end] in _STRING_PREFIXES:
                formatted = not _FORMAT_PREFIX_LETTERS.isdisjoint(text[i:end])
                i = _skip_string(text, end, formatted)
            else:
                i = end
            continue
        i += 1
    return n


def _skip_format_spec(text: str, i: int) -> int:
    """Skip a format spec (literal text with nested fields) up to the field's closing ``}``."""
    n = len(text)
    while i < n:
        char = text[i]
        if char == "{":
            i = _skip_field(text, i + 1)
            continue
        if char == "}":
            return i + 1
        if char in "'\"\n":
            return i  # the string ends here: leave its quote (or newline) to the caller
        i += 1
    return n


def logical_lines(text: str) -> list[tuple[int, int, str]]:
    """Split source text into logical lines: ``(first line, indent column, code)``.

    String literals become ``""`` and comments are dropped, so the code holds no text that
    could look like an import; bracketed and backslash-continued lines are joined.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out: list[tuple[int, int, str]] = []
    buf: list[str] = []
    depth = 0
    line = 1
    start = 1
    indent = 0
    i = 0
    n = len(text)
    while i < n:
        char = text[i]
        if char == "\n":
            line += 1
            i += 1
            if depth and _STATEMENT_START.match(text, i):
                depth = 0
            if depth == 0:
                if buf:
                    out.append((start, indent, " ".join("".join(buf).split())))
                    buf = []
            elif buf:
                buf.append(" ")
            continue
        if char in " \t\f":
            i += 1
            if buf:
                buf.append(" ")
            continue
        if char == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        if char == "\\":
            if text.startswith("\n", i + 1):
                line += 1
                i += 2
                if buf:
                    buf.append(" ")
                continue
            i += 1
            continue
        if not buf:
            start = line
            bol = text.rfind("\n", 0, i) + 1
            indent = len(text[bol:i].expandtabs(8))
        if char in "'\"":
            end = _skip_string(text, i, formatted=False)
            line += text.count("\n", i, end)
            buf.append('""')
            i = end
        elif char == "_" or char.isalnum():
            word = _WORD.match(text, i)
            end = word.end() if word else i + 1
            if end < n and text[end] in "'\"" and text[i:end] in _STRING_PREFIXES:
                formatted = not _FORMAT_PREFIX_LETTERS.isdisjoint(text[i:end])
                stop = _skip_string(text, end, formatted)
                line += text.count("\n", end, stop)
                buf.append('""')
                i = stop
            else:
                buf.append(text[i:end])
                i = end
        elif char in "([{":
            depth += 1
            buf.append(char)
            i += 1
        elif char in ")]}":
            depth = max(0, depth - 1)
            buf.append(char)
            i += 1
        else:
            plain = _CODE_PLAIN.match(text, i)
            end = plain.end() if plain else i + 1
            buf.append(text[i:end])
            i = end
    if buf:
        out.append((start, indent, " ".join("".join(buf).split())))
    return out


def _split_top(code: str, sep: str) -> list[str]:
    """Split blanked code on `sep` outside brackets (``:`` skips walrus ``:=``)."""
    parts: list[str] = []
    depth = 0
    last = 0
    for index, char in enumerate(code):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(0, depth - 1)
        elif char == sep and depth == 0 and not (sep == ":" and code[index + 1 : index + 2] == "="):
            parts.append(code[last:index])
            last = index + 1
            if sep == ":":
                break
    parts.append(code[last:])
    return parts


def _expression(source: str) -> ast.expr | None:
    try:
        return ast.parse(source.strip(), mode="eval").body
    except (SyntaxError, ValueError):
        return None


def _except_catches(header: str) -> bool:
    """Whether an ``except ...`` header (blanked code, no colon) catches ImportError."""
    kind = _AS_NAME.sub("", header.removeprefix("except").lstrip("*")).strip()
    if not kind:
        return True
    parsed = _expression(kind)
    if parsed is None:
        return False
    return _catches_import_error([ast.ExceptHandler(type=parsed, name=None, body=[])])


def _import_nodes(statement: str, line: int) -> list[ast.Import | ast.ImportFrom]:
    """Read one ``import ...`` or ``from ... import ...`` statement (blanked code)."""
    found = _FROM_STMT.fullmatch(statement)
    if found is not None:
        dots, module, names = found.groups()
        names = names.strip()
        if names.startswith("(") and names.endswith(")"):
            names = names[1:-1]
        aliases = []
        for part in names.split(","):
            alias = _FROM_ALIAS.fullmatch(part.strip())
            if alias is not None:
                aliases.append(ast.alias(name=alias.group(1), asname=alias.group(2)))
        if not aliases:
            return []
        dotted = re.sub(r"\s+", "", module) if module else None
        level = dots.count(".")
        return [ast.ImportFrom(module=dotted, names=aliases, level=level, lineno=line)]
    found = _IMPORT_STMT.fullmatch(statement)
    if found is None:
        return []
    nodes: list[ast.Import | ast.ImportFrom] = []
    for part in found.group(1).split(","):
        alias = _ALIAS.fullmatch(part.strip())
        if alias is not None:
            name = re.sub(r"\s+", "", alias.group(1))
            nodes.append(
                ast.Import(names=[ast.alias(name=name, asname=alias.group(2))], lineno=line)
            )
    return nodes


def _try_catches(lines: list[tuple[int, int, str]], index: int, indent: int) -> bool:
    """Whether the ``try`` on logical line `index` has an ``except`` catching ImportError."""
    catches = False
    for _line, other_indent, code in lines[index + 1 :]:
        if other_indent > indent:
            continue
        if other_indent < indent:
            break
        head = _HEADER.match(code)
        word = head.group(1) if head else ""
        if word != "except":
            break
        catches = catches or _except_catches(_split_top(code, ":")[0])
    return catches


@dataclass(slots=True)
class _Block:
    indent: int
    flags: int
    skip: bool


def fallback_statements(text: str) -> list[tuple[ast.Import | ast.ImportFrom, int]]:
    """Recover the import statements of source that `ast` cannot parse, with their flags.

    Returns synthetic ``ast.Import`` / ``ast.ImportFrom`` nodes (``lineno`` set) and the
    type-only / optional flags of the blocks they sit in.
    """
    lines = logical_lines(text)
    found: list[tuple[ast.Import | ast.ImportFrom, int]] = []
    blocks: list[_Block] = []
    # Per indentation, the last compound header there: ("if", whether its chain had a branch
    # always true on Python 3) or ("try", whether it catches ImportError); else (word, False).
    last: dict[int, tuple[str, bool]] = {}
    for index, (line, indent, code) in enumerate(lines):
        while blocks and blocks[-1].indent >= indent:
            blocks.pop()
        flags = blocks[-1].flags if blocks else 0
        skip = bool(blocks) and blocks[-1].skip
        head = _HEADER.match(code)
        parts = _split_top(code, ":") if head else [code]
        if head is not None and len(parts) == 2:
            header, body = parts
            word = head.group(1)
            if word in ("if", "elif"):
                chain_true = word == "elif" and last.get(indent) == ("if", True)
                test = _expression(header[len(word) :])
                truth = None if test is None else python3_truth(test)
                if test is not None and _is_type_checking(test):
                    flags |= _TYPE_ONLY
                skip = skip or chain_true or truth is False
                last[indent] = ("if", chain_true or truth is True)
            elif word == "else":
                skip = skip or last.get(indent) == ("if", True)
            elif word == "try":
                catches = _try_catches(lines, index, indent)
                flags |= _OPTIONAL if catches else 0
                last[indent] = ("try", catches)
            elif word == "except":
                flags |= _OPTIONAL if last.get(indent) == ("try", True) else 0
            elif word != "finally":
                last[indent] = (word, False)
            blocks.append(_Block(indent, flags, skip))
            code = body
        if skip:
            continue
        for statement in _split_top(code, ";"):
            statement = statement.strip()
            if statement.startswith(("import", "from")):
                found.extend((node, flags) for node in _import_nodes(statement, line))
    return found


def recover_imports(text: str) -> list[list[Any]]:
    """Return import records (the cache form) read by the line-based fallback from `text`.

    Every record is flagged approximate; symbols come from attribute chains as usual.
    """
    collector = _Collector()
    for node, flags in fallback_statements(text):
        collector.statement(node, flags | _APPROX)
    if collector.bindings:
        collector.attribute_chains(text.encode("utf-8"))
    for record in collector.records:
        record[3] = sorted(set(record[3]))
    return collector.records


def _decoded(data: bytes) -> str | None:
    """Decode Python source bytes as the compiler would (BOM, PEP 263 cookie); None if not."""
    try:
        encoding, _lines = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError):
        return None


def _fallback_note(count: int) -> str:
    return f"{count} import(s) recovered by the line-based fallback (approximate)"


def parse_python(data: bytes) -> dict[str, Any]:
    """Parse one Python file's bytes; return ``{"imports": [...]}`` or ``{"error": ...}``.

    The bytes are handed to the compiler as they are, so PEP 263 coding cookies and BOMs are
    honoured exactly as Python would.
    """
    if b"\x00" in data:
        return {"error": "file contains NUL bytes", "line": None}
    try:
        tree = ast.parse(data, type_comments=False)
    except SyntaxError as exc:
        failed: dict[str, Any] = {"error": f"syntax error: {exc.msg}", "line": _error_line(exc)}
        text = _decoded(data)  # undecodable source (also a SyntaxError) gets no fallback
        records = recover_imports(text) if text is not None else []
        if records:
            failed["error"] += f"; {_fallback_note(len(records))}"
            failed["imports"] = records
            failed["recovered"] = len(records)
        return failed
    except (ValueError, UnicodeDecodeError, LookupError) as exc:
        return {"error": f"cannot decode: {exc}", "line": None}
    return {"imports": _records_for_tree(tree, data)}


_MAGIC_PREFIXES = ("%", "!", "?")


def notebook_code(data: bytes) -> list[str]:
    """Return the source of each code cell of a notebook, magics blanked (raises ValueError)."""
    try:
        doc = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"not a JSON notebook: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("cells", []), list):
        raise ValueError("not a notebook: no cells list")  # noqa: TRY004 - bad input, not a bug
    cells: list[str] = []
    for cell in doc.get("cells", []):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else str(source)
        lines = []
        for line in text.splitlines():
            stripped = line.lstrip()
            # Magics, shell escapes and help lookups are not Python: keep the line count.
            blank = stripped.startswith(_MAGIC_PREFIXES) or stripped.endswith("?")
            lines.append("" if blank else line)
        cells.append("\n".join(lines) + "\n")
    return cells


def parse_notebook(data: bytes) -> dict[str, Any]:
    """Parse a notebook's code cells; a cell that does not parse is skipped and reported."""
    try:
        cells = notebook_code(data)
    except ValueError as exc:
        return {"error": str(exc), "line": None}
    # One collector for all cells: they share one namespace, so a name imported in one cell
    # and used in another still yields its symbols.
    collector = _Collector()
    problems: list[str] = []
    recovered_counts: list[int] = []
    parsed_code: list[str] = []
    offset = 0
    for index, code in enumerate(cells):
        try:
            tree = ast.parse(code)
        except SyntaxError as exc:
            first = len(collector.records)
            for node, flags in fallback_statements(code):
                collector.statement(node, flags | _APPROX)
            recovered = collector.records[first:]
            for record in recovered:
                record[1] += offset
                record.append(index)
            note = f"; {_fallback_note(len(recovered))}" if recovered else ""
            problems.append(f"code cell {index}: syntax error: {exc.msg}{note}")
            recovered_counts.append(len(recovered))
            parsed_code.append(code)
        else:
            first = len(collector.records)
            collector.statements(tree.body, 0)
            if "import_module" in code or "__import__" in code:
                collector.dynamic_calls(tree)
            for record in collector.records[first:]:
                record[1] += offset
                record.append(index)
            parsed_code.append(code)
        offset += code.count("\n")
    if collector.bindings:
        collector.attribute_chains("".join(parsed_code).encode("utf-8"))
    for record in collector.records:
        record[3] = sorted(set(record[3]))
    result: dict[str, Any] = {"imports": collector.records}
    if problems:
        result["cell_errors"] = problems
        if any(recovered_counts):
            result["cell_recovered"] = recovered_counts
    return result


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC: AST nodes hold no cycles, and its passes cost a third of the time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _parse(relpath: str, data: bytes) -> dict[str, Any]:
    return parse_notebook(data) if relpath.endswith(".ipynb") else parse_python(data)


def _digest(data: bytes, relpath: str) -> str:
    kind = "nb" if relpath.endswith(".ipynb") else "py"
    return f"{SCANNER_VERSION}:{kind}:{hashlib.sha256(data).hexdigest()}"


def _parse_chunk(root: str, relpaths: list[str]) -> list[tuple[str, str, dict[str, Any]]]:
    """Worker: read, hash and parse each file; returns (relpath, digest, parsed)."""
    out: list[tuple[str, str, dict[str, Any]]] = []
    with _gc_paused():
        for relpath in relpaths:
            _parse_one(root, relpath, out)
    return out


def _parse_one(root: str, relpath: str, out: list[tuple[str, str, dict[str, Any]]]) -> None:
    try:
        data = Path(root, relpath).read_bytes()
    except OSError as exc:
        out.append((relpath, "", {"error": f"cannot read: {exc.strerror}", "line": None}))
        return
    out.append((relpath, _digest(data, relpath), _parse(relpath, data)))


# --- scanning many files ----------------------------------------------------------------------


def _sites(relpath: str, parsed: dict[str, Any], result: ScanResult) -> None:
    if "error" in parsed:
        result.errors.append(
            ScanError(
                path=relpath,
                line=parsed.get("line"),
                message=parsed["error"],
                recovered=parsed.get("recovered", 0),
            )
        )
        if "imports" not in parsed:  # the fallback recovered nothing
            return
    problems = parsed.get("cell_errors", ())
    counts = parsed.get("cell_recovered") or [0] * len(problems)
    for problem, count in zip(problems, counts, strict=True):
        result.errors.append(ScanError(path=relpath, line=None, message=problem, recovered=count))
    append = result.sites.append
    for record in parsed["imports"]:
        module, line, flags, symbols = record[0], record[1], record[2], record[3]
        if flags == 0 and len(record) == 4:
            # The common case, kept lean: a warm scan builds tens of thousands of these.
            append(
                ImportSite(
                    module=module,
                    top=module.partition(".")[0],
                    path=relpath,
                    line=line,
                    symbols=tuple(symbols),
                )
            )
            continue
        relative = bool(flags & _RELATIVE)
        append(
            ImportSite(
                module=module,
                top="" if relative else module.partition(".")[0],
                path=relpath,
                line=line,
                symbols=tuple(symbols),
                type_only=bool(flags & _TYPE_ONLY),
                optional=bool(flags & _OPTIONAL),
                dynamic=bool(flags & _DYNAMIC),
                relative=relative,
                star=bool(flags & _STAR),
                cell=record[4] if len(record) > 4 else None,
                approximate=bool(flags & _APPROX),
            )
        )


def _run_pool(
    root: Path, todo: list[str], workers: int
) -> Iterable[tuple[str, str, dict[str, Any]]]:
    chunks = [todo[i : i + _CHUNK] for i in range(0, len(todo), _CHUNK)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for done in pool.map(_parse_chunk, [str(root)] * len(chunks), chunks):
            yield from done


def default_workers() -> int:
    """Return the worker count for cold scans: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def scan_files(
    root: Path,
    python_files: Sequence[str],
    *,
    notebooks: Sequence[str] = (),
    cache: Cache | None = None,
    workers: int | None = None,
) -> ScanResult:
    """Scan `python_files` and `notebooks` (repo-relative) under `root` for imports.

    Files whose bytes were scanned before come from `cache`; the rest are parsed, in a process
    pool when there are at least `PARALLEL_THRESHOLD` of them and `workers` allows (default:
    the usable CPUs), and written back to the cache in one batch.
    """
    result = ScanResult()
    paths = [*python_files, *notebooks]
    result.files = len(paths)
    digests: dict[str, str] = {}
    contents: dict[str, bytes] = {}
    base = str(root)
    for relpath in paths:
        try:
            # os.path and open() rather than pathlib: this loop runs once per file per scan.
            with open(os.path.join(base, relpath), "rb") as handle:  # noqa: PTH118, PTH123
                data = handle.read()
        except OSError as exc:
            result.errors.append(
                ScanError(path=relpath, line=None, message=f"cannot read: {exc.strerror}")
            )
            continue
        digests[relpath] = _digest(data, relpath)
        contents[relpath] = data
    known: dict[str, Any] = {}
    if cache is not None and digests:
        known = cache.get_many(CACHE_NAMESPACE, sorted(set(digests.values())))
    todo = [rel for rel, dig in digests.items() if dig not in known]
    result.cached = len(digests) - len(todo)
    result.parsed = len(todo)
    workers = default_workers() if workers is None else max(1, workers)
    parsed_items: Iterable[tuple[str, str, dict[str, Any]]]
    pooled: list[tuple[str, str, dict[str, Any]]] | None = None
    if workers > 1 and len(todo) >= PARALLEL_THRESHOLD:
        # Workers re-read their files (cheaper than pickling the bytes) and hash what they
        # read, so a file changed mid-scan is cached under the content actually parsed.
        try:
            pooled = list(_run_pool(root, todo, workers))
        except (BrokenProcessPool, OSError) as exc:
            log.warning("import scan: process pool unavailable (%s); scanning serially", exc)
    if pooled is not None:
        parsed_items = pooled
    else:
        with _gc_paused():
            parsed_items = [(rel, digests[rel], _parse(rel, contents[rel])) for rel in todo]
    fresh: dict[str, Any] = {}
    parsed_by_path: dict[str, dict[str, Any]] = {}
    for relpath, digest, parsed in parsed_items:
        parsed_by_path[relpath] = parsed
        if digest:  # parse errors depend on the content only, so they are cached too
            fresh[digest] = parsed
    if cache is not None and fresh:
        cache.set_many(CACHE_NAMESPACE, fresh)
    for relpath in paths:
        if relpath in parsed_by_path:
            _sites(relpath, parsed_by_path[relpath], result)
        elif relpath in digests:
            _sites(relpath, known[digests[relpath]], result)
    for error in result.errors:
        if error.recovered:
            log.warning("%s: imports read approximately: %s", error.path, error.message)
        else:
            log.warning("%s: imports not scanned: %s", error.path, error.message)
    return result


__all__ = [
    "CACHE_NAMESPACE",
    "ImportSite",
    "ScanError",
    "ScanResult",
    "default_workers",
    "fallback_statements",
    "logical_lines",
    "notebook_code",
    "parse_notebook",
    "parse_python",
    "recover_imports",
    "scan_files",
]
