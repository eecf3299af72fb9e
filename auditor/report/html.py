"""The HTML report: one self-contained file (inline CSS, JS and SVG; nothing fetched at view time).

Summary cards, a filterable and sortable findings table, the dependency graph drawn as inline
SVG with a layered layout computed here (direct vs transitive; vulnerable and risky packages
marked; capped for huge graphs), the license inventory, replacement proposals, data sources with
their age, and a trend chart over earlier reports. All outside text goes through jinja2's
autoescape; the embedded JSON block is escaped so that ``</script>`` cannot close it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from auditor.model import Finding, Severity
from auditor.report.safe import clean
from auditor.report.view import (
    age_text,
    baseline_info,
    findings_by_package,
    is_vulnerability,
    license_items,
    replacement_items,
    report_policy,
    rules_for,
    utc_now,
)
from auditor.result import AuditResult

NODE_WIDTH = 190
NODE_HEIGHT = 22
COLUMN_GAP = 70
ROW_GAP = 8
MARGIN = 12
LABEL_CHARS = 27
TREND_WIDTH = 640
TREND_HEIGHT = 200


@dataclass(frozen=True, slots=True, kw_only=True)
class SvgNode:
    """One drawn node of the dependency graph."""

    name: str
    label: str
    title: str
    x: int
    y: int
    css: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SvgEdge:
    """One drawn edge (a cubic curve from the parent's right side to the child's left)."""

    d: str
    css: str


@dataclass(frozen=True, slots=True, kw_only=True)
class GraphDrawing:
    """The graph as SVG shapes plus a note when it was cut down."""

    width: int
    height: int
    nodes: tuple[SvgNode, ...]
    edges: tuple[SvgEdge, ...]
    note: str
    total: int


def _layers(graph: Any) -> dict[str, int]:
    """Return each node's layer: breadth-first depth from the root (orphans start at 1)."""
    from auditor.graph import query
    from auditor.graph.build import ROOT

    layer = {ROOT: 0}
    frontier = [ROOT]
    names = [p.name for p in query.packages(graph)]
    while True:
        while frontier:
            nxt: list[str] = []
            for parent in frontier:
                for child in query.dependencies(graph, parent):
                    if child not in layer:
                        layer[child] = layer[parent] + 1
                        nxt.append(child)
            frontier = nxt
        missing = [n for n in names if n not in layer]
        if not missing:
            return layer
        # Packages no declared path reaches (a lockfile without its root): start a new tree.
        layer[missing[0]] = 1
        frontier = [missing[0]]


