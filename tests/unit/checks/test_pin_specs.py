"""Specifier questions behind the pin rules: upper bounds, pre-release pins, satisfiability.

Which version a specifier pins is `Requirement.pinned` (tests/unit/test_one_pin_parse.py). The
helpers take the typed values a source built, so text packaging rejects never reaches them.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.specifiers import SpecifierSet

from auditor.checks.pin_specs import (
    check_satisfiable,
    has_upper_bound,
    is_prerelease_pin,
    satisfies,
    suggest_upper_bound,
)
from auditor.specs import pinned_version


def _sets(*texts: str) -> list[SpecifierSet]:
    return [SpecifierSet(text) for text in texts]


@pytest.mark.parametrize(
    ("spec", "bounded"),
    [
        (">=1.0", False),
        (">1.0", False),
        ("!=1.5", False),
        ("!=1.5,!=1.6", False),
        (">=1.0,<2", True),
        ("<=3", True),
        ("~=1.4", True),
        ("~=1.4.5", True),
        ("==1.*", True),
        ("===1.0", True),
        ("", False),
    ],
)
def test_has_upper_bound(spec: str, bounded: bool) -> None:
    assert has_upper_bound(SpecifierSet(spec)) is bounded


@pytest.mark.parametrize(
    ("spec", "pre"),
    [("==2.0b1", "2.0b1"), ("==3.0.dev4", "3.0.dev4"), ("==2.0", None), (">=2.0b1", None),
     ("===1.0rc1", "1.0rc1")],
)  # fmt: skip
def test_prerelease_pin(spec: str, pre: str | None) -> None:
    assert is_prerelease_pin(pinned_version(SpecifierSet(spec))) == pre


@pytest.mark.parametrize(
    ("spec", "suggestion"),
    [(">=2.1", ">=2.1,<3"), (">=0.4", ">=0.4,<0.5"), (">1.0,!=1.5", "!=1.5,>1.0,<2"),
     ("!=1.0", None)],
)  # fmt: skip
def test_suggest_upper_bound(spec: str, suggestion: str | None) -> None:
    assert suggest_upper_bound(SpecifierSet(spec)) == suggestion


@pytest.mark.parametrize(
    ("specs", "ok"),
    [
        (["==1.0", "==1.1"], False),
        (["==1.0", "==1.0.0"], True),  # PEP 440 equal
        (["==4.2.1", ">=5.0"], False),
        ([">=1.0", "<2.0"], True),
        ([">1.0", "<1.0.1"], True),  # only 1.0.0.0.1-like versions fit
        ([">=2", "<2"], False),
        (["~=1.4", "<1.4"], False),
        (["~=1.4.5", "==1.4.9"], True),
        (["!=1.0", "==1.0"], False),
        (["!=1.0"], True),
        (["==2.0b1", ">=2.0b1"], True),  # pinned pre-release is a version like any other
        ([">=2.0b1", "<2.0"], False),  # PEP 440: <2.0 excludes 2.0's pre-releases
        (["===foobar", "===foobar"], True),
        (["==1.*", "==2.*"], False),
        (["==1.*", ">=1.5"], True),
    ],
)
def test_check_satisfiable(specs: list[str], ok: bool) -> None:
    assert check_satisfiable(_sets(*specs)).satisfiable is ok


def test_locked_versions_are_candidates() -> None:
    verdict = check_satisfiable(_sets("==1.*", "!=1.0"), ["1.7.3"])
    assert verdict.satisfiable
    assert "1.7.3" in verdict.tried


def test_satisfies_handles_prereleases_and_arbitrary() -> None:
    assert satisfies(SpecifierSet(">=2.0"), "2.1rc1") is True
    assert satisfies(SpecifierSet("<2"), "2.0b1") is False
    assert satisfies(SpecifierSet("===foobar"), "foobar") is True
    assert satisfies(SpecifierSet(">=1"), "foobar") is None


_versions = st.tuples(st.integers(0, 5), st.integers(0, 5), st.integers(0, 5)).map(
    lambda t: ".".join(map(str, t))
)


@given(low=_versions, high=_versions)
def test_range_satisfiable_iff_low_below_high(low: str, high: str) -> None:
    from packaging.version import Version

    verdict = check_satisfiable(_sets(f">={low}", f"<{high}"))
    assert verdict.satisfiable is (Version(low) < Version(high))


@given(a=_versions, b=_versions)
def test_two_exact_pins_conflict_iff_different(a: str, b: str) -> None:
    from packaging.version import Version

    verdict = check_satisfiable(_sets(f"=={a}", f"=={b}"))
    assert verdict.satisfiable is (Version(a) == Version(b))
