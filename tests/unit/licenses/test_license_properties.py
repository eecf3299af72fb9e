"""Property tests: normalization never crashes on hostile text and is idempotent."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.licenses import canonicalize_license_expression

from auditor.licenses.category import expression_category
from auditor.licenses.model import Category, LicenseMetadata
from auditor.licenses.spdx import (
    decide,
    normalize_classifiers,
    normalize_expression,
    normalize_text,
)

IDS = [
    "MIT",
    "Apache-2.0",
    "GPL-3.0-only",
    "BSD-3-Clause",
    "MPL-2.0",
    "AGPL-3.0-or-later",
    "LicenseRef-Acme",
    "CC0-1.0",
    "LGPL-2.1-or-later",
    "ISC",
    "gpl-2.0+",
    "mit",
]
WORDS = st.sampled_from(
    [
        *IDS,
        "AND",
        "OR",
        "and",
        "or",
        "WITH",
        "(",
        ")",
        "License",
        "BSD",
        "Classpath-exception-2.0",
        "::",
        "v3+",
        "  ",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_never_crashes(text: str) -> None:
    normalize_text(text)
    normalize_classifiers([f"License :: {text}", text])
    found = decide(LicenseMetadata(expression=text, license=text, classifiers=(text,)))
    assert found.expression is None or normalize_expression(found.expression) == found.expression


@settings(max_examples=300, deadline=None)
@given(st.lists(WORDS, max_size=12).map(" ".join))
def test_expression_normalization_is_idempotent_and_canonical(text: str) -> None:
    found = normalize_expression(text)
    if found is None:
        return
    assert normalize_expression(found) == found
    assert str(canonicalize_license_expression(found)) == found
    assert expression_category(found) in set(Category)


@given(st.lists(st.sampled_from(IDS[:6]), min_size=1, max_size=5))
def test_or_is_never_stricter_than_and(ids: list[str]) -> None:
    either = expression_category(normalize_expression(" OR ".join(ids)) or "MIT")
    both = expression_category(normalize_expression(" AND ".join(ids)) or "MIT")
    assert either.rank <= both.rank