def draw_graph(
    result: AuditResult, findings: Sequence[Finding], *, max_nodes: int
) -> GraphDrawing | None:
    """Lay the dependency graph out in layers and return the shapes to draw (None: no graph)."""
    if result.graph is None:
        return None
    from auditor.graph import query
    from auditor.graph.build import ROOT

    rules = rules_for(result)
    by_package = findings_by_package(findings)
    nodes = {p.name: p for p in query.packages(result.graph)}
    if not nodes:
        return None
    layer = _layers(result.graph)

    def priority(name: str) -> tuple[int, int, int, str]:
        node = nodes[name]
        return (0 if name in by_package else 1, 0 if node.direct else 1, layer[name], name)

    chosen = sorted(nodes, key=priority)[:max_nodes]
    keep = {ROOT, *chosen}
    note = ""
    if len(nodes) > max_nodes:
        note = (
            f"Showing {max_nodes} of {len(nodes)} packages: those with findings and the direct "
            "dependencies first."
        )
    columns: dict[int, list[str]] = {}
    for name in sorted(keep, key=lambda n: (layer[n], n not in by_package, n)):
        columns.setdefault(layer[name], []).append(name)
    position: dict[str, tuple[int, int]] = {}
    for col in sorted(columns):
        for row, name in enumerate(columns[col]):
            position[name] = (
                MARGIN + col * (NODE_WIDTH + COLUMN_GAP),
                MARGIN + row * (NODE_HEIGHT + ROW_GAP),
            )
    drawn: list[SvgNode] = []
    for name, (x, y) in sorted(position.items(), key=lambda item: item[1]):
        if name == ROOT:
            drawn.append(
                SvgNode(
                    name=name,
                    label="(project)",
                    title=clean(result.target),
                    x=x,
                    y=y,
                    css="node root",
                )
            )
            continue
        node = nodes[name]
        found = by_package.get(name, [])
        css = ["node", "direct" if node.direct else "transitive"]
        if any(is_vulnerability(f, rules) for f in found):
            css.append("vulnerable")
        elif found:
            css.append("risky")
        label = clean(node.display_name) + (f" {clean(node.version)}" if node.version else "")
        if len(label) > LABEL_CHARS:
            label = label[: LABEL_CHARS - 1] + "\u2026"
        title = clean(node.display_name) + " " + clean(", ".join(node.versions) or "(no version)")
        if found:
            title += f": {len(found)} finding(s): " + clean(
                ", ".join(sorted({f.rule_id for f in found}))
            )
        drawn.append(SvgNode(name=name, label=label, title=title, x=x, y=y, css=" ".join(css)))
    edges: list[SvgEdge] = []
    for parent in sorted(keep):
        for child in query.dependencies(result.graph, parent):
            if child not in keep:
                continue
            (px, py), (cx, cy) = position[parent], position[child]
            x1, y1 = px + NODE_WIDTH, py + NODE_HEIGHT // 2
            x2, y2 = cx, cy + NODE_HEIGHT // 2
            bend = max(30, abs(x2 - x1) // 2)
            d = f"M{x1},{y1} C{x1 + bend},{y1} {x2 - bend},{y2} {x2},{y2}"
            edge_css = "edge" + (" vulnerable" if child in by_package else "")
            edges.append(SvgEdge(d=d, css=edge_css))
    width = MARGIN * 2 + (max(columns) + 1) * (NODE_WIDTH + COLUMN_GAP)
    height = MARGIN * 2 + max(len(c) for c in columns.values()) * (NODE_HEIGHT + ROW_GAP)
    return GraphDrawing(
        width=width,
        height=height,
        nodes=tuple(drawn),
        edges=tuple(edges),
        note=note,
        total=len(nodes),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class TrendChart:
    """A small line chart of findings per severity across reports."""

    width: int
    height: int
    lines: tuple[tuple[str, str], ...]  # (severity, SVG points)
    points: tuple[tuple[int, int, str], ...]  # (x, y, tooltip) for totals
    first: str
    last: str
    peak: int


def draw_trend(history: Sequence[Mapping[str, Any]]) -> TrendChart | None:
    """Return the trend chart of earlier runs (None without history)."""
    runs = [h for h in history if isinstance(h.get("counts"), Mapping)]
    if not runs:
        return None
    pad = 30
    peak = max(1, *(sum(int(v) for v in h["counts"].values()) for h in runs))
    step = (TREND_WIDTH - 2 * pad) / max(1, len(runs) - 1)

    def xy(i: int, value: int) -> tuple[int, int]:
        x = pad + round(i * step) if len(runs) > 1 else TREND_WIDTH // 2
        y = TREND_HEIGHT - pad - round(value / peak * (TREND_HEIGHT - 2 * pad))
        return x, y

    lines = []
    for severity in Severity:
        pts = [xy(i, int(h["counts"].get(severity.value, 0))) for i, h in enumerate(runs)]
        lines.append((severity.value, " ".join(f"{x},{y}" for x, y in pts)))
    totals = []
    for i, h in enumerate(runs):
        total = sum(int(v) for v in h["counts"].values())
        x, y = xy(i, total)
        totals.append((x, y, clean(f"{h.get('timestamp', '?')}: {total} finding(s)")))
    lines.append(("total", " ".join(f"{x},{y}" for x, y, _ in totals)))
    return TrendChart(
        width=TREND_WIDTH,
        height=TREND_HEIGHT,
        lines=tuple(lines),
        points=tuple(totals),
        first=clean(runs[0].get("timestamp", "")),
        last=clean(runs[-1].get("timestamp", "")),
        peak=peak,
    )


def _finding_row(finding: Finding, title: str, status: str) -> dict[str, Any]:
    where = [str(loc) for loc in finding.locations]
    evidence = (
        json.dumps(dict(finding.evidence), indent=2, ensure_ascii=False, default=str)
        if finding.evidence
        else ""
    )
    return {
        "severity": finding.severity.value,
        "rank": finding.severity.rank,
        "rule_id": clean(finding.rule_id),
        "rule_title": clean(title),
        "package": clean(finding.package or ""),
        "version": clean(finding.version or ""),
        "message": clean(finding.message),
        "where": [clean(w) for w in where[:10]],
        "fix": clean(finding.fix) if finding.fix else "",
        "evidence": clean(evidence, limit=8000),
        "path": [clean(p) for p in finding.path_from_root],
        "fingerprint": finding.fingerprint,
        "status": status,
        "search": clean(
            " ".join(
                [finding.rule_id, finding.rule_name, finding.package or "", finding.message, *where]
            )
        ).lower(),
    }


def _environment() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=PackageLoader("auditor.report", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


class HtmlReporter:
    """Renders the result as one self-contained HTML page."""

    def __init__(
        self,
        *,
        history: Sequence[Mapping[str, Any]] = (),
        now: dt.datetime | None = None,
    ) -> None:
        self.history = tuple(history)
        self.now = now

    def context(self, result: AuditResult) -> dict[str, Any]:
        """Return the template context (also what tests inspect)."""
        now = self.now or utc_now()
        rules = rules_for(result)
        policy = report_policy(result)
        rows = [
            _finding_row(f, rules[f.rule_id].title if f.rule_id in rules else f.rule_name, "open")
            for f in result.findings
        ]
        suppressed = [
            {
                **_finding_row(s.finding, s.finding.rule_name, "suppressed"),
                "reason": clean(s.reason),
                "by": clean(s.by),
            }
            for s in result.suppressed
        ]
        used_rules = sorted({f.rule_id for f in result.findings})
        graph = draw_graph(
            result, result.findings, max_nodes=int(policy["html"]["max_graph_nodes"])
        )
        data = {
            "schema_version": result.schema_version,
            "summary": result.summary(),
            "findings": [
                {k: row[k] for k in ("severity", "rule_id", "package", "version", "fingerprint")}
                for row in rows
            ],
            "history": [dict(h) for h in self.history],
        }
        return {
            "title": f"Auditor report: {clean(result.target)}",
            "target": clean(result.target),
            "tool_version": clean(result.tool_version),
            "generated": now.replace(microsecond=0).isoformat(),
            "summary": result.summary(),
            "severities": [s.value for s in Severity],
            "counts": {
                "inputs": len(result.inputs),
                "packages": len({p.name for p in result.packages}),
                "direct": len({p.name for p in result.packages if p.direct}),
                "findings": len(result.findings),
                "suppressed": len(result.suppressed),
                "incomplete": len(result.incomplete),
            },
            "inputs": [
                {
                    "path": clean(i.path),
                    "kind": str(i.kind),
                    "status": str(i.status),
                    "error": clean(i.error or ""),
                }
                for i in result.inputs
            ],
            "rows": rows,
            "suppressed": suppressed,
            "rules": [rules[r] for r in used_rules if r in rules],
            "incomplete": [
                {"source": clean(g.source), "reason": clean(g.reason), "packages": len(g.packages)}
                for g in result.incomplete
            ],
            "notes": [clean(n) for n in result.notes],
            "unused_ignores": [clean(u) for u in result.unused_ignores],
            "baseline": baseline_info(result),
            "graph": graph,
            "licenses": _clean_rows(license_items(result)),
            "license_counts": _license_counts(result),
            "replacements": _replacements(replacement_items(result)),
            "sources": [
                {
                    "name": clean(s.name),
                    "detail": clean(s.detail),
                    "updated": clean(s.updated or ""),
                    "age": age_text(s.updated, now),
                }
                for s in result.data_sources
            ],
            "trend": draw_trend(self.history),
            "history_count": len(self.history),
            "data": data,
        }

    def render(self, result: AuditResult) -> str:
        """Return the HTML page."""
        template = _environment().get_template("report.html.j2")
        text: str = template.render(**self.context(result))
        return text


def _license_counts(result: AuditResult) -> dict[str, int]:
    from auditor.report.license_table import category_counts

    return category_counts(result.licenses or ())


def _clean_rows(rows: list[Mapping[str, Any]] | None) -> list[dict[str, str]] | None:
    if rows is None:
        return None
    keys = ("name", "version", "license", "category", "source", "verdict", "raw")
    return [{k: clean(row.get(k) if row.get(k) is not None else "") for k in keys} for row in rows]


def _replacements(items: list[Mapping[str, Any]] | None) -> list[dict[str, Any]] | None:
    if items is None:
        return None
    out = []
    for item in items:
        verification = item.get("verification")
        check = verification if isinstance(verification, Mapping) else {}
        verified = check.get("verified")
        symbols = item.get("symbols") or []
        out.append(
            {
                "package": clean(item.get("package", "?")),
                "module": clean(item.get("module") or ""),
                "drafted_by": clean(item.get("drafted_by") or ""),
                "symbols": [clean(s) for s in symbols] if isinstance(symbols, list) else [],
                "verified": verified if isinstance(verified, bool) else None,
                "inputs_tried": clean(check.get("inputs_tried", "")),
                "mismatches": clean(check.get("mismatches", "")),
                "details": clean(check.get("details") or "", limit=4000),
                "patch": clean(item.get("patch") or "", limit=20000),
            }
        )
    return out


REPORTER = HtmlReporter()

__all__ = ["REPORTER", "GraphDrawing", "HtmlReporter", "TrendChart", "draw_graph", "draw_trend"]
