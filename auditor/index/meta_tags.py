"""The ``<meta name=... content=...>`` tags of an HTML page (the simple API's project status)."""

from __future__ import annotations

import html.parser


class _MetaParser(html.parser.HTMLParser):
    """Collects the first content of each meta name (lower-cased)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "meta":
            return
        values = dict(attrs)
        name, content = values.get("name"), values.get("content")
        if name and content is not None:
            self.meta.setdefault(name.lower(), content)


def meta_tags(text: str) -> dict[str, str]:
    """Return each ``<meta>`` name (lower-cased) with its first content.

    Raises:
        AssertionError: the standard parser gives up on the page (it asserts on some malformed
            declarations such as ``<![{``).
    """
    parser = _MetaParser()
    parser.feed(text)
    parser.close()
    return parser.meta


__all__ = ["meta_tags"]
