"""The fleet report in JSON, Markdown and one self-contained HTML page.

Repository names, locations, errors, package names and license texts come from the
repositories and their metadata: Markdown escapes them, the HTML page autoescapes them
(jinja2) and strips control characters.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from auditor.atomic import atomic_write_text
from auditor.fleet.inventory import SEVERITIES
from auditor.fleet.summary import FleetReport
from auditor.report.markdown import escape_md
from auditor.report.safe import clean

FORMATS = ("json", "markdown", "html")
_SUFFIX = {"json": "json", "markdown": "md", "html": "html"}
# Cap the long tables of the human formats; the JSON form is always complete.
TABLE_LIMIT = 2000


def render_json(report: FleetReport) -> str:
    """Return the fleet report as JSON (complete)."""
    return json.dumps(report.data, indent=2, ensure_ascii=False) + "\n"


def _counts(findings: dict[str, int]) -> str:
    return " / ".join(str(findings.get(sev, 0)) for sev in SEVERITIES)


def render_markdown(report: FleetReport) -> str:
    """Return the fleet report as Markdown."""
    data = report.data
    status = data["status"]
    lines = [
        "# Auditor fleet report",
        "",
        f"{data['repositories_total']} repositories: {status['scanned']} scanned, "
        f"{status['unchanged']} unchanged, {status['failed']} failed. "
        f"Findings (critical / high / medium / low / info): {_counts(data['findings'])}. "
        f"Exit code {data['exit_code']}.",
        "",
        "## Repositories",
        "",
        "| repository | status | critical | high | medium | low | info | note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for repo in data["repositories"][:TABLE_LIMIT]:
        note = repo["error"] or (f"{repo['incomplete']} not checked" if repo["incomplete"] else "")
        if repo["stale"]:
            note += " (last report kept)"
        counts = " | ".join(str(repo["findings"][s]) for s in SEVERITIES)
        lines.append(
            f"| {escape_md(repo['name'])} | {repo['status']} | {counts} | {escape_md(note)} |"
        )
    lines += ["", "## Riskiest shared dependencies", ""]
    if data["riskiest_shared_dependencies"]:
        lines += [
            "| package | worst | repositories with findings / using | rules |",
            "|---|---|---|---|",
        ]
        for row in data["riskiest_shared_dependencies"]:
            lines.append(
                f"| {escape_md(row['package'])} | {row['worst_severity']} | "
                f"{row['repositories_with_findings']} / {row['repositories_using']} | "
                f"{escape_md(', '.join(row['rules']))} |"
            )
    else:
        lines.append("No dependency shared by two or more repositories has a finding.")
    lines += ["", "## Packages in use", "", "| package | version | repositories |", "|---|---|---|"]
    shown = 0
    for package in data["packages"]:
        for version in package["versions"]:
            if shown >= TABLE_LIMIT:
                break
            shown += 1
            repos = ", ".join(version["repositories"])
            lines.append(
                f"| {escape_md(package['name'])} | {escape_md(version['version'] or '-')}"
                f" | {escape_md(repos, limit=2000)} |"
            )
    if shown >= TABLE_LIMIT:
        lines.append(f"\nFirst {TABLE_LIMIT} rows; the JSON report lists every one.")
    if data["licenses"] is not None:
        lines += [
            "",
            "## Licenses",
            "",
            "| license | category | packages | repositories |",
            "|---|---|---|---|",
        ]
        for row in data["licenses"]:
            lines.append(
                f"| {escape_md(row['license'])} | {escape_md(row['category'] or '-')} | "
                f"{row['packages']} | {len(row['repositories'])} |"
            )
    return "\n".join(lines) + "\n"


def _clean_tree(value: Any) -> Any:
    if isinstance(value, str):
        return clean(value, limit=4000)
    if isinstance(value, list):
        return [_clean_tree(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean_tree(v) for k, v in value.items()}
    return value


def render_html(report: FleetReport) -> str:
    """Return the fleet report as one self-contained HTML page (autoescaped)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader("auditor.report", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    data = _clean_tree(report.data)
    rows = [
        (p["name"], v["version"], v["repositories"])
        for p in data["packages"]
        for v in p["versions"]
    ]
    return env.get_template("fleet.html.j2").render(
        data=data,
        severities=SEVERITIES,
        package_rows=rows[:TABLE_LIMIT],
        package_rows_total=len(rows),
    )


RENDERERS = {"json": render_json, "markdown": render_markdown, "html": render_html}


def render(report: FleetReport, fmt: str) -> str:
    """Render the report in one of `FORMATS`."""
    return RENDERERS[fmt](report)


def write_all(report: FleetReport, folder: Path) -> list[Path]:
    """Write ``fleet.json``, ``fleet.md`` and ``fleet.html`` into `folder` (atomically)."""
    written = []
    for fmt in FORMATS:
        path = folder / f"fleet.{_SUFFIX[fmt]}"
        atomic_write_text(path, render(report, fmt))
        written.append(path)
    return written


__all__ = ["FORMATS", "render", "render_html", "render_json", "render_markdown", "write_all"]
