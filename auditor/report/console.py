"""The terminal report (rich): summary, findings grouped by package, optional graph tree.

Every string that comes from outside (file content, package metadata) goes into `rich.text.Text`
after `clean`, never into markup, so it cannot inject styles or escape sequences.
"""

from __future__ import annotations

import io
from collections import defaultdict

from packaging.version import InvalidVersion, Version
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from auditor.graph import query
from auditor.graph.build import ROOT, DependencyGraph
from auditor.model import Finding, Severity
from auditor.projects import finding_projects
from auditor.report.safe import clean
from auditor.result import AuditResult

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


def graph_tree(graph: DependencyGraph, *, max_depth: int = 6) -> Tree:
    """Return a rich Tree of the graph from the root (repeated subtrees shown once)."""
    tree = Tree(Text("(project)", style="bold"))
    seen: set[str] = set()

    def label(name: str, parent: str) -> Text:
        node = query.package(graph, name)
        text = Text(clean(node.display_name if node else name), style="bold" if parent == ROOT
                    else "")  # fmt: skip
        if node and node.versions:
            text.append(" " + ", ".join(clean(v) for v in node.versions), style="green")
        specs = sorted({o.specifier for o in query.origins(graph, parent, name) if o.specifier})
        if specs:
            text.append(" (" + clean(", ".join(specs)) + ")", style="dim")
        return text

    def add(branch: Tree, parent: str, depth: int) -> None:
        for child in query.dependencies(graph, parent):
            sub = branch.add(label(child, parent))
            if child in seen or depth >= max_depth:
                if query.dependencies(graph, child):
                    sub.add(Text("…", style="dim"))
                continue
            seen.add(child)
            add(sub, child, depth + 1)

    add(tree, ROOT, 1)
    return tree


def _finding_block(finding: Finding) -> Group:
    head = Text()
    head.append(f" {finding.severity.value.upper()} ", style=SEVERITY_STYLE[finding.severity])
    head.append(f" {finding.rule_id} ", style="bold")
    head.append(clean(finding.rule_name), style="dim")
    lines = [head, Text("   " + clean(finding.message))]
    if finding.locations:
        where = ", ".join(str(loc) for loc in finding.locations[:5])
        more = f" (+{len(finding.locations) - 5} more)" if len(finding.locations) > 5 else ""
        lines.append(Text("   at " + clean(where + more), style="blue"))
    if finding.fix:
        lines.append(Text("   fix: " + clean(finding.fix), style="green"))
    if finding.evidence.get("expired_ignore"):
        lines.append(Text("   note: " + clean(finding.evidence["expired_ignore"]), style="yellow"))
    return Group(*lines)


VULNERABILITY_RULE = "AUD201"


def _fix_of(finding: Finding) -> Version | None:
    """The smallest release that fixes one vulnerability finding (None: no fix known)."""
    base = _version(finding.version)
    named = finding.evidence.get("fix_version")
    if isinstance(named, str) and (version := _version(named)) is not None:
        return version  # the upgrade the finding names (the one `auditor fix` writes)
    fixes = [
        v
        for text in finding.evidence.get("fixed_in") or ()
        if (v := _version(str(text))) is not None and (base is None or v > base)
    ]
    return min(fixes) if fixes else None


def _version(text: str | None) -> Version | None:
    try:
        return Version(text) if text else None
    except InvalidVersion:
        return None


def _rolled_text(rolled: list[Finding]) -> str:
    ids = ", ".join(clean(f.key or f.rule_id) for f in rolled[:5])
    more = f" and {len(rolled) - 5} more" if len(rolled) > 5 else ""
    noun = "vulnerability" if len(rolled) == 1 else "vulnerabilities"
    return (
        f"   {len(rolled)} known {noun} ({VULNERABILITY_RULE}): {ids}{more}; --details shows each"
    )


def upgrade_lines(findings: list[Finding]) -> list[str]:
    """One line per vulnerable package version: the upgrade that fixes every advisory of it."""
    groups: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for finding in findings:
        if finding.rule_id == VULNERABILITY_RULE and finding.package and finding.version:
            groups[(finding.package, finding.version)].append(finding)
    lines = []
    for (package, version), group in sorted(groups.items()):
        fixes = [_fix_of(f) for f in group]
        known = [f for f in fixes if f is not None]
        count = f"{len(group)} advisor{'y' if len(group) == 1 else 'ies'}"
        if not known:
            lines.append(f"{package} {version}: no release fixes its {count}")
            continue
        target = max(known)
        text = f"upgrade {package} {version} -> {target}: fixes {count}"
        if len(known) < len(group):
            text = (
                f"upgrade {package} {version} -> {target}: fixes {len(known)} of {count} "
                f"({len(group) - len(known)} unfixed)"
            )
        lines.append(text)
    return lines


