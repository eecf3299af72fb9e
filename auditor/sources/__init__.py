"""Parsers for every Python manifest, lockfile and the installed environment."""

from auditor.sources.base import Source, source_for

__all__ = ["Source", "source_for"]
