"""Markdown PR comment: summary table, new findings, details blocks, hostile text escaped."""

from __future__ import annotations

import dataclasses

import pytest
from report_sample import make_result

from auditor.report.markdown import REPORTER, code_block, escape_md
from auditor.result import AuditResult, BaselineState


@pytest.fixture
def sample() -> AuditResult:
    return make_result()


def test_escape_md_neutralises_markup_mentions_and_controls() -> None:
    text = escape_md("<img src=x onerror=alert(1)> **b** | @octocat #12 `x`\n\x1b[31m")
    assert "<" not in text
    assert ">" not in text
    assert "@" not in text.replace("&#64;", "")
    assert "#12" not in text
    assert "\\*\\*b\\*\\*" in text
    assert "\\|" in text
    assert "\n" not in text
    assert "\x1b" not in text


def test_code_block_cannot_be_closed_by_its_content() -> None:
    block = code_block("before ```` after")
    fence = block.split("\n", 1)[0]
    assert fence == "`````"
    assert block.endswith("\n`````")


def test_report_has_summary_findings_and_details(sample: AuditResult) -> None:
    text = REPORTER.render(sample)
    assert "| 1 | 1 | 1 | 1 | 0 |" in text
    assert "### Findings (4)" in text
    assert text.count("<details>") == 4
    assert "<script>" not in text.replace("```", "")
    assert "&lt;script&gt;" in text
    assert "upgrade requests to &gt;= 2\\.20\\.0" in text
    assert "Not checked" in text


def test_baseline_shows_new_versus_accepted(sample: AuditResult) -> None:
    baseline = BaselineState(file="b.json", matched=3, new=4)
    text = REPORTER.render(dataclasses.replace(sample, baseline=baseline))
    assert "**4 new** finding(s), 3 already in the baseline" in text
    assert "### New findings (4)" in text


def test_sections_say_not_computed_when_absent(sample: AuditResult) -> None:
    text = REPORTER.render(dataclasses.replace(sample, licenses=None, replacements=None))
    assert text.count("_not computed_") == 2


def test_no_findings(sample: AuditResult) -> None:
    text = REPORTER.render(dataclasses.replace(sample, findings=(), incomplete=()))
    assert "No findings." in text
    assert "Not checked" not in text
