"""CycloneDX 1.6: valid per the library's strict validator; components, graph, licenses, vulns."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from report_sample import make_result

from auditor.report.cyclonedx import REPORTER, purl_for
from auditor.result import AuditResult


@pytest.fixture
def sample() -> AuditResult:
    return make_result()


def _bom(result: AuditResult) -> tuple[str, dict[str, Any]]:
    text = REPORTER.render(result)
    return text, json.loads(text)


def test_valid_cyclonedx_1_6(sample: AuditResult) -> None:
    text, data = _bom(sample)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    assert data["specVersion"] == "1.6"


def test_components_purls_and_dependencies(sample: AuditResult) -> None:
    _, data = _bom(sample)
    refs = {c["bom-ref"] for c in data["components"]}
    assert "pkg:pypi/requests@2.19.0" in refs
    assert "pkg:pypi/markupsafe@1.1.0" in refs
    deps = {d["ref"]: set(d.get("dependsOn", [])) for d in data["dependencies"]}
    assert deps["auditor:root"] == {"pkg:pypi/requests@2.19.0", "pkg:pypi/flask@1.0"}
    assert deps["pkg:pypi/requests@2.19.0"] == {"pkg:pypi/urllib3@1.24.1", "pkg:pypi/idna@2.7"}


def test_licenses_from_extras(sample: AuditResult) -> None:
    _, data = _bom(sample)
    by_ref = {c["bom-ref"]: c for c in data["components"]}
    assert by_ref["pkg:pypi/requests@2.19.0"]["licenses"] == [{"license": {"id": "Apache-2.0"}}]
    assert "licenses" not in by_ref["pkg:pypi/idna@2.7"]
    _, bare = _bom(dataclasses.replace(sample, licenses=None))
    assert all("licenses" not in c for c in bare["components"])


def test_vulnerabilities_from_findings(sample: AuditResult) -> None:
    _, data = _bom(sample)
    vulns = {v["id"]: v for v in data["vulnerabilities"]}
    assert set(vulns) == {"PYSEC-2018-28", "PYSEC-2019-132"}
    requests_vuln = vulns["PYSEC-2018-28"]
    assert {r["id"] for r in requests_vuln["references"]} == {"GHSA-x84v-xcm2-53pg",
                                                             "CVE-2018-18074"}  # fmt: skip
    assert requests_vuln["ratings"][0]["score"] == 7.5
    assert requests_vuln["ratings"][0]["method"] == "CVSSv31"
    assert requests_vuln["affects"] == [
        {"ref": "pkg:pypi/requests@2.19.0", "versions": [{"status": "affected",
                                                          "version": "2.19.0"}]}
    ]  # fmt: skip
    assert requests_vuln["recommendation"] == "upgrade requests to >= 2.20.0"
    assert vulns["PYSEC-2019-132"]["ratings"][0]["severity"] == "critical"


def test_purl() -> None:
    assert purl_for("Flask_Login", "0.6") == "pkg:pypi/flask-login@0.6"
    assert purl_for("x", None) == "pkg:pypi/x"
