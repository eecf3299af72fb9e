"""The dot-first chain finder gives exactly the matches of the chain regex's ``finditer``."""

from __future__ import annotations

import ast
import json
import os
import tokenize
from pathlib import Path

import pytest

from auditor.imports.ast_walk import _CHAIN, _chains

TRICKY = [
    b"a.b", b"x . os.path", b") . os.path", b"1.x . os", b"12abc.x", b".os.x",
    b"os .\tpath. join", b"a.b.c d.e", b"e.g. foo", b"x1.y", b"_.a", b"a..b", b"a. .b",
    "\u00e9a.b".encode(), b"a\t.\tb.c", b"x.1", b"...", b"a.", b"a.b.", b"f(x).os.path",
    b"[1].a.b", b"a .b .c.d", b"", b".", b"a", b"# os.path in a comment\n'requests.get'\n",
]  # fmt: skip


def _regex(data: bytes) -> list[tuple[bytes, bytes]]:
    return [(m.group(1), m.group(2)) for m in _CHAIN.finditer(data)]


@pytest.mark.parametrize("data", TRICKY)
def test_tricky_text(data: bytes) -> None:
    assert _chains(data) == _regex(data)


@pytest.mark.parametrize("module", [ast, json, os, tokenize])
def test_standard_library_sources(module: object) -> None:
    data = Path(str(getattr(module, "__file__", ""))).read_bytes()
    assert _chains(data) == _regex(data)
    assert len(_regex(data)) > 10
