r"""Keep stderr safe for a terminal: log lines and messages carry no control characters.

File names, archive member names and index metadata are hostile text. Reports on stdout escape
them (`auditor.report.safe.clean`); this does the same for what reaches stderr: control
characters (ANSI escapes start with ESC) become U+FFFD and a newline inside one message becomes
a visible ``\\n``, so a hostile name can neither recolour the terminal nor forge a line.
"""

from __future__ import annotations

import logging
from typing import TextIO

from auditor.report.safe import clean

_TRACEBACK_LIMIT = 50_000


def one_line(text: object, *, limit: int = 2000) -> str:
    r"""Return `text` as one safe line: control characters replaced, newlines shown as ``\\n``."""
    return clean(str(text).replace("\r\n", "\n").replace("\n", "\\n"), limit=limit)


class SafeFormatter(logging.Formatter):
    """A formatter whose message is one safe line (a traceback keeps its lines, cleaned)."""

    def format(self, record: logging.LogRecord) -> str:
        """Format `record` with its message made safe; other handlers see it unchanged."""
        saved = record.msg, record.args
        try:
            record.msg = one_line(record.getMessage())
            record.args = None
            text = super().format(record)
        finally:
            record.msg, record.args = saved
        return clean(text, limit=_TRACEBACK_LIMIT)


LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"


def install_log_handler(stream: TextIO, level: str) -> logging.Handler:
    """Send log records at `level` and above to `stream` through `SafeFormatter`.

    Returns the handler so the caller removes it when the command ends (``remove_log_handler``).
    """
    handler = logging.StreamHandler(stream)
    handler.setFormatter(SafeFormatter(LOG_FORMAT))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    return handler


def remove_log_handler(handler: logging.Handler) -> None:
    """Detach a handler installed by `install_log_handler`."""
    logging.getLogger().removeHandler(handler)
    handler.close()


__all__ = ["LOG_FORMAT", "SafeFormatter", "install_log_handler", "one_line", "remove_log_handler"]
