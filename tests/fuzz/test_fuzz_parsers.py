"""Every parser, fed generated junk, returns or raises only its documented errors.

A short run per target keeps the whole folder under a minute; `benchmarks/fuzz_long.py` runs
the same targets for 100,000 inputs each.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from fuzz_targets import TARGETS, Target
from hypothesis import HealthCheck, given, settings

SHORT = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
def test_parser_raises_only_its_documented_errors(target: Target) -> None:
    @SHORT
    @given(target.strategy)
    def check(value: Any) -> None:
        with contextlib.suppress(*target.allowed):
            target.run(value)

    check()
