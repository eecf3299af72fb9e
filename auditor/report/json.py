"""The JSON report: the lossless, versioned contract (schema in the README)."""

from __future__ import annotations

from auditor.jsontext import pretty
from auditor.projects import projects_json
from auditor.result import AuditResult


class JsonReporter:
    """Renders `AuditResult.to_json()` with sorted, stable output."""

    def render(self, result: AuditResult) -> str:
        """Return the JSON report text."""
        data = result.to_json()
        data["projects"] = projects_json(result)  # the audit units: inputs and findings
        return pretty(data)


REPORTER = JsonReporter()

__all__ = ["REPORTER", "JsonReporter"]
