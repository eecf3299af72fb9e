"""Find the 1-based line of keys and string values in TOML and JSON texts.

``tomli`` and ``json`` return no positions, so every TOML/JSON parser in this package
parses the data with the standard library and then asks an index built here where each item
was written. The scanners below are small lexers: they understand strings (including
multi-line ones), comments, tables and nesting well enough that a ``name = "x"`` inside a
multi-line string or a comment is never mistaken for a key. They never raise: on text they do
not understand they simply find fewer positions (the caller then reports ``line=None``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

__all__ = ["JsonLineIndex", "TomlEntry", "TomlLineIndex"]

KeyPath = tuple[str, ...]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_WS = " \t"


@dataclass(slots=True)
class TomlEntry:
    """One ``key = value`` occurrence.

    `path` is the full key path (table header + dotted key, inline tables nested);
    `element` is the index of the enclosing array-of-tables element of the outermost
    ``[[...]]`` header that prefixes `path` (None outside arrays of tables); `items` are the
    string literals written directly inside the value (the value itself when it is a string,
    or the direct string members of an array), with their lines.
    """

    path: KeyPath
    element: int | None
    line: int
    items: list[tuple[str, int]] = field(default_factory=list)


class _Lexer:
    """A cursor over TOML text that knows strings, comments and line numbers."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1

    def peek(self, n: int = 1) -> str:
        return self.text[self.pos : self.pos + n]

    def advance(self, n: int = 1) -> None:
        chunk = self.text[self.pos : self.pos + n]
        self.line += chunk.count("\n")
        self.pos += n

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def skip_ws(self, newlines: bool = False) -> None:
        while not self.at_end():
            ch = self.text[self.pos]
            if ch in _WS or (newlines and ch in "\r\n"):
                self.advance()
            elif ch == "#":
                self.skip_comment()
            else:
                return

    def skip_comment(self) -> None:
        end = self.text.find("\n", self.pos)
        self.pos = len(self.text) if end < 0 else end

    def skip_line(self) -> None:
        end = self.text.find("\n", self.pos)
        if end < 0:
            self.pos = len(self.text)
        else:
            self.advance(end - self.pos + 1)

    def read_string(self) -> str | None:
        """Read a string literal at the cursor; None (cursor unchanged) if there is none."""
        for quote in ('"""', "'''"):
            if self.peek(3) == quote:
                end = self.text.find(quote, self.pos + 3)
                if end < 0:
                    self.advance(len(self.text) - self.pos)
                    return None
                # A closing quote run may be up to 5 long: the extra quotes are content.
                while self.text[end + 3 : end + 4] == quote[0]:
                    end += 1
                value = self.text[self.pos + 3 : end]
                self.advance(end + 3 - self.pos)
                return value.removeprefix("\n")
        ch = self.peek()
        if ch == "'":
            end = self.text.find("'", self.pos + 1)
            nl = self.text.find("\n", self.pos + 1)
            if end < 0 or (0 <= nl < end):
                self.skip_line()
                return None
            value = self.text[self.pos + 1 : end]
            self.advance(end + 1 - self.pos)
            return value
        if ch == '"':
            i = self.pos + 1
            out: list[str] = []
            while i < len(self.text):
                c = self.text[i]
                if c == "\\" and i + 1 < len(self.text):
                    out.append(_unescape(self.text[i + 1]))
                    i += 2
                    continue
                if c == '"':
                    self.advance(i + 1 - self.pos)
                    return "".join(out)
                if c == "\n":
                    break
                out.append(c)
                i += 1
            self.skip_line()
            return None
        return None

    def read_key(self) -> KeyPath | None:
        """Read a (possibly dotted, possibly quoted) key."""
        parts: list[str] = []
        while True:
            self.skip_ws()
            if self.peek() in ('"', "'") and self.peek(3) not in ('"""', "'''"):
                part = self.read_string()
                if part is None:
                    return None
                parts.append(part)
            else:
                match = _BARE_KEY.match(self.text, self.pos)
                if match is None:
                    return None
                parts.append(match.group())
                self.advance(match.end() - self.pos)
            self.skip_ws()
            if self.peek() == ".":
                self.advance()
                continue
            return tuple(parts)


