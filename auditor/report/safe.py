"""Make hostile text (package metadata, READMEs, LLM output) safe to show in a terminal."""

from __future__ import annotations

import re

# C0/C1 control characters (ANSI escapes start with ESC) except tab and newline.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text: object, *, limit: int = 2000) -> str:
    """Return `text` without control characters, cut to `limit` characters."""
    value = _CONTROL.sub("\ufffd", str(text))
    return value if len(value) <= limit else value[: limit - 1] + "\u2026"


__all__ = ["clean"]
