"""The Reporter protocol and the registry of output formats."""

from __future__ import annotations

import enum
import importlib
from typing import Protocol

from auditor.result import AuditResult


class Reporter(Protocol):
    """Renders the one result model into one format."""

    def render(self, result: AuditResult) -> str:
        """Return the whole report as text."""
        ...


class OutputFormat(enum.StrEnum):
    """Formats `auditor scan --format` can produce."""

    CONSOLE = "console"
    JSON = "json"
    SARIF = "sarif"
    MARKDOWN = "markdown"
    HTML = "html"
    CYCLONEDX = "cyclonedx"

    def reporter(self) -> Reporter:
        """Import and return the reporter of this format (``auditor/report/<format>.py``)."""
        module = importlib.import_module(f"auditor.report.{self.value}")
        reporter: Reporter = module.REPORTER
        return reporter

    @property
    def extension(self) -> str:
        """The file extension reports of this format get under reports/."""
        return _EXTENSIONS[self]


_EXTENSIONS = {
    OutputFormat.CONSOLE: "txt",
    OutputFormat.JSON: "json",
    OutputFormat.SARIF: "sarif",
    OutputFormat.MARKDOWN: "md",
    OutputFormat.HTML: "html",
    OutputFormat.CYCLONEDX: "cdx.json",
}

__all__ = ["OutputFormat", "Reporter"]
