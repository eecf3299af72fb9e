"""A version already in PEP 440 normal form skips the parse: the answer must be the same."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.version import Version

from auditor.advisories.matching import _NORMAL, _canonical

_NUMBER = st.integers(min_value=0, max_value=10**6).map(str)
_RELEASE = st.lists(_NUMBER, min_size=1, max_size=5).map(".".join)
_PRE = st.one_of(st.just(""), st.tuples(st.sampled_from(["a", "b", "rc"]), _NUMBER).map("".join))
_POST = st.one_of(st.just(""), _NUMBER.map(lambda n: f".post{n}"))
_DEV = st.one_of(st.just(""), _NUMBER.map(lambda n: f".dev{n}"))


@given(_RELEASE, _PRE, _POST, _DEV)
def test_normal_form_text_is_its_own_canonical_form(
    release: str, pre: str, post: str, dev: str
) -> None:
    text = release + pre + post + dev
    assert _NORMAL.fullmatch(text)
    assert _canonical(text) == str(Version(text)) == text


@pytest.mark.parametrize(
    ("text", "canonical"),
    [("01.2", "1.2"), ("1.0-rc1", "1.0rc1"), ("1.0RC1", "1.0rc1"), ("1!2.0", "1!2.0"),
     ("1.0+Local", "1.0+local"), ("v1.0", "1.0"), ("1.0c1", "1.0rc1"),
     ("not a version", "not a version")],
)  # fmt: skip
def test_other_spellings_are_parsed(text: str, canonical: str) -> None:
    assert _canonical(text) == canonical
