"""Baseline files: create, update (kept/added/dropped), apply, invalid files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from report_sample import make_result

from auditor.baseline import (
    apply_baseline,
    create_baseline,
    load_baseline,
    save_baseline,
    update_baseline,
)
from auditor.errors import ConfigError
from auditor.result import BaselineState


def test_create_save_load_round_trip(tmp_path: Path) -> None:
    result = make_result()
    baseline = create_baseline(result.findings, target="app")
    path = tmp_path / "b.json"
    save_baseline(path, baseline)
    data = json.loads(path.read_text())
    assert data["schema_version"] == 1
    assert list(data["fingerprints"]) == sorted(f.fingerprint for f in result.findings)
    entry = data["fingerprints"][result.findings[0].fingerprint]
    assert entry["rule_id"] == result.findings[0].rule_id
    assert entry["message"] == result.findings[0].message
    loaded = load_baseline(path)
    assert set(loaded.entries) == set(baseline.entries)


def test_apply_moves_known_findings_to_suppressed() -> None:
    result = make_result()
    baseline = create_baseline(result.findings[:2])
    applied = apply_baseline(result, baseline, file="b.json")
    assert applied.findings == result.findings[2:]
    assert applied.baseline == BaselineState(file="b.json", matched=2, new=2)
    assert {s.by for s in applied.suppressed} == {"baseline", "inline"}
    assert applied.to_json()["baseline"] == {"file": "b.json", "matched": 2, "new": 2}


def test_update_keeps_adds_and_drops() -> None:
    result = make_result()
    old = create_baseline(result.findings[:3])
    old = type(old)(entries={**old.entries, "gone": {"rule_id": "AUD1"}}, created="c")
    update = update_baseline(old, result.findings[1:])
    assert (update.kept, update.added, update.dropped) == (2, 1, 2)
    assert set(update.baseline.entries) == {f.fingerprint for f in result.findings[1:]}
    assert update.baseline.created == "c"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "b.json:1: invalid JSON"),
        ("[]", "b.json: a baseline must be a JSON object"),
        ('{"schema_version": 9, "fingerprints": {}}', "/schema_version: expected 1, got 9"),
        ('{"schema_version": 1}', "/fingerprints: expected an object"),
        ('{"schema_version": 1, "fingerprints": {"x": 1}}', "/fingerprints/x: expected an object"),
    ],
)
def test_invalid_files_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "b.json"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message.replace("b.json", ".*b.json")):
        load_baseline(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read baseline"):
        load_baseline(tmp_path / "nope.json")
