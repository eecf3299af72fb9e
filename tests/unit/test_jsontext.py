"""The indented JSON writer gives exactly the standard library's text, whichever encoder ran."""

from __future__ import annotations

import json
from typing import Any

import pytest

from auditor.jsontext import pretty


@pytest.mark.parametrize(
    "data",
    [
        {"b": 1, "a": [1, 2.5, None, True, {"x": []}], "c": {}, "d": 'é ✓ \x1b \n " \\ /'},
        [],
        {"nested": [[[]]], "big": 2**40, "neg": -0.0, "score": 7.5, "seconds": 0.123},
    ],
)
def test_same_text_as_the_standard_library(data: Any) -> None:
    assert pretty(data) == json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def test_a_float_with_an_exponent_is_the_same_number() -> None:
    data = {"small": 1e-7, "large": 1.5e300}
    assert json.loads(pretty(data)) == data


@pytest.mark.parametrize(
    "data",
    [
        {"path": "caf\udce9.txt"},  # a lone surrogate: an undecodable file name
        {"n": 2**70},  # beyond 64 bits
        {1: "non-string key"},
    ],
)
def test_what_the_fast_encoder_refuses_falls_back(data: Any) -> None:
    assert pretty(data) == json.dumps(data, indent=2, ensure_ascii=False) + "\n"
