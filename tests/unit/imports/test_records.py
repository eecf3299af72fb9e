"""Typed import records and their cached form (the forms of namespace imports:v2 still read)."""

from __future__ import annotations

from typing import Any

import pytest

from auditor.imports.records import ImportRecord, ParsedFile

# Cached forms as the list-based scanner wrote them: [module, line, flags, symbols(, cell)].
V2_FORMS: list[dict[str, Any]] = [
    {"imports": [["requests", 1, 0, ["requests.get"]], ["..pkg", 2, 8 | 16, []]]},
    {"imports": [["yaml", 4, 1 | 2, []], ["toml", 5, 4, []]]},
    {"error": "file contains NUL bytes", "line": None},
    {
        "error": "syntax error: invalid syntax; 1 import(s) recovered",
        "line": 3,
        "imports": [["click", 1, 32, ["click.echo"]]],
        "recovered": 1,
    },
    {
        "imports": [["pandas", 1, 0, [], 0], ["numpy", 2, 32, [], 1]],
        "cell_errors": ["code cell 1: syntax error: invalid syntax"],
        "cell_recovered": [1],
    },
    {"imports": [], "cell_errors": ["code cell 0: syntax error: invalid syntax"]},
]


@pytest.mark.parametrize("form", V2_FORMS)
def test_cached_form_round_trips_unchanged(form: dict[str, Any]) -> None:
    assert ParsedFile.from_cache(form).to_cache() == form


def test_flags_decode_to_named_fields() -> None:
    parsed = ParsedFile.from_cache(V2_FORMS[0] | {"imports": [["..pkg", 2, 63, ["x"], 4]]})
    assert parsed.imports == (
        ImportRecord(
            module="..pkg",
            line=2,
            symbols=("x",),
            type_only=True,
            optional=True,
            dynamic=True,
            relative=True,
            star=True,
            approximate=True,
            cell=4,
        ),
    )


def test_recovered_counts_the_imports_of_a_failed_file_only() -> None:
    assert ParsedFile.from_cache(V2_FORMS[3]).recovered == 1
    assert ParsedFile.from_cache(V2_FORMS[0]).recovered == 0
    assert ParsedFile.from_cache(V2_FORMS[5]).cell_recovered == (0,)


def test_scope_flags_round_trip_and_decode_for_sites() -> None:
    from auditor.imports.records import site_rows

    record = ImportRecord(module="pyarrow", line=3, lazy=True, in_except=True, optional=True)
    row = record.to_cache()
    assert row == ["pyarrow", 3, 2 | 64 | 128, []]
    assert ImportRecord.from_cache(row) == record
    ((module, line, symbols, head, cell, tail),) = site_rows({"imports": [row]})
    assert (module, line, symbols, cell) == ("pyarrow", 3, (), None)
    assert head == (False, True, False, False, False)
    assert tail == (False, True, True)
