"""Render the license inventory (`auditor licenses`): table, JSON, CSV or Markdown.

Every cell is hostile text from package metadata: the table and Markdown escape it, CSV cells
that a spreadsheet would run as a formula are prefixed with a quote.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from auditor.model import SCHEMA_VERSION
from auditor.report.safe import clean
from auditor.result import PackageLicense

COLUMNS = ("name", "version", "license", "category", "source", "verdict")
CATEGORY_ORDER = (
    "public-domain",
    "permissive",
    "weak-copyleft",
    "strong-copyleft",
    "network-copyleft",
    "non-commercial",
    "unknown",
)


def category_counts(rows: Sequence[PackageLicense]) -> dict[str, int]:
    """Packages per category, in the categories' order (empty categories left out)."""
    counts = Counter(row.category for row in rows)
    ordered = {c: counts[c] for c in CATEGORY_ORDER if counts.get(c)}
    ordered.update({c: n for c, n in sorted(counts.items()) if c not in ordered})
    return ordered


def verdict_counts(rows: Sequence[PackageLicense]) -> dict[str, int]:
    """Packages per verdict, sorted by name."""
    return dict(sorted(Counter(row.verdict or "" for row in rows).items()))


def render_json(rows: Sequence[PackageLicense], project: Mapping[str, Any] | None = None) -> str:
    """The JSON contract: ``{"schema_version": 1, "packages": [...]}`` (keys only added)."""
    data: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "packages": [row.to_json() for row in rows],
        "summary": {"categories": category_counts(rows), "verdicts": verdict_counts(rows)},
    }
    if project is not None:
        data["project"] = dict(project)
    return json.dumps(data, indent=2, sort_keys=False) + "\n"


def _cell(value: object) -> str:
    text = clean("" if value is None else value, limit=500).replace("\n", " ")
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def render_csv(rows: Sequence[PackageLicense]) -> str:
    """One header line, then one line per package version."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*COLUMNS, "raw", "detail"])
    for row in rows:
        values = row.to_json()
        writer.writerow([_cell(values.get(k)) for k in (*COLUMNS, "raw", "detail")])
    return buffer.getvalue()


def _md(value: object) -> str:
    text = clean("" if value is None else value, limit=300).replace("\n", " ")
    for char in ("\\", "|", "`", "*", "_", "<", ">", "[", "]"):
        text = text.replace(char, "\\" + char)
    return text


def _shown(row: PackageLicense) -> str:
    if row.license:
        return row.license
    if row.raw and row.verdict == "not-checked":
        return row.raw
    return f"unknown: {row.raw}" if row.raw else "unknown"


def render_markdown(rows: Sequence[PackageLicense]) -> str:
    """A Markdown table with the category counts above it."""
    counts = ", ".join(f"{n} {c}" for c, n in category_counts(rows).items()) or "none"
    lines = [
        "## License inventory",
        "",
        f"{len(rows)} package version(s): {counts}.",
        "",
        "| " + " | ".join(c.capitalize() for c in COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    for row in rows:
        values = row.to_json()
        values["license"] = _shown(row)
        lines.append("| " + " | ".join(_md(values.get(k) or "") for k in COLUMNS) + " |")
    return "\n".join(lines) + "\n"


def render_table(rows: Sequence[PackageLicense], *, width: int = 120) -> str:
    """A plain-text table (rich, no colour), then the counts by category."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(show_lines=False, header_style="bold", pad_edge=False)
    for column in ("Package", "Version", "License", "Category", "Source", "Verdict"):
        table.add_column(column, overflow="fold")
    for row in rows:
        cells = (
            row.name,
            row.version or "-",
            _shown(row),
            row.category,
            row.source,
            row.verdict or "",
        )
        table.add_row(*(Text(clean(c, limit=160)) for c in cells))
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, no_color=True, highlight=False)
    console.print(table)
    counts = ", ".join(f"{n} {c}" for c, n in category_counts(rows).items()) or "none"
    console.print(Text(f"{len(rows)} package version(s): {counts}"))
    return buffer.getvalue()


__all__ = [
    "CATEGORY_ORDER",
    "category_counts",
    "render_csv",
    "render_json",
    "render_markdown",
    "render_table",
    "verdict_counts",
]
