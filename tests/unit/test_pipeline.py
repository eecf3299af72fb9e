"""The pipeline: inputs that fail to parse, skipped files, fixture folders, rules and dedupe."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from treekit import write_tree

from auditor.config import Config, load_config
from auditor.errors import ConfigError
from auditor.model import Finding, InputKind, InputStatus, Location, Severity
from auditor.pipeline import (
    ENVIRONMENT_LABEL,
    _dedupe,
    enabled_rule_ids,
    exit_code,
    fixture_dir_patterns,
    parse_input,
    run_audit,
    scan_inputs,
)
from auditor.rules.catalog import load_rules
from auditor.scanning import _fixture_root


def _config(root: Path, **changes: Any) -> Config:
    config = load_config(root, env={"AUDITOR_OFFLINE": "1"})
    return dataclasses.replace(config, **changes)


def test_unreadable_input_becomes_an_error_entry(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").mkdir()
    item = parse_input(tmp_path, "requirements.txt", InputKind.REQUIREMENTS)
    assert item.status is InputStatus.ERROR
    assert item.error is not None
    assert item.error.startswith("requirements.txt:")
    missing = parse_input(tmp_path, "poetry.lock", InputKind.POETRY_LOCK)
    assert missing.status is InputStatus.ERROR
    assert missing.kind is InputKind.POETRY_LOCK


def test_parse_errors_make_the_scan_incomplete_but_keep_the_rest(tmp_path: Path) -> None:
    write_tree(tmp_path, {"requirements.txt": "rich==13.7.0\n", "pyproject.toml": "[project\n"})
    scan = scan_inputs(_config(tmp_path))
    by_path = {item.path: item for item in scan.inputs}
    assert by_path["requirements.txt"].status is InputStatus.OK
    assert by_path["pyproject.toml"].status is InputStatus.ERROR
    assert [gap.source for gap in scan.incomplete] == ["input:pyproject.toml"]
    assert scan.graph.package_count == 1


def test_skipped_binary_inputs_keep_their_kind_and_a_note(tmp_path: Path) -> None:
    write_tree(tmp_path, {"poetry.lock": b"\x00\x01binary", "requirements-dev.txt": b"\x00bin"})
    scan = scan_inputs(_config(tmp_path))
    kinds = {item.path: (item.kind, item.status) for item in scan.inputs}
    assert kinds == {
        "poetry.lock": (InputKind.POETRY_LOCK, InputStatus.SKIPPED),
        "requirements-dev.txt": (InputKind.REQUIREMENTS, InputStatus.SKIPPED),
    }
    assert "poetry.lock: skipped: binary file" in scan.notes
    # Skipped inputs were not audited: the audit says so instead of passing silently.
    assert [i.source for i in scan.incomplete] == [
        "input:poetry.lock",
        "input:requirements-dev.txt",
    ]


def test_environment_input_is_added_on_request(tmp_path: Path) -> None:
    scan = scan_inputs(_config(tmp_path, environment=True))
    (env,) = scan.inputs
    assert (env.path, env.kind, env.status) == (
        ENVIRONMENT_LABEL,
        InputKind.ENVIRONMENT,
        InputStatus.OK,
    )
    assert any(p.name == "pytest" for p in env.packages)
    assert not any(note.startswith("no Python dependency inputs") for note in scan.notes)


def test_fixture_folders_are_skipped_and_summarised(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {"requirements.txt": "rich==13.7.0\n"}
    for name in ("a", "b", "c", "d"):
        files[f"tests/fixtures/{name}/requirements.txt"] = "flask\n"
    files["templates/x/poetry.lock"] = ""
    write_tree(tmp_path, files)
    scan = scan_inputs(_config(tmp_path))
    assert [item.path for item in scan.inputs] == ["requirements.txt"]
    (note,) = [n for n in scan.notes if n.startswith("skipped 5 manifest(s)")]
    assert "(templates, tests/fixtures)" in note
    assert "fixture_dirs = []" in note


def test_more_than_three_fixture_folders_are_counted(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        f"{folder}/requirements.txt": "flask\n"
        for folder in ("fixtures", "x/fixtures", "y/testdata", "z/templates", "w/template")
    }
    write_tree(tmp_path, files)
    scan = scan_inputs(_config(tmp_path))
    assert scan.inputs == ()
    (note,) = [n for n in scan.notes if n.startswith("skipped 5 manifest(s)")]
    assert "(fixtures, w/template, x/fixtures and 2 more)" in note


def test_fixture_dirs_can_be_switched_off(tmp_path: Path) -> None:
    write_tree(tmp_path, {"tests/fixtures/a/requirements.txt": "flask\n"})
    (tmp_path / "pyproject.toml").write_text(
        "[tool.auditor.policy.discovery]\nfixture_dirs = []\n", encoding="utf-8"
    )
    paths = [item.path for item in scan_inputs(_config(tmp_path)).inputs]
    assert "tests/fixtures/a/requirements.txt" in paths


@pytest.mark.parametrize("value", ["fixtures", [1, 2], {"a": "b"}])
def test_bad_fixture_dirs_policy_is_a_config_error(tmp_path: Path, value: object) -> None:
    config = _config(tmp_path)
    config = dataclasses.replace(
        config, policy={**config.policy, "discovery": {"fixture_dirs": value}}
    )
    with pytest.raises(ConfigError, match=r"policy\.discovery\.fixture_dirs"):
        fixture_dir_patterns(config)


def test_blank_fixture_dir_patterns_are_dropped(tmp_path: Path) -> None:
    config = _config(tmp_path)
    config = dataclasses.replace(
        config, policy={**config.policy, "discovery": {"fixture_dirs": ["", " ", "fx"]}}
    )
    assert fixture_dir_patterns(config) == ("fx",)


def test_fixture_root_is_the_outermost_fixture_folder() -> None:
    patterns = ("fixtures", "tests/data")
    assert _fixture_root("a/fixtures/b/fixtures/requirements.txt", patterns) == "a/fixtures"
    assert _fixture_root("pkg/tests/data/x/poetry.lock", patterns) == "pkg/tests/data"
    assert _fixture_root("plain/dir/requirements.txt", patterns) == "plain/dir"


def test_enabled_rule_ids_by_prefix_name_and_all(tmp_path: Path) -> None:
    rules = load_rules()
    every = {rule.id for rule in rules}
    config = _config(tmp_path)
    assert enabled_rule_ids(config, rules) == every
    only_pins = enabled_rule_ids(dataclasses.replace(config, enable=("aud1",)), rules)
    assert only_pins == {r for r in every if r.startswith("AUD1")}
    by_name = enabled_rule_ids(dataclasses.replace(config, enable=("Unpinned-Requirement",)), rules)
    assert by_name == {"AUD101"}
    assert enabled_rule_ids(dataclasses.replace(config, disable=("all",)), rules) == frozenset()
    some = enabled_rule_ids(dataclasses.replace(config, enable=("all",), disable=("AUD1",)), rules)
    assert some == every - only_pins


def test_run_audit_with_given_rules_and_a_finding_filter(tmp_path: Path) -> None:
    write_tree(tmp_path, {"requirements.txt": "flask\nrich\n"})
    rules = load_rules()
    config = _config(tmp_path, enable=("AUD101",))
    everything = run_audit(config, rules=rules)
    assert {f.package for f in everything.findings} == {"flask", "rich"}
    assert {f.rule_id for f in everything.findings} == {"AUD101"}
    only_rich = run_audit(config, rules=rules, finding_filter=lambda f: f.package == "rich")
    assert [f.package for f in only_rich.findings] == ["rich"]


def test_severity_overrides_by_id_or_name(tmp_path: Path) -> None:
    write_tree(tmp_path, {"requirements.txt": "flask\n"})
    rules = load_rules()
    base = _config(tmp_path, enable=("AUD101",))
    by_id = run_audit(dataclasses.replace(base, severity_overrides={"AUD101": Severity.CRITICAL}),
                      rules=rules)  # fmt: skip
    assert [f.severity for f in by_id.findings] == [Severity.CRITICAL]
    by_name = run_audit(
        dataclasses.replace(base, severity_overrides={"UNPINNED-REQUIREMENT": Severity.INFO}),
        rules=rules,
    )
    assert [f.severity for f in by_name.findings] == [Severity.INFO]
    assert exit_code(by_name, base) == 0
    assert exit_code(by_id, base) == 1


def _finding(line: int, key: str = "") -> Finding:
    return Finding(
        rule_id="AUD501",
        rule_name="missing-import",
        severity=Severity.LOW,
        message="yaml is imported but not declared",
        package="yaml",
        locations=(Location(path="app.py", line=line),),
        key=key,
    )


def test_same_fingerprint_findings_merge_their_locations() -> None:
    merged = _dedupe([_finding(3), _finding(9), _finding(3), _finding(4, key="other")])
    assert len(merged) == 2
    assert [str(loc) for loc in merged[0].locations] == ["app.py:3", "app.py:9"]
    assert merged[0].fingerprint == _finding(3).fingerprint
    assert [str(loc) for loc in merged[1].locations] == ["app.py:4"]
