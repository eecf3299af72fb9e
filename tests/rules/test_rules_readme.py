"""rules/README.md's table is generated from the rule files and must be current."""

from __future__ import annotations

import sys

from conftest import REPO

sys.path.insert(0, str(REPO / "scripts"))

import gen_rules_index


def test_rules_readme_is_current() -> None:
    text = gen_rules_index.README.read_text(encoding="utf-8")
    assert gen_rules_index.updated_text(text) == text, "run: python scripts/gen_rules_index.py"