class ConsoleReporter:
    """Renders the result for a person at a terminal.

    Args:
        color: emit ANSI styles.
        width: the terminal width.
        show_graph: add the dependency tree.
        details: show every vulnerability finding; by default a package's known
            vulnerabilities are rolled up into one upgrade line.
    """

    def __init__(
        self,
        *,
        color: bool = False,
        width: int = 100,
        show_graph: bool = False,
        details: bool = False,
    ) -> None:
        self.color = color
        self.width = width
        self.show_graph = show_graph
        self.details = details

    def render(self, result: AuditResult) -> str:
        """Return the report text (with ANSI styles when `color`)."""
        buffer = io.StringIO()
        console = Console(
            file=buffer,
            width=self.width,
            force_terminal=self.color,
            no_color=not self.color,
            highlight=False,
            emoji=False,
            soft_wrap=False,
        )
        self._render_into(console, result)
        return buffer.getvalue()

    def _render_into(self, console: Console, result: AuditResult) -> None:
        ok = sum(1 for i in result.inputs if i.status.value == "ok")
        console.print(Text(f"Auditor {result.tool_version}: {clean(result.target)}", style="bold"))
        console.print(
            Text(f"{ok} input(s) parsed, {len(result.packages)} package version(s), "
                 f"{len(result.findings)} finding(s)")
        )  # fmt: skip
        for item in result.inputs:
            if item.error:
                console.print(Text("  ! " + clean(item.error), style="yellow"))
        for note in result.notes:
            console.print(Text("  note: " + clean(note), style="dim"))
        for source in result.data_sources:
            line = f"  data: {clean(source.name)}: {clean(source.detail)}"
            console.print(Text(line, style="bold yellow" if source.stale else "dim"))
        upgrades = upgrade_lines(list(result.findings))
        if upgrades:
            console.print()
            console.print(Text("Upgrades that fix known vulnerabilities:", style="bold"))
            for line in upgrades:
                console.print(Text("  " + clean(line), style="green"))
        if self.show_graph and result.graph is not None:
            console.print()
            console.print(graph_tree(result.graph))
        of_finding = finding_projects(result)
        projects = sorted(set(of_finding.values()))
        for project in projects:
            findings = [f for f in result.findings if of_finding[f.fingerprint] == project]
            if len(projects) > 1:
                title = f"Project {project}/" if project else "Project (repository root)"
                console.print(Text("\n" + clean(title), style="bold reverse"))
            self._package_blocks(console, findings)
        if result.incomplete:
            console.print()
            console.print(Text("Not checked (the audit is incomplete):", style="bold yellow"))
            for gap in result.incomplete:
                pkgs = f" [{len(gap.packages)} package(s)]" if gap.packages else ""
                console.print(Text(f"  - {clean(gap.source)}: {clean(gap.reason)}{pkgs}"))
        if result.unused_ignores:
            console.print(Text("Unused ignores: " + clean(", ".join(result.unused_ignores)),
                               style="dim"))  # fmt: skip
        console.print()
        console.print(_summary_table(result))

    def _package_blocks(self, console: Console, findings: list[Finding]) -> None:
        """Print the findings grouped by package, most severe package first."""
        by_package: dict[str, list[Finding]] = defaultdict(list)
        for finding in findings:
            by_package[finding.package or "(project)"].append(finding)
        for name in sorted(by_package, key=lambda n: (-max(f.severity.rank for f in
                                                             by_package[n]), n)):  # fmt: skip
            group = by_package[name]
            versions = sorted({f.version for f in group if f.version})
            title = Text("\n" + clean(name), style="bold underline")
            if versions:
                title.append(" " + clean(", ".join(versions)), style="green")
            console.print(title)
            rolled = [f for f in group if f.rule_id == VULNERABILITY_RULE and f.version]
            for finding in group:
                if self.details or finding not in rolled:
                    console.print(_finding_block(finding))
            if rolled and not self.details:
                console.print(Text(_rolled_text(rolled), style="red"))


def _summary_table(result: AuditResult) -> Table:
    table = Table(title="Summary", show_header=True, header_style="bold")
    counts = result.summary()
    for severity in Severity:
        table.add_column(severity.value, justify="right", style=SEVERITY_STYLE[severity])
    table.add_row(*(str(counts[s.value]) for s in Severity))
    return table


REPORTER = ConsoleReporter()

__all__ = ["REPORTER", "ConsoleReporter", "graph_tree", "upgrade_lines"]
