"""Many repositories at once: a local process pool or Dask, one shared store, org-wide queries."""

from auditor.fleet.model import RepoOutcome, RepoStatus, RepoTask
from auditor.fleet.sources import RepoSource, parse_sources

__all__ = ["RepoOutcome", "RepoSource", "RepoStatus", "RepoTask", "parse_sources"]
