"""Progress reporting: the ProgressSink protocol the library talks to, and a silent sink."""

from __future__ import annotations

from typing import Protocol


class ProgressSink(Protocol):
    """Receives progress of long steps; the CLI shows a bar, tests and pipes show nothing."""

    def start(self, task: str, total: int | None) -> None:
        """A step named `task` begins with `total` units of work (None if unknown)."""

    def advance(self, task: str, amount: int = 1) -> None:
        """`amount` more units of `task` are done."""

    def finish(self, task: str) -> None:
        """`task` is over."""


class NullProgress:
    """A ProgressSink that shows nothing."""

    def start(self, task: str, total: int | None) -> None:
        """Ignore the start of a step."""

    def advance(self, task: str, amount: int = 1) -> None:
        """Ignore progress."""

    def finish(self, task: str) -> None:
        """Ignore the end of a step."""


__all__ = ["NullProgress", "ProgressSink"]
