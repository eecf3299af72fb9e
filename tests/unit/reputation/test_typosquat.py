"""The typosquat matcher: techniques, protections, allow-list, suggestions, real-data FP rate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import shared_data

from auditor.config import load_config
from auditor.errors import ConfigError
from auditor.reputation.policy import load_policy_allowlist, load_reputation_policy
from auditor.reputation.popular import PopularList, parse_popular
from auditor.reputation.typosquat import (
    AllowList,
    TyposquatMatcher,
    TyposquatPolicy,
    load_allowlist,
    osa_distance,
)

NAMES = [
    "requests", "numpy", "python-dateutil", "colorama", "typing-extensions", "urllib3",
    "beautifulsoup4", "tensorflow", "flask", "django", "pymongo", "aiohttp", "botocore",
    "setuptools", "pytest", "six", "cryptography", "charset-normalizer", "scikit-learn",
]  # fmt: skip


def _policy(**changes: Any) -> TyposquatPolicy:
    table = dict(load_config(Path()).policy_section("reputation")["typosquat"])
    table.update(changes)
    return TyposquatPolicy.from_mapping(table, "test")


def _popular(names: list[str] = NAMES, extra: list[tuple[str, int]] = ()) -> PopularList:  # type: ignore[assignment]  # () is an immutable empty default
    rows = [{"project": n, "download_count": 10**9 - i} for i, n in enumerate(names)]
    rows += [{"project": n, "download_count": d} for n, d in extra]
    return parse_popular({"rows": rows}, "test")


@pytest.fixture
def matcher() -> TyposquatMatcher:
    return TyposquatMatcher(_popular(), _policy(protect_top=5, target_top=1000))


@pytest.mark.parametrize(
    ("name", "target", "technique"),
    [
        ("reqeusts", "requests", "swap"),
        ("requestss", "requests", "double"),
        ("reqests", "requests", "omit"),
        ("requesrs", "requests", "keyboard"),
        ("requesrts", "requests", "keyboard"),
        ("reque5ts", "requests", "homoglyph"),
        ("co1orama", "colorama", "homoglyph"),
        ("pyrnongo", "pymongo", "homoglyph"),
        ("pythondateutil", "python-dateutil", "separator"),
        ("typing_extensionss", "typing-extensions", "double"),
        ("python-flask", "flask", "affix"),
        ("numpy-python", "numpy", "affix"),
        ("dateutil", "python-dateutil", "affix"),
        ("crytpogrpahy", "cryptography", "two-typos"),
        ("charset-normaliser", "charset-normalizer", "keyboard"),
    ],
)
def test_techniques(matcher: TyposquatMatcher, name: str, target: str, technique: str) -> None:
    found = matcher.match(name)
    assert found is not None, name
    assert (found.target, found.technique) == (target, technique)
    assert found.to_json()["target"] == target


@pytest.mark.parametrize(
    "name",
    [
        "requests",  # the popular name itself
        "Requests",  # another spelling of it (PEP 503)
        "equests",  # a first letter left out reads as a different word, not a slip
        "urllib4",  # digits changed on purpose (versions, CUDA builds)
        "urllib",  # a digit dropped likewise
        "six7",
        "sox",  # too short for edit-distance matching
        "pandas-stubs",
        "completely-unrelated",
        "reqxyzsts",  # a substitution that is no keyboard slip
    ],
)
def test_non_matches(matcher: TyposquatMatcher, name: str) -> None:
    assert matcher.match(name) is None


def test_popular_names_are_protected_and_ratio_applies() -> None:
    popular = _popular(extra=[("reqeusts", 5_000_000), ("colorrama", 1)])
    protect = TyposquatMatcher(popular, _policy(protect_top=len(NAMES) + 1))
    assert protect.match("reqeusts") is None  # ranked inside protect_top
    ratio = TyposquatMatcher(popular, _policy(protect_top=3, min_download_ratio=1000))
    assert ratio.match("reqeusts") is None  # requests has fewer than 1000x its downloads
    assert ratio.match("colorrama") is not None  # 1 download: far below
    assert ratio.match("reqeusts", as_unknown=True) is not None


def test_only_top_targets_count() -> None:
    matcher = TyposquatMatcher(_popular(), _policy(target_top=1))
    assert matcher.match("reqeusts") is not None  # requests is rank 1
    assert matcher.match("nunpy") is None  # numpy is rank 2


def test_allowlist_groups_and_names(tmp_path: Path) -> None:
    path = tmp_path / "allow.yaml"
    path.write_text(
        "schema: 1\ngroups:\n  - names: [requests, reqeusts]\n    reason: test\n"
        "names: [requestss]\n",
        encoding="utf-8",
    )
    allow = load_allowlist(path)
    matcher = TyposquatMatcher(_popular(), _policy(), allow)
    assert matcher.match("reqeusts") is None
    assert matcher.match("requestss") is None
    assert matcher.match("reqests") is not None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("schema: 2\n", "expected a mapping with schema: 1"),
        ("schema: 1\ngroups: [{names: [a]}]\n", "/groups/0/names: expected two or more names"),
        ("schema: 1\ngroups: [{names: [a, b]}]\n", "/groups/0/reason: say why"),
        ("schema: 1\nnames: x\n", "/names: expected a list of names"),
        ("schema: [\n", "invalid YAML"),
    ],
)
def test_allowlist_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "allow.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
        load_allowlist(path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"protect_top": -1}, "test.protect_top: expected a non-negative integer"),
        ({"prefixes": "py-"}, "test.prefixes: expected a list of strings"),
        ({"techniques": ["telepathy"]}, "test.techniques: unknown ['telepathy']"),
        ({"homoglyphs": [["0"]]}, "test.homoglyphs: expected a list of"),
        ({"min_download_ratio": "x"}, "test.min_download_ratio: expected a non-negative number"),
    ],
)
def test_policy_errors(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        _policy(**change)
    assert str(info.value).startswith(message)


def test_techniques_can_be_switched_off() -> None:
    matcher = TyposquatMatcher(_popular(), _policy(techniques=["separator"]))
    assert matcher.match("reqeusts") is None
    assert matcher.match("pythondateutil") is not None


def test_suggestions_rank_by_distance_then_popularity(matcher: TyposquatMatcher) -> None:
    assert matcher.suggest("reqeusts")[0] == "requests"
    assert matcher.suggest("flask-py") == ["flask"]
    assert matcher.suggest("zzzzzzzzzz") == []
    assert len(matcher.suggest("sx", limit=2, max_distance=2)) <= 2


@pytest.mark.parametrize(
    ("a", "b", "limit", "expected"),
    [("abc", "abc", 2, 0), ("abc", "acb", 2, 1), ("abc", "xyz", 2, 3), ("a", "abcd", 1, 2),
     ("kitten", "sitting", 3, 3)],
)  # fmt: skip
def test_osa_distance(a: str, b: str, limit: int, expected: int) -> None:
    assert osa_distance(a, b, limit) == expected


def test_shipped_allowlist_loads() -> None:
    policy = load_reputation_policy(load_config(Path()))
    allow = load_policy_allowlist(policy)
    assert allow.allows("ujson", "ijson")
    assert isinstance(allow, AllowList)


def test_false_positive_rate_on_top_5000_is_below_half_a_percent() -> None:
    """Each popular name checked as if unknown, against the list minus itself (computed)."""
    data = json.loads(shared_data("pypi", "top-pypi-packages.json").read_text(encoding="utf-8"))
    popular = parse_popular(data, "top-pypi-packages.json")
    policy = load_reputation_policy(load_config(Path()))
    matcher = TyposquatMatcher(popular, policy.typosquat, load_policy_allowlist(policy))
    top = [p.name for p in popular.top(5000)]
    flagged = [n for n in top if matcher.match(n, as_unknown=True) is not None]
    assert len(flagged) / len(top) < 0.005, flagged
    # As deployed, popular names are never reported at all.
    assert not [n for n in top if matcher.match(n) is not None]


def test_detects_known_malicious_typosquats() -> None:
    names = shared_data("malicious", "datadog-malicious-pypi-names.txt").read_text().split()
    data = json.loads(shared_data("pypi", "top-pypi-packages.json").read_text(encoding="utf-8"))
    popular = parse_popular(data, "top-pypi-packages.json")
    policy = load_reputation_policy(load_config(Path()))
    matcher = TyposquatMatcher(popular, policy.typosquat, load_policy_allowlist(policy))
    for name in ("requesrts", "colotama", "beautifulsup4", "tensrflow", "typing-extnesions"):
        assert name in names
        assert matcher.match(name) is not None, name


def test_suggestions_for_invented_names_built_on_real_ones() -> None:
    # Assistants invent names by adding words to a real project's name.
    popular = _popular(
        [*NAMES, "pandas", "pandas-profiling", "flask-jwt-extended", "torch", "torch-optimizer",
         "fastapi", "fastapi-cache2"]
    )  # fmt: skip
    matcher = TyposquatMatcher(popular, _policy())
    assert matcher.suggest("pandas-profiling-lite")[0] == "pandas-profiling"
    assert matcher.suggest("flask-jwt-simple-auth")[:2] == ["flask-jwt-extended", "flask"]
    assert matcher.suggest("torch-optimizers-extra")[0] == "torch-optimizer"
    assert matcher.suggest("fastapi-cache-redis")[0] == "fastapi-cache2"
    assert matcher.suggest("requests-retry-session") == ["requests"]
    assert matcher.suggest("zzzzzz-qqqqqq") == []
