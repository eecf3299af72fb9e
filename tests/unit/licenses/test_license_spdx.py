"""SPDX normalization: expressions, free text, classifiers, texts, and the field precedence."""

from __future__ import annotations

import json

import pytest
from conftest import shared_data

from auditor.licenses.model import Category, LicenseMetadata
from auditor.licenses.spdx import (
    decide,
    normalize_classifiers,
    normalize_expression,
    normalize_text,
)

MIT_TEXT = """MIT License

Copyright (c) 2024 Someone

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("MIT", "MIT"),
        ("mit", "MIT"),
        ("mit or apache-2.0", "MIT OR Apache-2.0"),
        ("Apache-2.0 AND (MIT OR BSD-3-Clause)", "Apache-2.0 AND (MIT OR BSD-3-Clause)"),
        (
            "GPL-2.0-or-later WITH Classpath-exception-2.0",
            "GPL-2.0-or-later WITH Classpath-exception-2.0",
        ),
        ("GPL-2.0", "GPL-2.0-only"),
        ("GPL-2.0+", "GPL-2.0-or-later"),
        ("LGPL-2.1", "LGPL-2.1-only"),
        ("LicenseRef-Acme-Proprietary", "LicenseRef-Acme-Proprietary"),
        ("MIT License", None),
        ("Not-A-License-Id", None),
        ("", None),
        ("MIT OR", None),
    ],
)
def test_normalize_expression(text: str, expected: str | None) -> None:
    assert normalize_expression(text) == expected


@pytest.mark.parametrize(
    ("text", "expected", "family"),
    [
        ("MIT License", "MIT", None),
        ("The MIT License (MIT)", "MIT", None),
        ("Apache 2.0", "Apache-2.0", None),
        ("Apache License, Version 2.0", "Apache-2.0", None),
        ("BSD", None, "BSD (variant not stated)"),
        ("new BSD License", "BSD-3-Clause", None),
        ("GPLv3+", "GPL-3.0-or-later", None),
        ("GPLv3", "GPL-3.0-only", None),
        ("GPL", None, "GNU GPL (version not stated)"),
        ("Python Software Foundation License", "PSF-2.0", None),
        ("MIT or Apache 2.0", "MIT OR Apache-2.0", None),
        ("MIT and BSD-3-Clause", "MIT AND BSD-3-Clause", None),
        ("Apache-2.0 / MIT", "Apache-2.0 OR MIT", None),
        ("Public Domain", None, "public domain (no license)"),
        ("UNKNOWN", None, None),
        ("see LICENSE", None, None),
        ("MIT or something odd", None, None),
    ],
)
def test_normalize_free_text(text: str, expected: str | None, family: str | None) -> None:
    found = normalize_text(text)
    assert found is not None
    assert (found.expression, found.family) == (expected, family)
    if expected is None:
        assert found.raw == text  # unknown keeps the raw text


def test_empty_text_is_no_answer() -> None:
    assert normalize_text(None) is None
    assert normalize_text("  ") is None


def test_license_text_recognised_only_by_its_sentences() -> None:
    found = normalize_text(MIT_TEXT)
    assert found is not None
    assert found.expression == "MIT"
    mixed = MIT_TEXT + "\nParts are under the GNU General Public License version 3.\n"
    found = normalize_text(mixed)
    assert found is not None
    assert found.expression is None
    assert "no marker" in found.note


def test_classifiers_single_several_and_families() -> None:
    mit = "License :: OSI Approved :: MIT License"
    isc = "License :: OSI Approved :: ISC License (ISCL)"
    bsd = "License :: OSI Approved :: BSD License"
    found = normalize_classifiers([mit, "Programming Language :: Python"])
    assert found is not None
    assert found.expression == "MIT"
    found = normalize_classifiers([mit, isc])
    assert found is not None
    assert found.expression == "MIT AND ISC"
    assert "AND" in found.note
    found = normalize_classifiers([bsd])
    assert found is not None
    assert found.expression is None
    assert found.family_category is Category.PERMISSIVE
    found = normalize_classifiers(
        [bsd, "License :: OSI Approved :: GNU General Public License (GPL)"]
    )
    assert found is not None
    assert found.family_category is Category.STRONG_COPYLEFT
    found = normalize_classifiers([mit, bsd])
    assert found is not None
    assert found.expression is None
    assert found.family_category is Category.PERMISSIVE
    assert normalize_classifiers(["Programming Language :: Python"]) is None
    found = normalize_classifiers(["License :: OSI Approved"])
    assert found is not None
    assert found.expression is None
    assert found.family is None


def test_decide_prefers_expression_then_license_then_classifiers() -> None:
    meta = LicenseMetadata(
        expression="Apache-2.0",
        license="MIT",
        classifiers=("License :: OSI Approved :: BSD License",),
    )
    assert decide(meta).expression == "Apache-2.0"
    assert decide(meta).field == "License-Expression"
    meta = LicenseMetadata(
        license="MIT", classifiers=("License :: OSI Approved :: ISC License (ISCL)",)
    )
    assert (decide(meta).expression, decide(meta).field) == ("MIT", "License")
    meta = LicenseMetadata(
        license="UNKNOWN", classifiers=("License :: OSI Approved :: ISC License (ISCL)",)
    )
    assert (decide(meta).expression, decide(meta).field) == ("ISC", "classifiers")
    meta = LicenseMetadata(
        license="GPL",
        classifiers=("License :: OSI Approved :: GNU General Public License v3 (GPLv3)",),
    )
    assert decide(meta).expression == "GPL-3.0-only"
    meta = LicenseMetadata(license=MIT_TEXT)
    assert (decide(meta).expression, decide(meta).field) == ("MIT", "License (text)")


def test_decide_keeps_raw_text_and_says_why_when_unknown() -> None:
    found = decide(LicenseMetadata(expression="Not An Expression", license="Custom terms"))
    assert found.expression is None
    assert "Not An Expression" in found.raw
    assert "Custom terms" in found.raw
    assert "not valid SPDX" in found.note
    found = decide(LicenseMetadata(license_files=("LICENSE.txt",)))
    assert found.expression is None
    assert "LICENSE.txt" in found.note
    found = decide(LicenseMetadata())
    assert found.expression is None
    assert "no license metadata" in found.note


def test_every_current_spdx_id_normalizes_to_itself() -> None:
    listing = json.loads(shared_data("spdx", "licenses.json").read_text(encoding="utf-8"))
    current = [e["licenseId"] for e in listing["licenses"] if not e["isDeprecatedLicenseId"]]
    assert len(current) > 600
    wrong = [i for i in current if normalize_expression(i) != i]
    assert wrong == []
    wrong = [i for i in current if normalize_expression(i.lower()) != i]
    assert wrong == []


def test_deprecated_spdx_ids_become_current_ones_or_stay_as_listed() -> None:
    listing = json.loads(shared_data("spdx", "licenses.json").read_text(encoding="utf-8"))
    ids = {e["licenseId"]: e["isDeprecatedLicenseId"] for e in listing["licenses"]}
    deprecated = [i for i, old in ids.items() if old]
    for spdx_id in deprecated:
        found = normalize_expression(spdx_id)
        assert found is not None, spdx_id
        assert found in ids, (spdx_id, found)  # an SPDX id, never a ScanCode key
    assert normalize_expression("GPL-3.0+") == "GPL-3.0-or-later"
    assert normalize_expression("BSD-2-Clause-FreeBSD") == "BSD-2-Clause-Views"
    upgraded = [i for i in deprecated if not ids[normalize_expression(i) or i]]
    assert len(upgraded) >= 20


def test_every_spdx_exception_works_with_with() -> None:
    listing = json.loads(shared_data("spdx", "exceptions.json").read_text(encoding="utf-8"))
    current = [
        e["licenseExceptionId"] for e in listing["exceptions"] if not e["isDeprecatedLicenseId"]
    ]
    wrong = [x for x in current if normalize_expression(f"GPL-2.0-or-later WITH {x}") is None]
    assert wrong == []


def test_an_expression_license_expression_asserts_on_is_not_a_crash() -> None:
    # license-expression checks operands with ``assert``; found by the property test.
    from auditor.licenses.spdx import normalize_expression
    from auditor.licenses.tree import parse_tree

    for text in ("( AND MIT", "( )"):  # an assert, an IndexError inside the libraries
        assert normalize_expression(text) in (None, text)
        assert parse_tree(text) is None
