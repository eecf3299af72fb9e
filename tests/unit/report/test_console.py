"""The terminal report: grouping, notes, gaps, the graph tree, and hostile text kept inert."""

from __future__ import annotations

import dataclasses

from packaging.specifiers import SpecifierSet
from report_sample import HOSTILE, make_result

from auditor.graph.build import build_graph
from auditor.model import (
    Finding,
    InputKind,
    InputStatus,
    Location,
    LockedDependency,
    LockedPackage,
    ParsedInput,
    Requirement,
    Severity,
    canonical_name,
)
from auditor.report.console import REPORTER, ConsoleReporter, graph_tree


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]


def test_plain_report_groups_findings_by_package_most_severe_first() -> None:
    text = ConsoleReporter(width=300, details=True).render(make_result())
    lines = _lines(text)
    assert lines[0] == "Auditor 0.1.0: /tmp/sample-app"
    assert lines[1].startswith("2 input(s) parsed, ")
    assert lines[1].endswith(" 4 finding(s)")
    titles = [line for line in lines if line in {"urllib3 1.24.1", "requests 2.19.0", "flask",
                                                  "(project)"}]  # fmt: skip
    assert titles == ["urllib3 1.24.1", "requests 2.19.0", "flask", "(project)"]
    assert "   at requirements.txt:1" in lines
    assert "   fix: upgrade requests to >= 2.20.0" in lines
    assert "Not checked (the audit is incomplete):" in lines
    assert any(line.startswith("  - index: offline ") and line.endswith("[2 package(s)]")
               for line in lines)  # fmt: skip
    assert any(line.startswith("  note: note ") for line in lines)
    assert "Summary" in text
    assert "\x1b" not in text


def test_hostile_text_cannot_inject_escape_sequences() -> None:
    plain = ConsoleReporter().render(make_result())
    assert "\x1b[31m" not in plain
    assert "<script>alert(1)</script>" in plain  # shown as text, not interpreted
    colored = ConsoleReporter(color=True).render(make_result())
    assert "\x1b[" in colored  # rich's own styles
    assert HOSTILE not in colored  # the raw escape in the sample never reaches the terminal
    assert "`tick` \ufffd[31m" in colored  # it is shown as an inert replacement character


def test_input_errors_unused_ignores_and_expired_ignores_are_shown() -> None:
    broken = ParsedInput(
        path="pyproject.toml",
        kind=InputKind.PYPROJECT,
        status=InputStatus.ERROR,
        error="pyproject.toml:3: invalid TOML",
    )
    expired = Finding(
        rule_id="AUD101",
        rule_name="unpinned-requirement",
        severity=Severity.MEDIUM,
        message="flask is not pinned",
        package="flask",
        evidence={"expired_ignore": "ignore[id=AUD101] expired on 2026-01-01"},
    )
    result = make_result(
        inputs=(broken,), findings=(expired,), incomplete=(), unused_ignores=("ignore[id=X]",)
    )
    lines = _lines(ConsoleReporter().render(result))
    assert lines[1].startswith("0 input(s) parsed")
    assert "  ! pyproject.toml:3: invalid TOML" in lines
    assert "   note: ignore[id=AUD101] expired on 2026-01-01" in lines
    assert not any(line.startswith("   at ") for line in lines)  # no location, no "at" line
    assert not any(line.startswith("   fix: ") for line in lines)
    assert "Unused ignores: ignore[id=X]" in lines
    assert "Not checked (the audit is incomplete):" not in lines


def test_many_locations_are_cut_to_five() -> None:
    finding = Finding(
        rule_id="AUD501",
        rule_name="missing-import",
        severity=Severity.LOW,
        message="yaml is imported but not declared",
        package="yaml",
        locations=tuple(Location(path=f"m{i}.py", line=i) for i in range(1, 8)),
    )
    text = ConsoleReporter(width=200).render(make_result(findings=(finding,)))
    assert "   at m1.py:1, m2.py:2, m3.py:3, m4.py:4, m5.py:5 (+2 more)" in _lines(text)


def test_graph_is_shown_only_on_request() -> None:
    result = make_result()
    assert "(==2.19.0)" not in ConsoleReporter().render(result)
    with_graph = _lines(ConsoleReporter(show_graph=True, width=120).render(result))
    root = with_graph.index("(project)")
    assert with_graph[root - 1] == ""
    tree = "\n".join(with_graph[root : root + 8])
    assert "requests 2.19.0 (==2.19.0)" in tree
    assert "urllib3 1.24.1" in tree
    no_graph = dataclasses.replace(result, graph=None)
    assert "(==2.19.0)" not in ConsoleReporter(show_graph=True).render(no_graph)