def _unescape(ch: str) -> str:
    return {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}.get(ch, ch)


class TomlLineIndex:
    """Positions of every key and string value in a TOML document, in order.

    Example:
        ``TomlLineIndex(text).key_line(("package",), "name", element=2)`` is the line of
        ``name = ...`` in the third ``[[package]]`` table.
    """

    def __init__(self, text: str) -> None:
        self.entries: list[TomlEntry] = []
        self._by_path: dict[KeyPath, list[TomlEntry]] = defaultdict(list)
        self._array_tables: set[KeyPath] = set()
        self._scan(text)
        for entry in self.entries:
            self._by_path[entry.path].append(entry)

    # -- queries ---------------------------------------------------------------------------

    def find(self, path: KeyPath, element: int | None = None) -> TomlEntry | None:
        """Return the first entry with this full key path (in array element `element`)."""
        for entry in self._by_path.get(path, ()):
            if element is None or entry.element == element:
                return entry
        return None

    def key_line(self, table: KeyPath, key: str, element: int | None = None) -> int | None:
        """Return the line of `key` in `table` (or in its `element`-th ``[[table]]``)."""
        entry = self.find((*table, key), element)
        return entry.line if entry is not None else None

    def item_lines(self, path: KeyPath, element: int | None = None) -> list[tuple[str, int]]:
        """Return the string items (value, line) of the value at `path`, in text order."""
        entry = self.find(path, element)
        return list(entry.items) if entry is not None else []

    def child_keys(self, table: KeyPath, element: int | None = None) -> Iterator[TomlEntry]:
        """Yield the entries whose path is `table` plus one key."""
        for entry in self.entries:
            if (
                len(entry.path) == len(table) + 1
                and entry.path[: len(table)] == table
                and (element is None or entry.element == element)
            ):
                yield entry

    # -- scanning --------------------------------------------------------------------------

    def _scan(self, text: str) -> None:
        lex = _Lexer(text)
        header: KeyPath = ()
        element: int | None = None
        counts: dict[KeyPath, int] = defaultdict(int)
        outer: KeyPath | None = None  # the outermost array-of-tables path in force
        while True:
            lex.skip_ws(newlines=True)
            if lex.at_end():
                return
            if lex.peek() == "[":
                is_array = lex.peek(2) == "[["
                lex.advance(2 if is_array else 1)
                path = lex.read_key()
                lex.skip_line()
                if path is None:
                    continue
                header = path
                if is_array:
                    self._array_tables.add(path)
                    counts[path] += 1
                    if outer is None or path[: len(outer)] != outer or path == outer:
                        outer = path
                        element = counts[path] - 1
                elif outer is None or path[: len(outer)] != outer or path == outer:
                    outer, element = None, None
                continue
            start_line = lex.line
            key = lex.read_key()
            if key is None or lex.peek() != "=":
                lex.skip_line()
                continue
            lex.advance()
            self._value(lex, (*header, *key), element, start_line)
            lex.skip_ws()
            if lex.peek() not in ("\n", "\r", ""):
                lex.skip_line()

    def _value(self, lex: _Lexer, path: KeyPath, element: int | None, line: int) -> None:
        entry = TomlEntry(path=path, element=element, line=line)
        self.entries.append(entry)
        lex.skip_ws()
        ch = lex.peek()
        if ch in ('"', "'"):
            value_line = lex.line
            value = lex.read_string()
            if value is not None:
                entry.items.append((value, value_line))
        elif ch == "[":
            self._array(lex, path, element, entry)
        elif ch == "{":
            self._inline_table(lex, path, element)
        else:
            while not lex.at_end() and lex.peek() not in ",]}\n#":
                lex.advance()

    def _array(self, lex: _Lexer, path: KeyPath, element: int | None, entry: TomlEntry) -> None:
        lex.advance()  # [
        while not lex.at_end():
            lex.skip_ws(newlines=True)
            ch = lex.peek()
            if ch == "]":
                lex.advance()
                return
            if ch == ",":
                lex.advance()
            elif ch in ('"', "'"):
                value_line = lex.line
                value = lex.read_string()
                if value is not None:
                    entry.items.append((value, value_line))
            elif ch == "[":
                nested = TomlEntry(path=path, element=element, line=lex.line)
                self._array(lex, path, element, nested)
            elif ch == "{":
                self._inline_table(lex, path, element)
            else:
                before = lex.pos
                while not lex.at_end() and lex.peek() not in ",]\n#":
                    lex.advance()
                if lex.pos == before:
                    lex.advance()

    def _inline_table(self, lex: _Lexer, path: KeyPath, element: int | None) -> None:
        lex.advance()  # {
        while not lex.at_end():
            lex.skip_ws(newlines=True)
            ch = lex.peek()
            if ch == "}":
                lex.advance()
                return
            if ch == ",":
                lex.advance()
                continue
            start_line = lex.line
            key = lex.read_key()
            if key is None or lex.peek() != "=":
                # Malformed: give up on this table (never loop forever).
                lex.skip_line()
                return
            lex.advance()
            self._value(lex, (*path, *key), element, start_line)


