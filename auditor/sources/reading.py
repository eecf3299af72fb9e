"""Read input files and decode TOML/JSON into plain data, turning failures into ParseError."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

from auditor.errors import ParseError

__all__ = ["load_json", "load_toml", "read_text"]

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
    return data.decode("utf-8", errors="replace").removeprefix("\ufeff")


def load_toml(text: str, relpath: str) -> dict[str, Any]:
    """Decode TOML text; a syntax error becomes a ParseError naming the line.

    Raises:
        ParseError: the text is not valid TOML.
    """
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
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
