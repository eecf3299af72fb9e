"""The file list of a simple-API project page (PEP 503 HTML or PEP 691 JSON).

Each file is a mapping with ``filename``, ``url``, ``yanked`` and ``core-metadata`` (PEP 658/714:
``{"sha256": ...}``, True, or None), the keys the JSON form uses.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit


class _Links(HTMLParser):
    """Collects the ``<a href>`` file links of a PEP 503 page with their data attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.files: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "a":
            return
        values = dict(attrs)
        href = values.get("href")
        if not href:
            return
        meta = values.get("data-core-metadata", values.get("data-dist-info-metadata"))
        self.files.append(
            {
                "filename": urlsplit(href).path.rpartition("/")[2],
                "url": href,
                "yanked": "data-yanked" in values,
                "core-metadata": _html_metadata(meta),
            }
        )


def _html_metadata(value: str | None) -> Any:
    """``data-core-metadata="sha256=..."`` -> {"sha256": ...}; "true" -> True; absent -> None."""
    if value is None:
        return None
    if "=" in value:
        algorithm, _, digest = value.partition("=")
        return {algorithm.strip().lower(): digest.strip()}
    return value.strip().lower() != "false"


def simple_page_files(body: bytes, content_type: str) -> list[dict[str, Any]]:
    """Return the files of a project page.

    Raises:
        ValueError: the page is not valid JSON (or HTML the parser gives up on).
    """
    if content_type.endswith("json"):
        try:
            document = json.loads(body)
        except (ValueError, RecursionError):
            raise ValueError("the simple API sent invalid JSON") from None
        files = document.get("files") if isinstance(document, dict) else None
        return [f for f in files or [] if isinstance(f, dict) and isinstance(f.get("url"), str)]
    parser = _Links()
    try:
        parser.feed(body.decode("utf-8", "replace"))
    except AssertionError:  # html.parser asserts on some malformed markup (``<![{``)
        raise ValueError("the simple API sent HTML it cannot read") from None
    return parser.files


__all__ = ["simple_page_files"]
