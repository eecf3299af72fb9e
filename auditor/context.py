"""What the enrichment stage works with: config, HTTP session, cache, clock, progress.

The context owns the run's network session and on-disk cache (both opened on first use and
closed by `close`); nothing after enrichment holds either. Tests replace the index or git
readers through `index_lookup` and `git_history` instead of patching modules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.config import Config
from auditor.events import NullProgress, ProgressSink

if TYPE_CHECKING:
    from auditor.cache import Cache
    from auditor.http import AuditorSession
    from auditor.index.model import ProjectLookup
    from auditor.reputation.gitdates import GitHistory

IndexLookup = Callable[[Iterable[str]], "Mapping[str, ProjectLookup]"]
GitHistoryFactory = Callable[[Path], "GitHistory"]


@dataclass(slots=True)
class RunContext:
    """The resources of one run, opened lazily.

    Args:
        config: the run's configuration.
        progress: where long steps report progress.
        index_lookup: replaces the package-index client (tests); None uses the real one.
        git_history: builds the git reader for the scanned folder (tests); None uses git.
    """

    config: Config
    progress: ProgressSink = field(default_factory=NullProgress)
    index_lookup: IndexLookup | None = None
    git_history: GitHistoryFactory | None = None
    _session: AuditorSession | None = None
    _cache: Cache | None = None

    @property
    def session(self) -> AuditorSession:
        """The run's HTTP session (it refuses to connect in offline mode)."""
        if self._session is None:
            from auditor.http import make_session_for

            self._session = make_session_for(self.config)
        return self._session

    @property
    def cache(self) -> Cache:
        """The run's on-disk cache."""
        if self._cache is None:
            from auditor.cache import Cache

            self._cache = Cache(self.config.cache_dir)
        return self._cache

    def today(self) -> dt.date:
        """The date the run treats as today (the clock)."""
        return self.config.today_date()

    def close(self) -> None:
        """Release the session and the cache."""
        if self._session is not None:
            self._session.close()
            self._session = None
        if self._cache is not None:
            self._cache.close()
            self._cache = None


__all__ = ["GitHistoryFactory", "IndexLookup", "RunContext"]
