"""SARIF 2.1.0: schema-valid, one descriptor per rule, located results, stable fingerprints."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import jsonschema
import pytest
from conftest import shared_data
from report_sample import make_result

from auditor.model import Finding, Location, Severity
from auditor.report.sarif import FINGERPRINT_KEY, REPORTER, sarif_level, security_severity
from auditor.result import AuditResult


@pytest.fixture
def sample() -> AuditResult:
    return make_result()


def _log(result: AuditResult) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(REPORTER.render(result))
    return data


def test_validates_against_the_sarif_schema(sample: AuditResult) -> None:
    schema = json.loads(shared_data("schemas", "sarif-schema-2.1.0.json").read_text())
    errors = list(jsonschema.Draft4Validator(schema).iter_errors(_log(sample)))
    assert errors == []


def test_one_descriptor_per_rule_with_help_and_security_severity(sample: AuditResult) -> None:
    run = _log(sample)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids))
    assert {"AUD201", "AUD501", "AUD999"} <= set(ids)  # AUD999 is not in the catalogue
    for rule in rules:
        assert rule["shortDescription"]["text"]
        assert rule["fullDescription"]["text"]
        assert "Remediation" in rule["help"]["text"]
        assert "**Remediation:**" in rule["help"]["markdown"]
        assert float(rule["properties"]["security-severity"]) >= 0
        assert isinstance(rule["properties"]["tags"], list)
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_security_severity_and_levels() -> None:
    assert security_severity(Severity.CRITICAL) == "9.5"
    assert security_severity(Severity.HIGH) == "8.0"
    assert security_severity(Severity.MEDIUM) == "5.5"
    assert security_severity(Severity.LOW) == "3.0"
    assert [sarif_level(s) for s in Severity] == ["error", "error", "warning", "note", "note"]


def test_results_are_located_relative_to_srcroot(sample: AuditResult) -> None:
    results = _log(sample)["runs"][0]["results"]
    by_rule = {(r["ruleId"], r["properties"]["package"]): r for r in results}
    first = by_rule[("AUD201", "requests")]
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "requirements.txt", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 1}
    assert first["level"] == "error"
    assert first["partialFingerprints"] == {FINGERPRINT_KEY: sample.findings[1].fingerprint}


def test_suppressed_findings_carry_a_suppression(sample: AuditResult) -> None:
    results = _log(sample)["runs"][0]["results"]
    suppressed = [r for r in results if "suppressions" in r]
    assert len(suppressed) == 1
    assert suppressed[0]["suppressions"][0]["kind"] == "inSource"


def test_incomplete_sources_become_notifications(sample: AuditResult) -> None:
    invocation = _log(sample)["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    texts = [n["message"]["text"] for n in invocation["toolExecutionNotifications"]]
    assert any(t.startswith("not checked: index: offline") for t in texts)
    assert all("\x1b" not in t for t in texts)
    complete = _log(dataclasses.replace(sample, incomplete=()))
    assert complete["runs"][0]["invocations"][0]["executionSuccessful"] is True


def test_fingerprint_ignores_the_line(sample: AuditResult) -> None:
    moved = [
        dataclasses.replace(f, fingerprint="", locations=tuple(
            Location(path=loc.path, line=(loc.line or 0) + 7) for loc in f.locations))
        for f in sample.findings
    ]  # fmt: skip
    before = [r["partialFingerprints"] for r in _log(sample)["runs"][0]["results"]]
    after = [
        r["partialFingerprints"]
        for r in _log(dataclasses.replace(sample, findings=tuple(moved)))["runs"][0]["results"]
    ]
    assert before == after


def test_a_new_rule_appears_without_format_changes(sample: AuditResult) -> None:
    extra = Finding(rule_id="AUD650", rule_name="brand-new-check", severity=Severity.LOW,
                    message="something new")  # fmt: skip
    log = _log(dataclasses.replace(sample, findings=(*sample.findings, extra)))
    ids = [r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]]
    assert "AUD650" in ids
    result = next(r for r in log["runs"][0]["results"] if r["ruleId"] == "AUD650")
    # No location of its own: falls back to nothing rather than inventing one.
    assert result["locations"] == []
