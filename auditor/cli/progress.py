"""A rich progress bar on an interactive terminal; nothing on a pipe or in CI."""

from __future__ import annotations

import os
from types import TracebackType
from typing import TextIO

from auditor.events import NullProgress, ProgressSink


def wants_progress(stream: TextIO) -> bool:
    """Whether to draw progress: a TTY, not CI, not switched off."""
    if os.environ.get("CI") or os.environ.get("AUDITOR_NO_PROGRESS"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class RichProgress:
    """A ProgressSink drawing one rich bar per running task on stderr."""

    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console
        from rich.progress import Progress

        self._progress = Progress(console=Console(file=stream), transient=True)
        self._tasks: dict[str, object] = {}

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def start(self, task: str, total: int | None) -> None:
        """Add a bar for `task`."""
        self._tasks[task] = self._progress.add_task(task, total=total)

    def advance(self, task: str, amount: int = 1) -> None:
        """Advance the bar of `task`."""
        if task in self._tasks:
            self._progress.advance(self._tasks[task], amount)  # type: ignore[arg-type]  # TaskID

    def finish(self, task: str) -> None:
        """Remove the bar of `task`."""
        task_id = self._tasks.pop(task, None)
        if task_id is not None:
            self._progress.remove_task(task_id)  # type: ignore[arg-type]  # TaskID


class _NullContext(NullProgress):
    def __enter__(self) -> _NullContext:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def progress_for(stream: TextIO) -> RichProgress | _NullContext:
    """Return a context-managed ProgressSink fit for `stream`."""
    return RichProgress(stream) if wants_progress(stream) else _NullContext()


__all__ = ["ProgressSink", "RichProgress", "progress_for", "wants_progress"]
