"""The development-path predicate answers exactly as fnmatch would, glob by glob."""

from __future__ import annotations

import fnmatch

from hypothesis import given
from hypothesis import strategies as st

from auditor.config import load_policy_defaults
from auditor.imports.dev_paths import dev_path_matcher

_POLICY = load_policy_defaults()["imports"]
_GLOBS = [*_POLICY["dev_paths"], *_POLICY["vendored_paths"],
          "a?b/*", "[xy]z.py", "*a*b*c*", "x*", "lit.py", "*mid*", "ab*ba"]  # fmt: skip
_PARTS = st.sampled_from(["tests", "test", "src", "pkg", "docs", "conftest.py", "test_x.py",
                          "a_test.py", "x.py", "_vendor", "y_tests", "a_template", "scripts",
                          "setup.py", "azb", "xz.py", "abc", "lit.py", "mid", "test_.py", "aba",
                          "abba", "Tests"])  # fmt: skip


@given(st.lists(_PARTS, min_size=1, max_size=5), st.lists(st.sampled_from(_GLOBS), max_size=8))
def test_same_answer_as_fnmatch(parts: list[str], globs: list[str]) -> None:
    path = "/".join(parts)
    expected = any(fnmatch.fnmatchcase(path, glob) for glob in globs)
    assert dev_path_matcher(globs)(path) is expected


def test_no_globs_match_nothing() -> None:
    assert dev_path_matcher([])("tests/test_a.py") is False
