"""The imports of a Jupyter notebook: its code cells, magics blanked, walked as one module.

The code cells of an ``.ipynb`` notebook are parsed with `ast` after IPython magics (``%``,
``!``, ``?`` lines) are blanked out, keeping the line count. Line numbers count the lines of
the code cells joined in order, and every record carries its cell's index. A cell that does not
parse is read by the line-based fallback and reported; the other cells are unaffected.
A notebook whose kernel is not Python (``metadata.language_info.name`` or
``metadata.kernelspec.language`` says R, Julia, ...) holds no Python imports: it is skipped
quietly, without a syntax-error note for every cell.
"""

from __future__ import annotations

import ast
import dataclasses
import json

from auditor.imports.ast_walk import TOO_DEEP, Collector, fallback_note
from auditor.imports.records import ParsedFile, StatementContext
from auditor.imports.recovery import fallback_statements

__all__ = ["kernel_language", "notebook_code", "parse_notebook"]

_MAGIC_PREFIXES = ("%", "!", "?")
_TOP_LEVEL = StatementContext()


def notebook_code(data: bytes) -> list[str]:
    """Return the source of each code cell of a notebook, magics blanked (raises ValueError).

    A notebook of another language than Python has no Python code cells: the list is empty.
    """
    try:
        doc = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"not a JSON notebook: {exc}") from exc
    except RecursionError as exc:
        raise ValueError("not a JSON notebook: nested too deeply") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("cells", []), list):
        raise ValueError("not a notebook: no cells list")  # noqa: TRY004 - bad input, not a bug
    if not _python_kernel(doc.get("metadata")):
        return []
    cells: list[str] = []
    for cell in doc.get("cells", []):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        text = _cell_source(cell.get("source", ""))
        lines = []
        for line in text.splitlines():
            stripped = line.lstrip()
            # Magics, shell escapes and help lookups are not Python: keep the line count.
            blank = stripped.startswith(_MAGIC_PREFIXES) or stripped.endswith("?")
            lines.append("" if blank else line)
        cells.append("\n".join(lines) + "\n")
    return cells


def kernel_language(metadata: object) -> str | None:
    """Return the notebook's kernel language, lower case (None when the metadata does not say).

    ``language_info.name`` is written by the kernel that ran the notebook; the kernelspec's
    ``language`` is what it was created for. Anything but strings in them is ignored.
    """
    if not isinstance(metadata, dict):
        return None
    for section, key in (("language_info", "name"), ("kernelspec", "language")):
        value = metadata.get(section)
        name = value.get(key) if isinstance(value, dict) else None
        if isinstance(name, str) and name.strip():
            return name.strip().lower()
    return None


def _python_kernel(metadata: object) -> bool:
    """Whether a notebook's code cells are Python (an unknown kernel is taken to be)."""
    language = kernel_language(metadata)
    return language is None or language.startswith(("python", "ipython"))


def _cell_source(source: object) -> str:
    """Return a cell's source text: a string, or a list of strings (anything else is empty).

    nbformat allows only these two; a hand-edited or hostile notebook may hold a number, a
    dict or a list of non-strings, which carries no code to read.
    """
    if isinstance(source, str):
        return source
    if isinstance(source, list):
        return "".join(part for part in source if isinstance(part, str))
    return ""


def parse_notebook(data: bytes) -> ParsedFile:
    """Parse a notebook's code cells; a cell that does not parse is skipped and reported."""
    try:
        cells = notebook_code(data)
    except ValueError as exc:
        return ParsedFile(error=str(exc))
    # One collector for all cells: they share one namespace, so a name imported in one cell
    # and used in another still yields its symbols.
    collector = Collector()
    problems: list[str] = []
    recovered_counts: list[int] = []
    parsed_code: list[str] = []
    offset = 0
    for index, code in enumerate(cells):
        first = len(collector.found)
        try:
            tree = ast.parse(code)
        except (RecursionError, MemoryError, ValueError) as exc:
            # The compiler gave up (nesting, size) or the text holds a NUL byte.
            why = f"syntax error: {exc}" if isinstance(exc, ValueError) else TOO_DEEP
            problems.append(f"code cell {index}: {why}")
            recovered_counts.append(0)
        except SyntaxError as exc:
            for node, context in fallback_statements(code):
                collector.statement(node, dataclasses.replace(context, approximate=True))
            recovered = len(collector.found) - first
            note = f"; {fallback_note(recovered)}" if recovered else ""
            problems.append(f"code cell {index}: syntax error: {exc.msg}{note}")
            recovered_counts.append(recovered)
        else:
            collector.scan_calls = "import_module" in code or "__import__" in code
            collector.statements(tree.body, _TOP_LEVEL)
            if collector.scan_calls:
                collector.dynamic_calls()
        for found in collector.found[first:]:
            found.line += offset
            found.cell = index
        parsed_code.append(code)
        offset += code.count("\n")
    if collector.bindings:
        collector.attribute_chains("".join(parsed_code).encode("utf-8"))
    return ParsedFile(
        imports=tuple(collector.records()),
        cell_errors=tuple(problems),
        cell_recovered=tuple(recovered_counts),
    )
