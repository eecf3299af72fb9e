"""Normalization of real license strings and classifiers read from real package metadata.

The data (``data/real_license_strings.json``) was collected from the METADATA of wheels and
installed distributions on the development machine and from the License classifiers that the
trove-classifiers package ships; each row's expected answer was reviewed by hand. The SPDX
License List in ../shared/data/spdx is the reference for every id the answers name.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import shared_data

from auditor.licenses.spdx import normalize_classifiers, normalize_expression, normalize_text
from auditor.licenses.tree import leaves, parse_tree

DATA = Path(__file__).parent / "data" / "real_license_strings.json"
ROWS: list[dict[str, Any]] = json.loads(DATA.read_text(encoding="utf-8"))["strings"]


def _normalize(row: dict[str, Any]) -> tuple[str | None, str | None]:
    kind, text = row["kind"], row["text"]
    if kind == "expression":
        return normalize_expression(text), None
    found = normalize_text(text) if kind == "license" else normalize_classifiers([text])
    assert found is not None
    return found.expression, found.family


def test_at_least_150_real_strings_of_every_kind() -> None:
    assert len(ROWS) >= 150
    kinds = {row["kind"] for row in ROWS}
    assert kinds == {"expression", "license", "classifier"}
    assert len({(row["kind"], row["text"]) for row in ROWS}) == len(ROWS)


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r['kind']}:{r['text'][:40]}")
def test_real_string_normalizes_as_reviewed(row: dict[str, Any]) -> None:
    assert _normalize(row) == (row["spdx"], row["family"])


def test_expected_ids_are_current_spdx_list_ids() -> None:
    listing = json.loads(shared_data("spdx", "licenses.json").read_text(encoding="utf-8"))
    exceptions = json.loads(shared_data("spdx", "exceptions.json").read_text(encoding="utf-8"))
    current = {e["licenseId"] for e in listing["licenses"] if not e["isDeprecatedLicenseId"]}
    exception_ids = {e["licenseExceptionId"] for e in exceptions["exceptions"]}
    for row in ROWS:
        if row["spdx"] is None:
            continue
        tree = parse_tree(row["spdx"])
        assert tree is not None, row["spdx"]
        for leaf in leaves(tree):
            assert leaf.license in current or leaf.license.startswith("LicenseRef-"), row
            assert leaf.exception is None or leaf.exception in exception_ids


def test_coverage_figures() -> None:
    """The figures the README quotes: most real strings map, the rest stay unknown honestly."""
    mapped = [r for r in ROWS if r["spdx"]]
    family = [r for r in ROWS if not r["spdx"] and r["family"]]
    unknown = [r for r in ROWS if not r["spdx"] and not r["family"]]
    assert len(mapped) + len(family) + len(unknown) == len(ROWS)
    assert len(mapped) / len(ROWS) >= 0.7
    # Nothing unknown is a plain SPDX id in disguise: each names no license, several at once
    # without saying how they combine, or a license text that also names another license.
    for row in unknown:
        assert normalize_expression(row["text"]) is None
