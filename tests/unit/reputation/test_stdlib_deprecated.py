"""Standard-library names and the deprecated-packages catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.errors import ConfigError
from auditor.reputation.deprecated import describe_successor, load_deprecated
from auditor.reputation.stdlib import limited_to_older_python, match_stdlib, stdlib_names
from auditor.specs import marker_of


def test_stdlib_names_cover_modules_and_python2() -> None:
    names = stdlib_names(["urllib2"])
    assert names["asyncio"] == ("asyncio", False)
    assert names["urllib2"] == ("urllib2", True)
    assert "_abc" not in names
    match = match_stdlib("AsyncIO", names, {})
    assert match is not None
    assert match.module == "asyncio"
    assert match_stdlib("requests", names, {}) is None
    backport = match_stdlib("dataclasses", names, {"dataclasses": "3.7"})
    assert backport is not None
    assert backport.backport_until == "3.7"


@pytest.mark.parametrize(
    ("marker", "expected"),
    [
        ('python_version < "3.7"', True),
        ('python_version <= "3.6"', True),
        ('python_version < "3.7" and sys_platform == "linux"', True),
        ('python_version >= "3.6"', False),
        ('sys_platform == "win32"', False),
        (None, False),
        ("not a marker", False),
    ],
)
def test_limited_to_older_python(marker: str | None, expected: bool) -> None:
    # The marker as a source hands it over: parsed once, None when packaging rejects the text.
    parsed = None if marker is None else marker_of(marker)
    assert limited_to_older_python(parsed, "3.7") is expected


def test_shipped_catalogue() -> None:
    catalogue = load_deprecated()
    assert catalogue["pycrypto"].successor == "pycryptodome"
    assert catalogue["pypdf2"].display_name == "PyPDF2"
    assert catalogue["sklearn"].kind == "placeholder"
    assert describe_successor(catalogue["mock"].successor) == (
        "the standard library's unittest.mock"
    )
    assert describe_successor("pypdf") == "pypdf"
    for entry in catalogue.values():
        assert entry.reason, entry.name
        assert entry.references, entry.name


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("schema: 1\npackages: {}\n", "/packages: expected a list"),
        ("schema: 1\npackages: [{name: a, successor: b, kind: c, reason: d}]\n",
         "/packages/0/kind: expected one of"),
        ("schema: 1\npackages: [{name: a, successor: b, kind: renamed}]\n",
         "/packages/0/reason: expected text"),
        ("schema: 1\npackages: [{name: a, successor: b, kind: renamed, reason: r, severity: x}]\n",
         "/packages/0/severity: unknown severity"),
        ("schema: 1\npackages:\n - {name: A, successor: b, kind: renamed, reason: r}\n"
         " - {name: a, successor: b, kind: renamed, reason: r}\n",
         "/packages/1/name: a is listed twice"),
        ("packages: []\n", "expected a mapping with schema: 1"),
    ],
)  # fmt: skip
def test_catalogue_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "deprecated.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_deprecated(path)
    assert str(info.value) == f"{path}: {message}" or message in str(info.value)
