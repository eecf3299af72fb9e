"""Exporters chosen at run time are optional integrations (glances/exports/, policy data)."""

from __future__ import annotations

from pathlib import Path

from checkrun import findings_of
from imports_support import make_ctx
from treekit import write_tree

from auditor.checks.imports import CHECK
from auditor.model import Severity


def test_an_exporter_package_import_is_low_with_advice_for_an_extra(tmp_path: Path) -> None:
    # glances --export couchdb loads glances/exports/glances_couchdb by name
    files = {
        "glances/__init__.py": "",
        "glances/exports/__init__.py": "",
        "glances/exports/glances_couchdb/__init__.py": "import pycouchdb\n",
        "glances/main.py": "import psutil_like\n",
    }
    write_tree(tmp_path, files)
    found = findings_of(CHECK, make_ctx(tmp_path, {}, enabled=("AUD501",)))
    by_module = {f.evidence["module"]: f for f in found}
    assert by_module["psutil_like"].severity is Severity.MEDIUM
    exporter = by_module["pycouchdb"]
    assert exporter.severity is Severity.LOW
    assert "(integration module)" in exporter.message
    assert exporter.fix is not None
    assert "as an extra" in exporter.fix
