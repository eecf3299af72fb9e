"""Dogfood: Auditor's own repository has no import-hygiene finding (AUD5xx).

The same scan as `make dogfood` and `.ci/run`: offline, only the AUD5 rules, failing on any
finding. It catches an import added to auditor/ without declaring its distribution, and a
declared dependency nothing imports.
"""

from __future__ import annotations

import io
import json
import tomllib
from pathlib import Path

import pytest

from auditor.cli.main import EXIT_OK, main

REPO = Path(__file__).resolve().parents[2]
DOGFOOD_ARGS = ["--offline", "--enable", "AUD5", "--fail-on", "low", "--allow-incomplete"]


def _own_pyproject() -> Path:
    pyproject = REPO / "pyproject.toml"
    if not pyproject.is_file():
        pytest.skip(f"no pyproject.toml at {REPO}: the tests run outside Auditor's source tree")
    if tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["name"] != "auditor":
        pytest.skip(f"{pyproject} is not Auditor's own project file")
    return pyproject


def test_own_repository_has_no_import_hygiene_findings() -> None:
    _own_pyproject()
    out, err = io.StringIO(), io.StringIO()
    code = main(["scan", str(REPO), *DOGFOOD_ARGS, "--format", "json"], out=out, err=err)
    report = json.loads(out.getvalue())
    found = [
        f"{f['rule_id']} {f['package']}: {f['message']}"
        for f in report["findings"]
        if f["rule_id"].startswith("AUD5")
    ]
    assert found == []
    assert code == EXIT_OK, err.getvalue()
    # The scan did read the project's declarations (not an empty or excluded tree).
    assert "pyproject.toml" in {Path(i["path"]).name for i in report["inputs"]}
    assert {"packaging", "urllib3", "packageurl-python"} <= {p["name"] for p in report["packages"]}
