"""Removing a standard-library requirement (AUD409) from each manifest shape."""

from __future__ import annotations

import pytest

from auditor.fix_edit import removal, split_lines
from auditor.model import InputKind


@pytest.mark.parametrize(
    ("text", "line", "kind", "expected"),
    [
        ("a\nasyncio  # oops\nb\n", 2, InputKind.REQUIREMENTS, "a\nb\n"),
        ("json \\\n  ; python_version > '3'\nb\n", 1, InputKind.REQUIREMENTS, "b\n"),
        ("asyncio==3.4.3 \\\n    --hash=sha256:00\n# via x\n", 1, InputKind.REQUIREMENTS,
         "# via x\n"),
        ('deps = [\n    "asyncio",\n    "flask",\n]\n', 2, InputKind.PYPROJECT,
         'deps = [\n    "flask",\n]\n'),
        ('deps = ["asyncio", "flask"]\n', 1, InputKind.PYPROJECT, 'deps = ["flask"]\n'),
        ('deps = ["flask", "asyncio"]  # c\n', 1, InputKind.PYPROJECT, 'deps = ["flask"]  # c\n'),
        ('deps = ["flask", "asyncio>=3", "click"]\n', 1, InputKind.PYPROJECT,
         'deps = ["flask", "click"]\n'),
        ("install_requires =\n    asyncio\n    flask\n", 2, InputKind.SETUP_CFG,
         "install_requires =\n    flask\n"),
        ('[packages]\nasyncio = "*"\n', 2, InputKind.PIPFILE, "[packages]\n"),
    ],
)  # fmt: skip
def test_removal(text: str, line: int, kind: InputKind, expected: str) -> None:
    lines = split_lines(text)
    found = removal(lines, line, "asyncio" if "asyncio" in text else "json", kind)
    assert found is not None
    end, new = found
    lines[line - 1 : end] = [new] if new else []
    assert "".join(lines) == expected


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("asyncio-extras\n", InputKind.REQUIREMENTS),
        ("# asyncio\n", InputKind.REQUIREMENTS),
        ('deps = ["asyncio-x"]\n', InputKind.PYPROJECT),
        ("install_requires = asyncio; flask\n", InputKind.SETUP_CFG),
    ],
)
def test_removal_refuses_what_it_cannot_place(text: str, kind: InputKind) -> None:
    assert removal(split_lines(text), 1, "asyncio", kind) is None