def _tree_text(tree: object, width: int = 100) -> list[str]:
    from rich.console import Console

    console = Console(width=width, no_color=True, record=True, file=None)
    with console.capture() as capture:
        console.print(tree)
    return _lines(capture.get())


def test_tree_marks_repeats_and_depth_cuts_and_unversioned_packages() -> None:
    manifest = ParsedInput(
        path="requirements.txt",
        kind=InputKind.REQUIREMENTS,
        requirements=tuple(
            Requirement(name=canonical_name(name), raw_name=name, specifier=SpecifierSet(spec),
                        kind=InputKind.REQUIREMENTS,
                        location=Location(path="requirements.txt", line=i))
            for i, (name, spec) in enumerate((("a", ">=1"), ("b", ""), ("loose", "")), start=1)
        ),
    )  # fmt: skip
    lock = ParsedInput(
        path="uv.lock",
        kind=InputKind.UV_LOCK,
        packages=tuple(
            LockedPackage(name=name, raw_name=name, version="1.0", kind=InputKind.UV_LOCK,
                          location=Location(path="uv.lock", line=i),
                          dependencies=tuple(LockedDependency(name=d) for d in deps))
            for i, (name, deps) in enumerate(
                (("a", ("shared",)), ("b", ("shared",)), ("shared", ("leaf",)), ("leaf", ())),
                start=1,
            )
        ),
    )  # fmt: skip
    graph = build_graph([manifest, lock])
    full = _tree_text(graph_tree(graph))
    assert full[0] == "(project)"
    assert sum("shared 1.0" in line for line in full) == 2
    assert sum("leaf 1.0" in line for line in full) == 1  # the repeated subtree is shown once
    assert sum(line.endswith("…") for line in full) == 1
    loose = next(line for line in full if "loose" in line)
    assert loose.rstrip().endswith("loose")  # no version, no specifier
    assert any("a 1.0 (>=1)" in line for line in full)
    shallow = _tree_text(graph_tree(graph, max_depth=1))
    assert not any("shared" in line for line in shallow)
    assert sum(line.endswith("…") for line in shallow) == 2


def test_module_reporter_renders() -> None:
    assert REPORTER.render(make_result()).startswith("Auditor 0.1.0")


def test_vulnerabilities_roll_up_into_one_upgrade_line_per_package() -> None:
    def vuln(key: str, fixed: list[str]) -> Finding:
        return Finding(
            rule_id="AUD201",
            rule_name="known-vulnerability",
            severity=Severity.HIGH,
            message=f"django 3.2.18 is affected by {key}",
            package="django",
            version="3.2.18",
            evidence={"fixed_in": fixed},
            key=key,
        )

    findings = (
        vuln("PYSEC-1", ["3.2.19", "4.1.9"]),
        vuln("PYSEC-2", ["4.2.16"]),
        vuln("PYSEC-3", ["3.2.20"]),
    )
    result = dataclasses.replace(make_result(), findings=findings)
    lines = _lines(ConsoleReporter(width=300).render(result))
    assert "  upgrade django 3.2.18 -> 4.2.16: fixes 3 advisories" in lines
    assert (
        "   3 known vulnerabilities (AUD201): PYSEC-1, PYSEC-2, PYSEC-3; --details shows each"
        in (lines)
    )
    assert not any("is affected by" in line for line in lines)
    detailed = _lines(ConsoleReporter(width=300, details=True).render(result))
    assert sum("is affected by" in line for line in detailed) == 3


def test_a_vulnerability_without_fix_says_so() -> None:
    finding = Finding(
        rule_id="AUD201",
        rule_name="known-vulnerability",
        severity=Severity.HIGH,
        message="m",
        package="pkg",
        version="1.0",
        evidence={"fixed_in": []},
        key="PYSEC-9",
    )
    result = dataclasses.replace(make_result(), findings=(finding,))
    assert "  pkg 1.0: no release fixes its 1 advisory" in _lines(ConsoleReporter().render(result))


def test_stale_data_sources_are_shown() -> None:
    from auditor.model import DataSource

    stale = DataSource(name="osv-store", detail="offline store (stale)", stale=True)
    result = dataclasses.replace(make_result(), data_sources=(stale,))
    assert "  data: osv-store: offline store (stale)" in _lines(ConsoleReporter().render(result))
