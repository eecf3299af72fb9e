"""Read input files and decode TOML/JSON into plain data, turning failures into ParseError."""

from __future__ import annotations

import codecs
import json
import re
from pathlib import Path
from typing import Any

import tomli

from auditor.errors import ParseError

__all__ = ["decode_text", "load_json", "load_toml", "looks_like_utf16", "read_text"]

_TOML_AT = re.compile(r"\(at line (\d+), column \d+\)")


def read_text(root: Path, relpath: str) -> str:
    """Return the text of `root / relpath` (UTF-8, BOM dropped, undecodable bytes replaced).

    Raises:
        ParseError: the file does not exist or cannot be read.
    """
    try:
        data = (root / relpath).read_bytes()
    except OSError as exc:
        raise ParseError(relpath, None, f"cannot read file: {exc.strerror or exc}") from exc
    except ValueError as exc:  # a path taken from file content may hold a NUL byte
        raise ParseError(relpath.replace("\x00", "\\0"), None, f"invalid path: {exc}") from exc
    return decode_text(data)


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def looks_like_utf16(head: bytes) -> str | None:
    """Return ``utf-16-le``/``-be`` when `head` is UTF-16 text (BOM, or ASCII with NUL halves).

    PowerShell's ``pip freeze > requirements.txt`` writes UTF-16 with a BOM; some tools write
    it without one, which shows as a NUL byte beside every ASCII character.
    """
    if head.startswith(codecs.BOM_UTF16_LE) and not head.startswith(codecs.BOM_UTF32_LE):
        return "utf-16-le"
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be"
    sample = head[: len(head) - len(head) % 2]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) == len(odd) and 0 not in even:
        return "utf-16-le"
    if even.count(0) == len(even) and 0 not in odd:
        return "utf-16-be"
    return None


def decode_text(data: bytes) -> str:
    """Decode an input file's bytes, dropping any BOM.

    A BOM decides (UTF-8/16/32); else UTF-16 without BOM when it looks like it; else UTF-8 with
    undecodable bytes replaced.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace")
    if (encoding16 := looks_like_utf16(data[:4096])) is not None:
        return data.decode(encoding16, errors="replace")
    return data.decode("utf-8", errors="replace")


def load_toml(text: str, relpath: str) -> dict[str, Any]:
    """Decode TOML text; a syntax error becomes a ParseError naming the line.

    Raises:
        ParseError: the text is not valid TOML.
    """
    try:
        return tomli.loads(text)
    except RecursionError as exc:
        raise ParseError(relpath, None, "invalid TOML: nested too deeply") from exc
    except tomli.TOMLDecodeError as exc:
        msg = str(exc)
        match = _TOML_AT.search(msg)
        line = int(match.group(1)) if match else getattr(exc, "lineno", None)
        detail = _TOML_AT.sub("", msg).strip()
        raise ParseError(relpath, line, f"invalid TOML: {detail}") from exc


def load_json(text: str, relpath: str) -> Any:
    """Decode JSON text; a syntax error becomes a ParseError naming the line.

    Raises:
        ParseError: the text is not valid JSON.
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(relpath, exc.lineno, f"invalid JSON: {exc.msg}") from exc
    except RecursionError as exc:
        raise ParseError(relpath, None, "invalid JSON: nested too deeply") from exc
