"""The line-based fallback: read the imports of source that `ast` rejects.

A file written for a newer Python (PEP 695 ``type X = ...`` / ``def f[T]()``, PEP 701 nested
f-strings, PEP 750 t-strings, ...) fails ``ast.parse`` on an older interpreter. Its imports
are then read by a small lexer instead: strings (triple-quoted, prefixed, f-strings with
nested replacement fields) are blanked and comments dropped, physical lines are joined into
logical lines (brackets and backslash continuations), and each statement that starts with
``import`` or ``from`` is read with a regex. Block headers are tracked by indentation, so
``if TYPE_CHECKING:`` bodies are type-only, ``try`` blocks whose ``except`` clauses catch
ImportError are optional, ``def`` bodies lazy, ``except`` bodies flagged, and dead Python 2
branches are skipped, as in the AST walk. Header
conditions and ``except`` types are still parsed with `ast` (they are old syntax). Dynamic
``import_module("x")`` calls are not recovered.

`fallback_statements` returns synthetic ``ast`` import nodes, so the AST walk's collector
turns them into records the same way as parsed ones (`auditor.imports.ast_walk`).
"""

from __future__ import annotations

import ast
import dataclasses
import re
from dataclasses import dataclass

from auditor.imports.conditions import catches_import_error, is_type_checking, python3_truth
from auditor.imports.records import StatementContext

__all__ = ["fallback_statements", "logical_lines"]

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
_TOP_LEVEL = StatementContext()


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
    return catches_import_error([ast.ExceptHandler(type=parsed, name=None, body=[])])


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
    context: StatementContext
    skip: bool


def fallback_statements(text: str) -> list[tuple[ast.Import | ast.ImportFrom, StatementContext]]:
    """Recover the import statements of source that `ast` cannot parse, with their context.

    Returns synthetic ``ast.Import`` / ``ast.ImportFrom`` nodes (``lineno`` set) and what the
    blocks they sit in make of them (type-only, optional; never approximate: callers add it).
    """
    lines = logical_lines(text)
    found: list[tuple[ast.Import | ast.ImportFrom, StatementContext]] = []
    blocks: list[_Block] = []
    # Per indentation, the last compound header there: ("if", whether its chain had a branch
    # always true on Python 3) or ("try", whether it catches ImportError); else (word, False).
    last: dict[int, tuple[str, bool]] = {}
    for index, (line, indent, code) in enumerate(lines):
        while blocks and blocks[-1].indent >= indent:
            blocks.pop()
        context = blocks[-1].context if blocks else _TOP_LEVEL
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
                if test is not None and is_type_checking(test):
                    context = dataclasses.replace(context, type_only=True)
                skip = skip or chain_true or truth is False
                last[indent] = ("if", chain_true or truth is True)
            elif word == "else":
                skip = skip or last.get(indent) == ("if", True)
            elif word == "try":
                catches = _try_catches(lines, index, indent)
                if catches:
                    context = dataclasses.replace(context, optional=True)
                last[indent] = ("try", catches)
            elif word == "except":
                optional = last.get(indent) == ("try", True)
                context = dataclasses.replace(
                    context, optional=context.optional or optional, in_except=True
                )
            elif word in ("def", "async def"):
                context = dataclasses.replace(context, lazy=True)
                last[indent] = (word, False)
            elif word != "finally":
                last[indent] = (word, False)
            blocks.append(_Block(indent, context, skip))
            code = body
        if skip:
            continue
        for statement in _split_top(code, ";"):
            statement = statement.strip()
            if statement.startswith(("import", "from")):
                found.extend((node, context) for node in _import_nodes(statement, line))
    return found
