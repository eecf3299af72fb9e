"""The derivation matcher: names composed from popular names (affix, compound, portmanteau)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from auditor.config import load_config
from auditor.errors import ConfigError
from auditor.reputation.derivation import DerivationMatcher, DerivationPolicy
from auditor.reputation.policy import load_reputation_policy
from auditor.reputation.popular import parse_popular
from auditor.reputation.typosquat import AllowList

NAMES = ["requests", "numpy", "pandas", "flask", "torch", "scikit-learn", "httpx", "six",
         "urllib3", "jwt", "redis"]  # fmt: skip
POPULAR = parse_popular(
    {"rows": [{"project": n, "download_count": 10**9 - i} for i, n in enumerate(NAMES)]}, "top"
)


@pytest.fixture(scope="module")
def policy() -> DerivationPolicy:
    return load_reputation_policy(load_config(Path.cwd(), env={})).derivation


@pytest.mark.parametrize(
    ("name", "target", "technique", "detail"),
    [
        ("torch-utils-pro", "torch", "affix", "'torch' with 'utils' + 'pro' added"),
        ("requestsx", "requests", "affix", "'requests' with 'x' glued on"),
        ("easy_requests", "requests", "affix", "'requests' with 'easy' added"),
        ("scikit-learn-lite", "scikit-learn", "affix", "'scikit-learn' with 'lite' added"),
        ("flask-jwt-simple-auth", "flask", "compound",
         "'flask' with 'jwt' + 'simple' + 'auth' added"),
        ("Pandas-Numpy", "numpy", "compound", "'numpy' with 'pandas' added"),
        ("pandasprox", "pandas", "extension", "'pandas' with 'prox' glued on"),
        ("urllib3loader", "urllib3", "affix", "'urllib3' with 'loader' glued on"),
        ("httpxontop", "httpx", "extension", "'httpx' with 'ontop' glued on"),
        ("numcore", "numpy", "portmanteau", "the start of 'numpy' ('num') + 'core'"),
        ("reqkit", "requests", "portmanteau", "the start of 'requests' ('req') + 'kit'"),
        ("pandalyze", "pandas", "portmanteau", "'pandas' clipped to 'panda' + 'lyze'"),
        ("numcore-helper", "numpy", "portmanteau",
         "the start of 'numpy' ('num') + 'core' and 'helper' added"),
    ],
)  # fmt: skip
def test_composed_names_are_explained(
    policy: DerivationPolicy, name: str, target: str, technique: str, detail: str
) -> None:
    found = DerivationMatcher(POPULAR, policy).derive(name)
    assert found is not None
    assert (found.target, found.technique, found.detail) == (target, technique, detail)
    assert found.to_json() == {
        "target": target,
        "target_rank": POPULAR.rank(target),
        "technique": technique,
        "detail": detail,
    }


@pytest.mark.parametrize(
    "name",
    [
        "requests",  # the popular names themselves
        "scikit_learn",
        "jwt",
        "scikitlearn",  # separators moved: the typosquat check's case, not a composition
        "reqeusts",  # a typing mistake: the typosquat check's case
        "requests-oauthlib-extras-for-teams",  # a word that is neither common nor listed
        "flask-anything",
        "httpx5",  # digits only
        "beautiful",  # unrelated
        "numbers",  # "num" + "bers": not a common word
        "pandamonia",  # "panda" + "monia": the ending is as long as what is borrowed
    ],
)
def test_other_names_are_not_derived(policy: DerivationPolicy, name: str) -> None:
    found = DerivationMatcher(POPULAR, policy).derive(name)
    assert found is None, found


def test_short_names_count_only_as_whole_words(policy: DerivationPolicy) -> None:
    matcher = DerivationMatcher(POPULAR, policy)
    assert matcher.derive("six-utils") is not None  # a word of its own (min_word_stem = 3)
    assert matcher.derive("sixutils") is None  # glued: too short (min_stem = 4)


def test_allow_list_names_and_pairs_are_respected(policy: DerivationPolicy) -> None:
    allow = AllowList(groups=(frozenset({"numcore", "numpy"}),), names=frozenset({"reqkit"}))
    matcher = DerivationMatcher(POPULAR, policy, allow)
    assert matcher.derive("reqkit") is None
    assert matcher.derive("numcore") is None
    assert matcher.derive("pandalyze") is not None


def test_targets_are_limited_to_the_most_popular(policy: DerivationPolicy) -> None:
    narrow = dataclasses.replace(policy, target_top=2)  # requests and numpy only
    matcher = DerivationMatcher(POPULAR, narrow)
    assert matcher.derive("numcore") is not None
    assert matcher.derive("torch-utils-pro") is None


def test_policy_is_validated() -> None:
    table = {"target_top": 1, "min_stem": 4, "min_extended": 5, "min_word_stem": 3,
             "min_head": 3, "min_clipped": 5, "max_free_tail": 6, "min_filler": 3,
             "affixes": ["Lite", "-kit"]}  # fmt: skip
    assert DerivationPolicy.from_mapping(table, "p").affixes == ("lite", "kit")
    with pytest.raises(ConfigError, match=r"^p\.min_head: expected a non-negative integer$"):
        DerivationPolicy.from_mapping({**table, "min_head": "3"}, "p")
    with pytest.raises(ConfigError, match=r"^p\.affixes: expected a list of words$"):
        DerivationPolicy.from_mapping({**table, "affixes": ["ok", "-"]}, "p")
