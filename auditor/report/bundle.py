"""Write several formats of one result into a folder (``scan --output-dir``, ``auditor report``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from auditor.atomic import atomic_write_text
from auditor.report.base import OutputFormat, Reporter
from auditor.result import AuditResult

OUTPUT_DIR_FORMATS = (
    OutputFormat.JSON,
    OutputFormat.SARIF,
    OutputFormat.HTML,
    OutputFormat.MARKDOWN,
)


def reporter_for(fmt: OutputFormat, *, history: Sequence[Mapping[str, Any]] = ()) -> Reporter:
    """Return the reporter of `fmt`; the HTML one gets the history for its trend chart."""
    if fmt is OutputFormat.HTML:
        from auditor.report.html import HtmlReporter

        return HtmlReporter(history=history)
    return fmt.reporter()


def write_bundle(
    result: AuditResult,
    folder: Path,
    formats: Iterable[OutputFormat] = OUTPUT_DIR_FORMATS,
    *,
    stem: str = "report",
    history: Sequence[Mapping[str, Any]] = (),
) -> list[Path]:
    """Render `result` in each format to ``folder/<stem>.<ext>`` (each file atomically)."""
    written: list[Path] = []
    for fmt in formats:
        path = folder / f"{stem}.{fmt.extension}"
        atomic_write_text(path, reporter_for(fmt, history=history).render(result))
        written.append(path)
    return written


__all__ = ["OUTPUT_DIR_FORMATS", "reporter_for", "write_bundle"]
