"""The AuditorError hierarchy: every error Auditor expects and maps to an exit code."""

from __future__ import annotations


class AuditorError(Exception):
    """Root of every error Auditor raises on purpose."""


class ConfigError(AuditorError):
    """Bad configuration file, option or combination of options (exit 2)."""


class SourceError(AuditorError):
    """An input file could not be read or understood."""


class ParseError(SourceError):
    """A manifest or lockfile is malformed at a known place.

    The message always starts with ``path:line:`` so people and editors can jump to it.
    """

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        self.detail = message
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")


class SourceUnavailable(AuditorError):  # noqa: N818 - reads as the condition
    """A network or local data source could not answer; the audit is incomplete."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")


class IndexError_(SourceUnavailable):  # noqa: N801 - avoid shadowing the builtin IndexError
    """The package index failed to answer."""


class RuleError(AuditorError):
    """A rule file is invalid."""


class RuleSchemaError(RuleError):
    """A rule file does not match the rule schema; the message names file and JSON pointer."""


class DuplicateRuleId(RuleError):  # noqa: N818 - the name reads as the condition it reports
    """Two rule files declare the same rule id."""


class OfflineError(SourceUnavailable):
    """A network request was attempted while offline mode forbids it."""

    def __init__(self, url: str) -> None:
        super().__init__("network", f"offline mode forbids requests ({url})")


__all__ = [
    "AuditorError",
    "ConfigError",
    "DuplicateRuleId",
    "IndexError_",
    "OfflineError",
    "ParseError",
    "RuleError",
    "RuleSchemaError",
    "SourceError",
    "SourceUnavailable",
]
