"""The JSON report: the lossless, versioned contract (schema in the README)."""

from __future__ import annotations

import json

from auditor.result import AuditResult


class JsonReporter:
    """Renders `AuditResult.to_json()` with sorted, stable output."""

    def render(self, result: AuditResult) -> str:
        """Return the JSON report text."""
        return json.dumps(result.to_json(), indent=2, sort_keys=False, ensure_ascii=False) + "\n"


REPORTER = JsonReporter()

__all__ = ["REPORTER", "JsonReporter"]
