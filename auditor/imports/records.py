"""What parsing one file gives: typed import records, and their form in the scan cache.

An `ImportRecord` is one import found in one file's content, before it is tied to a path (the
cache is keyed by content, so two files with the same bytes share their records). A
`ParsedFile` is every record of one file plus, when the file did not parse, why.

The cache keeps a compact JSON form: a record is ``[module, line, flags, symbols]`` (a
notebook record adds its cell index) with the booleans packed into bit flags (the form of
namespace ``imports:v2``, plus the bits of `lazy` and `in_except`), and a file is
``{"imports": [...]}`` or ``{"error": message, "line": n}`` (plus ``"imports"`` and
``"recovered"`` when the line-based fallback read some imports, and ``"cell_errors"`` /
``"cell_recovered"`` for notebook cells that did not parse). Only `ImportRecord.to_cache` /
`ImportRecord.from_cache` and their `ParsedFile` counterparts know that form; change it
together with the cache version in `auditor.imports.scanner`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

__all__ = ["ImportRecord", "ParsedFile", "SiteRow", "StatementContext", "site_rows"]

# Bit flags of the cached form (never used outside the codec below).
_TYPE_ONLY = 1
_OPTIONAL = 2
_DYNAMIC = 4
_RELATIVE = 8
_STAR = 16
_APPROXIMATE = 32
_LAZY = 64
_IN_EXCEPT = 128


@dataclass(frozen=True, slots=True)
class StatementContext:
    """What an import statement's surroundings make of it.

    `type_only`: inside ``if TYPE_CHECKING:``; `optional`: inside a ``try`` (or its handler)
    that catches ImportError; `approximate`: read by the line-based fallback, not by `ast`;
    `lazy`: inside a function or method body (or a lambda), so it runs only when called;
    `in_except`: inside an ``except`` handler, so it runs only when something else failed.
    """

    type_only: bool = False
    optional: bool = False
    approximate: bool = False
    lazy: bool = False
    in_except: bool = False


class ImportRecord(NamedTuple):
    """One import statement (or literal dynamic import) found in one file's content.

    `module` is the dotted module as written (dots kept for relative imports); `symbols` the
    sorted, fully qualified names used from it. `line` is 1-based; in a notebook it counts the
    lines of the code cells joined in order, and `cell` is the 0-based index of the code cell.
    `lazy` and `in_except` say where it sits (see `StatementContext`).

    A named tuple rather than a frozen dataclass: a warm scan rebuilds tens of thousands of
    records from the cache, and a tuple is about four times cheaper to create.
    """

    module: str
    line: int
    symbols: tuple[str, ...] = ()
    type_only: bool = False
    optional: bool = False
    dynamic: bool = False
    relative: bool = False
    star: bool = False
    approximate: bool = False
    cell: int | None = None
    lazy: bool = False
    in_except: bool = False

    def to_cache(self) -> list[Any]:
        """Return the JSON form kept in the cache: ``[module, line, flags, symbols(, cell)]``."""
        flags = (
            (_TYPE_ONLY if self.type_only else 0)
            | (_OPTIONAL if self.optional else 0)
            | (_DYNAMIC if self.dynamic else 0)
            | (_RELATIVE if self.relative else 0)
            | (_STAR if self.star else 0)
            | (_APPROXIMATE if self.approximate else 0)
            | (_LAZY if self.lazy else 0)
            | (_IN_EXCEPT if self.in_except else 0)
        )
        row: list[Any] = [self.module, self.line, flags, list(self.symbols)]
        if self.cell is not None:
            row.append(self.cell)
        return row

    @classmethod
    def from_cache(cls, row: list[Any]) -> ImportRecord:
        """Rebuild a record from its cached JSON form (see `to_cache`)."""
        module, line, flags, symbols = row[0], row[1], row[2], row[3]
        return cls(
            module=module,
            line=line,
            symbols=tuple(symbols),
            type_only=bool(flags & _TYPE_ONLY),
            optional=bool(flags & _OPTIONAL),
            dynamic=bool(flags & _DYNAMIC),
            relative=bool(flags & _RELATIVE),
            star=bool(flags & _STAR),
            approximate=bool(flags & _APPROXIMATE),
            cell=row[4] if len(row) > 4 else None,
            lazy=bool(flags & _LAZY),
            in_except=bool(flags & _IN_EXCEPT),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedFile:
    """The imports of one file's content and, when it did not parse, why.

    `error` and `error_line` describe a file that failed as a whole (syntax error, NUL bytes,
    bad encoding, not a notebook); its `imports` are then those the line-based fallback still
    recovered. `cell_errors` lists the notebook code cells that did not parse and
    `cell_recovered` (same length) how many imports the fallback recovered from each.
    """

    imports: tuple[ImportRecord, ...] = ()
    error: str | None = None
    error_line: int | None = None
    cell_errors: tuple[str, ...] = ()
    cell_recovered: tuple[int, ...] = ()

    @property
    def recovered(self) -> int:
        """How many imports the fallback recovered from a file that failed as a whole."""
        return len(self.imports) if self.error is not None else 0

    def to_cache(self) -> dict[str, Any]:
        """Return the JSON form kept in the cache (see the module docstring)."""
        data: dict[str, Any] = {}
        if self.error is not None:
            data["error"] = self.error
            data["line"] = self.error_line
        if self.error is None or self.imports:
            data["imports"] = [record.to_cache() for record in self.imports]
        if self.recovered:
            data["recovered"] = self.recovered
        if self.cell_errors:
            data["cell_errors"] = list(self.cell_errors)
            if any(self.cell_recovered):
                data["cell_recovered"] = list(self.cell_recovered)
        return data

    @classmethod
    def from_cache(cls, data: dict[str, Any]) -> ParsedFile:
        """Rebuild a parsed file from its cached JSON form (see `to_cache`)."""
        from_cache = ImportRecord.from_cache
        cell_errors = tuple(data.get("cell_errors", ()))
        imports = tuple(
            [
                # The common case inline: a warm scan rebuilds tens of thousands of records.
                ImportRecord(row[0], row[1], tuple(row[3]))
                if row[2] == 0 and len(row) == 4
                else from_cache(row)
                for row in data.get("imports", ())
            ]
        )
        return cls(
            imports=imports,
            error=data.get("error"),
            error_line=data.get("line"),
            cell_errors=cell_errors,
            cell_recovered=tuple(data.get("cell_recovered") or [0] * len(cell_errors)),
        )


# Per packed flags value: (type_only, optional, dynamic, relative, star), (approximate, lazy,
# in_except), in the order `auditor.imports.scanner.ImportSite` lists them around `cell`.
_HEAD = [
    tuple(bool(i & bit) for bit in (_TYPE_ONLY, _OPTIONAL, _DYNAMIC, _RELATIVE, _STAR))
    for i in range(256)
]
_TAIL = [tuple(bool(i & bit) for bit in (_APPROXIMATE, _LAZY, _IN_EXCEPT)) for i in range(256)]

SiteRow = tuple[str, int, tuple[str, ...], tuple[bool, ...], "int | None", tuple[bool, ...]]


def site_rows(data: dict[str, Any]) -> list[SiteRow]:
    """Decode the records of one cached file for building import sites without records.

    Each row is ``(module, line, symbols, (type_only, optional, dynamic, relative, star),
    cell, (approximate, lazy, in_except))``. A warm scan decodes tens of thousands of records
    this way; a damaged form raises (TypeError, KeyError, IndexError, AttributeError).
    """
    return [
        (
            row[0],
            row[1],
            tuple(row[3]),
            _HEAD[row[2]],
            row[4] if len(row) > 4 else None,
            _TAIL[row[2]],
        )
        for row in data.get("imports", ())
    ]
