"""HTML: self-contained, escaped, data block safe, graph drawn and capped, sections present."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re

import pytest
from report_sample import make_result

from auditor.report.html import HtmlReporter, draw_graph, draw_trend
from auditor.result import AuditResult

NOW = dt.datetime(2026, 11, 21, 8, 30, tzinfo=dt.UTC)


@pytest.fixture
def sample() -> AuditResult:
    return make_result()


def _render(result: AuditResult, **kwargs: object) -> str:
    return HtmlReporter(now=NOW, **kwargs).render(result)  # type: ignore[arg-type]  # options as given


def test_hostile_text_is_escaped(sample: AuditResult) -> None:
    page = _render(sample)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "\x1b" not in page
    # Exactly our own three script elements: the error counter, the data block, the app.
    assert len(re.findall(r"<script\b", page)) == 3


def test_embedded_json_cannot_close_its_script(sample: AuditResult) -> None:
    page = _render(sample, history=[{"timestamp": "</script><b>x", "counts": {"high": 1}}])
    block = re.search(r'<script type="application/json" id="auditor-data">(.*?)</script>', page,
                      re.S)  # fmt: skip
    assert block is not None
    data = json.loads(block.group(1))
    assert data["history"][0]["timestamp"] == "</script><b>x"
    assert data["summary"]["critical"] == 1
    assert "</script><b>" not in block.group(1)


def test_page_is_self_contained(sample: AuditResult) -> None:
    page = _render(sample)
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", page)
    assert "@import" not in page
    assert "default-src 'none'" in page


def test_sections_and_not_computed(sample: AuditResult) -> None:
    page = _render(sample)
    for section in ("summary", "findings", "graph", "licenses", "replacements", "sources",
                    "trend", "suppressed", "incomplete"):  # fmt: skip
        assert f'id="{section}"' in page
    assert "Apache-2.0" in page
    assert "verified" in page
    assert "1 day" in page  # data source age
    bare = _render(dataclasses.replace(sample, licenses=None, replacements=None))
    assert "Not computed (the license stage did not run)." in bare
    assert "Not computed (the replace stage did not run)." in bare


def test_rows_carry_filter_data(sample: AuditResult) -> None:
    page = _render(sample)
    rows = re.findall(r'<tr class="finding" data-rank="(\d)" data-severity="(\w+)"', page)
    assert rows == [("4", "critical"), ("3", "high"), ("2", "medium"), ("1", "low")]


def test_graph_marks_direct_transitive_and_vulnerable(sample: AuditResult) -> None:
    drawing = draw_graph(sample, sample.findings, max_nodes=100)
    assert drawing is not None
    css = {node.name: node.css for node in drawing.nodes}
    assert "direct" in css["requests"]
    assert "vulnerable" in css["requests"]
    assert "transitive" in css["urllib3"]
    assert "vulnerable" in css["urllib3"]
    assert "risky" in css["flask"]
    assert css["markupsafe"] == "node transitive"
    assert len(drawing.edges) >= 6
    xs = {node.name: node.x for node in drawing.nodes}
    assert xs["<root>"] < xs["requests"] < xs["urllib3"]


def test_graph_is_capped_with_a_note(sample: AuditResult) -> None:
    drawing = draw_graph(sample, sample.findings, max_nodes=3)
    assert drawing is not None
    names = {node.name for node in drawing.nodes}
    assert len(names) == 4  # the root and three packages
    assert {"requests", "urllib3", "flask"} <= names  # packages with findings come first
    assert "Showing 3 of 6 packages" in drawing.note


def test_trend_chart() -> None:
    assert draw_trend([]) is None
    history = [{"timestamp": f"t{i}", "counts": {"high": i, "low": 1}} for i in range(5)]
    chart = draw_trend(history)
    assert chart is not None
    assert chart.peak == 5
    assert len(chart.points) == 5
    assert [name for name, _ in chart.lines][-1] == "total"