class JsonLineIndex:
    """Line of every object key in a JSON document, by key path.

    Array members appear in paths as their decimal index. When a key occurs twice the first
    occurrence wins.
    """

    def __init__(self, text: str) -> None:
        self.lines: dict[KeyPath, int] = {}
        self._scan(text)

    def key_line(self, *path: str) -> int | None:
        """Return the line of the key at `path` (e.g. ``("default", "requests")``)."""
        return self.lines.get(tuple(path))

    def _scan(self, text: str) -> None:
        # Stack of containers: ("obj", current key or None) / ("arr", index).
        stack: list[list[object]] = []
        path: list[str] = []
        line = 1
        i = 0
        n = len(text)
        expect_key = False
        while i < n:
            ch = text[i]
            if ch == "\n":
                line += 1
                i += 1
            elif ch == '"':
                j = i + 1
                chars: list[str] = []
                while j < n and text[j] != '"':
                    if text[j] == "\\" and j + 1 < n:
                        chars.append(_unescape(text[j + 1]))
                        j += 2
                        continue
                    if text[j] == "\n":
                        line += 1
                    chars.append(text[j])
                    j += 1
                value = "".join(chars)
                if expect_key and stack and stack[-1][0] == "obj":
                    stack[-1][1] = value
                    full = (*path, value)
                    self.lines.setdefault(full, line)
                    expect_key = False
                i = j + 1
            elif ch == "{":
                self._push(stack, path)
                stack.append(["obj", None])
                expect_key = True
                i += 1
            elif ch == "[":
                self._push(stack, path)
                stack.append(["arr", 0])
                i += 1
            elif ch in "}]":
                if stack:
                    stack.pop()
                del path[max(len(stack) - 1, 0) :]
                expect_key = False
                i += 1
            elif ch == ",":
                if stack and stack[-1][0] == "obj":
                    expect_key = True
                elif stack and stack[-1][0] == "arr":
                    index = stack[-1][1]
                    stack[-1][1] = (index if isinstance(index, int) else 0) + 1
                i += 1
            else:
                i += 1

    @staticmethod
    def _push(stack: list[list[object]], path: list[str]) -> None:
        """Extend `path` with the key/index under which a new container starts."""
        if not stack:
            path.clear()
            return
        del path[len(stack) - 1 :]
        path.append(str(stack[-1][1]))
