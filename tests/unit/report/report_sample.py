"""A sample AuditResult: hostile text, a graph, licenses, replacements, suppressed findings."""

from __future__ import annotations

from typing import Any

from packaging.specifiers import SpecifierSet

from auditor.graph.build import build_graph
from auditor.model import (
    DataSource,
    Finding,
    Incomplete,
    InputKind,
    Location,
    LockedDependency,
    LockedPackage,
    ParsedInput,
    Requirement,
    Severity,
    Suppressed,
    canonical_name,
)
from auditor.pipeline import package_summaries
from auditor.result import AuditResult, PackageLicense, Replacement, Verification
from auditor.rules.catalog import load_rules

HOSTILE = "<script>alert(1)</script> </script> **bold** | @octocat #1 `tick` \x1b[31m"


def _req(name: str, spec: str, line: int) -> Requirement:
    return Requirement(
        name=canonical_name(name),
        raw_name=name,
        specifier=SpecifierSet(spec),
        location=Location(path="requirements.txt", line=line),
        kind=InputKind.REQUIREMENTS,
    )


def _locked(name: str, version: str, line: int, deps: tuple[str, ...] = ()) -> LockedPackage:
    return LockedPackage(
        name=name,
        raw_name=name,
        version=version,
        location=Location(path="poetry.lock", line=line),
        kind=InputKind.POETRY_LOCK,
        dependencies=tuple(LockedDependency(name=d) for d in deps),
    )


def make_result(**changes: Any) -> AuditResult:
    """Return the sample result (fields overridable)."""
    inputs = (
        ParsedInput(
            path="requirements.txt",
            kind=InputKind.REQUIREMENTS,
            requirements=(_req("requests", "==2.19.0", 1), _req("flask", ">=1", 2)),
        ),
        ParsedInput(
            path="poetry.lock",
            kind=InputKind.POETRY_LOCK,
            packages=(
                _locked("requests", "2.19.0", 1, ("urllib3", "idna")),
                _locked("urllib3", "1.24.1", 10),
                _locked("idna", "2.7", 20),
                _locked("flask", "1.0", 30, ("jinja2",)),
                _locked("jinja2", "2.10", 40, ("markupsafe",)),
                _locked("markupsafe", "1.1.0", 50),
            ),
        ),
    )
    graph = build_graph(inputs)
    vuln = Finding(
        rule_id="AUD201",
        rule_name="known-vulnerability",
        severity=Severity.HIGH,
        message="requests 2.19.0 is affected by PYSEC-2018-28: " + HOSTILE,
        package="requests",
        version="2.19.0",
        locations=(Location(path="requirements.txt", line=1),),
        evidence={
            "advisories": ["PYSEC-2018-28", "GHSA-x84v-xcm2-53pg", "CVE-2018-18074"],
            "fixed_in": ["2.20.0"],
            "summary": "Insecure redirect " + HOSTILE,
            "cvss": {
                "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
                "version": "3.1",
                "score": 7.5,
                "severity": "high",
            },
        },
        fix="upgrade requests to >= 2.20.0",
        key="PYSEC-2018-28",
        path_from_root=("<root>", "requests"),
    )
    transitive = Finding(
        rule_id="AUD201",
        rule_name="known-vulnerability",
        severity=Severity.CRITICAL,
        message="urllib3 1.24.1 is affected by PYSEC-2019-132",
        package="urllib3",
        version="1.24.1",
        locations=(Location(path="poetry.lock", line=10),),
        evidence={"advisories": ["PYSEC-2019-132"], "fixed_in": ["1.24.2"]},
        key="PYSEC-2019-132",
    )
    pin = Finding(
        rule_id="AUD999",
        rule_name="future-rule",
        severity=Severity.MEDIUM,
        message="flask is not pinned " + HOSTILE,
        package="flask",
        locations=(Location(path="requirements.txt", line=2),),
        fix="pin flask",
    )
    project = Finding(
        rule_id="AUD501",
        rule_name="missing-import",
        severity=Severity.LOW,
        message="app.py imports yaml but nothing declares it",
        locations=(Location(path="app.py", line=3),),
    )
    hidden = Finding(
        rule_id="AUD999",
        rule_name="future-rule",
        severity=Severity.INFO,
        message="hidden one",
        package="idna",
        locations=(Location(path="poetry.lock", line=20),),
    )
    values: dict[str, Any] = {
        "target": "/tmp/sample-app",
        "tool_version": "0.1.0",
        "inputs": inputs,
        "packages": package_summaries(graph),
        "findings": tuple(sorted((vuln, transitive, pin, project), key=Finding.sort_key)),
        "suppressed": (Suppressed(finding=hidden, reason="accepted " + HOSTILE, by="inline"),),
        "incomplete": (
            Incomplete(source="index", reason="offline " + HOSTILE, packages=("a", "b")),
        ),
        "notes": ("note " + HOSTILE,),
        "data_sources": (
            DataSource(name="osv", detail="OSV API " + HOSTILE, updated="2026-11-20T08:00:00Z"),
        ),
        "graph": graph,
        "rules": load_rules().infos(enabled=(), overrides={}),
        "licenses": (
            PackageLicense(
                name="requests",
                version="2.19.0",
                license="Apache-2.0",
                category="permissive",
                source="metadata",
            ),
            PackageLicense(
                name="flask",
                version="1.0",
                license="BSD-3-Clause",
                category="permissive",
                source="metadata",
            ),
            PackageLicense(
                name="urllib3",
                version="1.24.1",
                license="MIT OR " + HOSTILE,
                category="unknown",
                source="classifier",
            ),
        ),
        "replacements": (
            Replacement(
                package="idna",
                symbols=("encode",),
                module="app/_idna.py",
                patch="--- a\n+++ b\n" + HOSTILE,
                drafted_by="slicer",
                verification=Verification(
                    inputs_tried=40, mismatches=0, verified=True, details={"summary": HOSTILE}
                ),
            ),
        ),
    }
    values.update(changes)
    return AuditResult(**values)
