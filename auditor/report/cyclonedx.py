"""The CycloneDX 1.6 SBOM (JSON), built with cyclonedx-python-lib.

Components are the scanned packages (``pkg:pypi/<name>@<version>``), dependency relations come
from the graph, licenses from the ``licenses`` extras section when the license stage ran, and
vulnerabilities from the vulnerability findings (AUD2xx: ids, aliases, CVSS rating, affected
component and version, fix).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import Any

from auditor.model import Finding, Severity, normalize_name
from auditor.report.safe import clean
from auditor.report.view import is_vulnerability, license_items, rules_for
from auditor.result import AuditResult

_SEVERITY_NAME = {
    Severity.CRITICAL: "critical",
    Severity.HIGH: "high",
    Severity.MEDIUM: "medium",
    Severity.LOW: "low",
    Severity.INFO: "info",
}
_CVSS_METHOD = {
    "3.0": "CVSSv3",
    "3.1": "CVSSv31",
    "3": "CVSSv3",
    "4.0": "CVSSv4",
    "4": "CVSSv4",
    "2.0": "CVSSv2",
    "2": "CVSSv2",
}


def purl_for(name: str, version: str | None) -> str:
    """Return the package URL of a PyPI package (``pkg:pypi/name@version``)."""
    from packageurl import PackageURL

    return str(PackageURL(type="pypi", name=normalize_name(name), version=version or None))


def _advisory_source(advisory_id: str) -> tuple[str, str]:
    upper = advisory_id.upper()
    if upper.startswith("GHSA-"):
        return "GitHub", f"https://github.com/advisories/{advisory_id}"
    if upper.startswith("CVE-"):
        return "NVD", f"https://nvd.nist.gov/vuln/detail/{advisory_id}"
    return "OSV", f"https://osv.dev/vulnerability/{advisory_id}"


class CycloneDxReporter:
    """Renders the result as a CycloneDX 1.6 JSON SBOM."""

    def render(self, result: AuditResult) -> str:
        """Return the SBOM JSON text."""
        from cyclonedx.output import make_outputter
        from cyclonedx.schema import OutputFormat, SchemaVersion

        bom = self.build(result)
        outputter = make_outputter(bom, OutputFormat.JSON, SchemaVersion.V1_6)
        return outputter.output_as_string(indent=2) + "\n"

    def build(self, result: AuditResult) -> Any:
        """Return the cyclonedx ``Bom`` object."""
        from cyclonedx.model import Property
        from cyclonedx.model.bom import Bom
        from cyclonedx.model.component import Component, ComponentScope, ComponentType
        from packageurl import PackageURL

        licenses = _licenses_by_package(result)
        factory = _license_factory()
        target_name = PurePath(result.target).name or "project"
        root = Component(
            name=clean(target_name, limit=200),
            type=ComponentType.APPLICATION,
            bom_ref="auditor:root",
        )
        bom = Bom()
        bom.serial_number = uuid.uuid5(
            uuid.NAMESPACE_URL,
            "auditor:"
            + result.target
            + ":"
            + ",".join(sorted(f.fingerprint for f in result.findings)),
        )
        bom.metadata.component = root
        bom.metadata.tools.components.add(
            Component(name="auditor", version=result.tool_version, type=ComponentType.APPLICATION)
        )
        components: dict[str, list[Any]] = {}
        for pkg in sorted(result.packages, key=lambda p: (p.name, p.version or "")):
            key = normalize_name(pkg.name)
            ref = purl_for(pkg.name, pkg.version)
            if any(str(c.bom_ref.value) == ref for c in components.get(key, [])):
                continue
            found = licenses.get((key, pkg.version)) or licenses.get((key, None))
            component = Component(
                name=clean(pkg.display_name, limit=200),
                version=pkg.version,
                bom_ref=ref,
                purl=PackageURL(type="pypi", name=key, version=pkg.version or None),
                scope=ComponentScope.REQUIRED
                if "main" in pkg.groups or not pkg.groups
                else ComponentScope.OPTIONAL,
                licenses=[factory.make_from_string(clean(found, limit=500))] if found else None,
                properties=[
                    Property(name="auditor:direct", value=str(pkg.direct).lower()),
                    *(Property(name="auditor:group", value=g) for g in pkg.groups),
                ],
            )
            bom.components.add(component)
            components.setdefault(key, []).append(component)
        self._dependencies(bom, result, root, components)
        self._vulnerabilities(bom, result, components)
        return bom

    @staticmethod
    def _dependencies(
        bom: Any, result: AuditResult, root: Any, components: Mapping[str, list[Any]]
    ) -> None:
        direct = [
            c
            for key, items in components.items()
            for c in items
            if any(p.direct for p in result.packages if normalize_name(p.name) == key)
        ]
        bom.register_dependency(root, direct)
        if result.graph is None:
            for items in components.values():
                for component in items:
                    bom.register_dependency(component, [])
            return
        from auditor.graph import query

        for key, items in components.items():
            children = [
                c
                for name in query.dependencies(result.graph, key)
                for c in components.get(name, [])
            ]
            for component in items:
                bom.register_dependency(component, children)

    @staticmethod
    def _vulnerabilities(
        bom: Any, result: AuditResult, components: Mapping[str, list[Any]]
    ) -> None:
        from cyclonedx.model.impact_analysis import ImpactAnalysisAffectedStatus
        from cyclonedx.model.vulnerability import (
            BomTarget,
            BomTargetVersionRange,
            Vulnerability,
            VulnerabilityReference,
            VulnerabilitySource,
        )

        rules = rules_for(result)
        for finding in result.findings:
            if not is_vulnerability(finding, rules) or not finding.package:
                continue
            ids = [str(a) for a in finding.evidence.get("advisories", ()) if a] or [
                finding.key or finding.rule_id
            ]
            primary = ids[0]
            name, url = _advisory_source(primary)
            targets = [
                BomTarget(
                    ref=str(c.bom_ref.value),
                    versions=[
                        BomTargetVersionRange(
                            version=c.version, status=ImpactAnalysisAffectedStatus.AFFECTED
                        )
                    ]
                    if c.version
                    else None,
                )
                for c in components.get(normalize_name(finding.package), [])
                if finding.version is None or c.version == finding.version
            ]
            references = []
            for alias in ids[1:]:
                alias_name, alias_url = _advisory_source(alias)
                references.append(
                    VulnerabilityReference(
                        id=alias,
                        source=VulnerabilitySource(name=alias_name, url=_xs_uri(alias_url)),
                    )
                )
            summary = finding.evidence.get("summary")
            bom.vulnerabilities.add(
                Vulnerability(
                    bom_ref=f"auditor:{finding.fingerprint}",
                    id=primary,
                    source=VulnerabilitySource(name=name, url=_xs_uri(url)),
                    references=references,
                    ratings=_ratings(finding),
                    description=clean(summary or finding.message, limit=4000),
                    detail=clean(finding.message, limit=4000),
                    recommendation=clean(finding.fix) if finding.fix else None,
                    affects=targets,
                )
            )


def _license_factory() -> Any:
    try:
        from cyclonedx.contrib.license.factories import LicenseFactory
    except ImportError:  # cyclonedx-python-lib before the contrib package (< 11.x)
        from cyclonedx.factory.license import LicenseFactory
    return LicenseFactory()


def _xs_uri(url: str) -> Any:
    from cyclonedx.model import XsUri

    return XsUri(url)


def _ratings(finding: Finding) -> list[Any]:
    from cyclonedx.model.vulnerability import (
        VulnerabilityRating,
        VulnerabilityScoreSource,
        VulnerabilitySeverity,
    )

    ratings = []
    cvss = finding.evidence.get("cvss")
    if isinstance(cvss, Mapping) and cvss.get("vector"):
        method = _CVSS_METHOD.get(str(cvss.get("version", "")), "other")
        try:
            score = Decimal(str(cvss["score"])) if cvss.get("score") is not None else None
        except InvalidOperation:
            score = None
        label = str(cvss.get("severity") or finding.severity.value).lower()
        ratings.append(
            VulnerabilityRating(
                score=score,
                severity=VulnerabilitySeverity(label)
                if label in {s.value for s in VulnerabilitySeverity}
                else VulnerabilitySeverity.UNKNOWN,
                method=VulnerabilityScoreSource(method),
                vector=clean(cvss["vector"], limit=300),
            )
        )
    else:
        ratings.append(
            VulnerabilityRating(
                severity=VulnerabilitySeverity(_SEVERITY_NAME[finding.severity]),
                method=VulnerabilityScoreSource.OTHER,
                justification="severity assigned by auditor",
            )
        )
    return ratings


def _licenses_by_package(result: AuditResult) -> dict[tuple[str, str | None], str]:
    found: dict[tuple[str, str | None], str] = {}
    for row in license_items(result) or []:
        name, expression = row.get("name"), row.get("license")
        if not name or not expression:
            continue
        version = row.get("version")
        found[(normalize_name(str(name)), str(version) if version else None)] = str(expression)
    return found


REPORTER = CycloneDxReporter()

__all__ = ["REPORTER", "CycloneDxReporter", "purl_for"]
