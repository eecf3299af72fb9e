"""uv audit and Auditor agree on the same uv.lock and loopback OSV server (slow; needs uv)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from conftest import REPO, shared_data

BENCH = REPO / "benchmarks"


def _load(name: str) -> ModuleType:
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_uv_audit_and_auditor_find_the_same_advisories(tmp_path: Path) -> None:
    shared_data("osv", "pypi-advisory-database.zip")
    compare = _load("compare_uv_audit")
    supported, detail = compare.uv_audit_support()
    if not supported:
        pytest.skip(detail)
    result = compare.compare(40)
    assert result["only_uv"] == []
    assert result["only_auditor"] == []
    assert result["both"] > 0
    # Both tools batch: one querybatch plus one GET per distinct advisory.
    assert result["auditor"]["requests"] == result["uv"]["requests"]
