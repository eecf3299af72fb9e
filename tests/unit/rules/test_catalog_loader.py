"""Rule files: schema errors name file and JSON pointer; duplicates are rejected."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.errors import RuleError
from auditor.rules.catalog import load_rules

GOOD = """schema: 1
id: {id}
name: {name}
title: T
description: D
severity: high
category: pins
applies_to: [requirements]
engine: python
check: pins
remediation: R
references: []
tags: []
"""


def test_loads_valid_rules(tmp_path: Path) -> None:
    (tmp_path / "AUD101-x.yaml").write_text(GOOD.format(id="AUD101", name="x"))
    catalog = load_rules(tmp_path)
    assert [r.id for r in catalog] == ["AUD101"]
    assert catalog.find("x") is catalog.get("AUD101")


def test_errors_are_gathered(tmp_path: Path) -> None:
    (tmp_path / "AUD101-x.yaml").write_text(
        GOOD.format(id="AUD101", name="x").replace("high", "severe")
    )
    (tmp_path / "AUD102-y.yaml").write_text(GOOD.format(id="AUD103", name="y"))
    (tmp_path / "AUD104-z.yaml").write_text("a: [")
    with pytest.raises(ExceptionGroup) as info:
        load_rules(tmp_path)
    messages = sorted(str(e) for e in info.value.exceptions)
    assert all(isinstance(e, RuleError) for e in info.value.exceptions)
    assert "AUD101-x.yaml: /severity: 'severe' is not one of" in messages[0]
    assert "AUD102-y.yaml: /id: file name says AUD102-y, file says AUD103-y" in messages[1]
    assert "AUD104-z.yaml: invalid YAML" in messages[2]


def test_duplicate_ids(tmp_path: Path) -> None:
    (tmp_path / "AUD101-x.yaml").write_text(GOOD.format(id="AUD101", name="x"))
    (tmp_path / "AUD101-x.yml").write_text(GOOD.format(id="AUD101", name="x"))
    with pytest.raises(ExceptionGroup, match="invalid rule file"):
        load_rules(tmp_path)


def test_validation_marker_skips_only_unchanged_rules(tmp_path: Path) -> None:
    rules_dir, marks = tmp_path / "rules", tmp_path / "marks"
    rules_dir.mkdir()
    rule_file = rules_dir / "AUD101-x.yaml"
    rule_file.write_text(GOOD.format(id="AUD101", name="x"))
    load_rules(rules_dir, validated_dir=marks)
    assert len(list(marks.iterdir())) == 1
    # An edit changes the digest, so the broken file is validated (and rejected) again.
    rule_file.write_text(GOOD.format(id="AUD101", name="x").replace("high", "severe"))
    with pytest.raises(ExceptionGroup, match="invalid rule file"):
        load_rules(rules_dir, validated_dir=marks)
