"""Every rule: valid schema, unique id, a fixture case that fires and one that does not.

A rule's cases live in ``tests/fixtures/rules/<ID>/match/`` and ``.../nomatch/``: each is a small
repository scanned with ``auditor scan --format json``. A case may hold a ``fakes.json`` that sets
up the loopback servers and the run:

    {"index": {"<name>": {"releases": {"1.0": "2020-01-01T00:00:00Z"}, ...FakeIndex.add kwargs}},
     "osv": [<OSV records>],
     "env": {"AUDITOR_TODAY": "2026-11-21"},
     "setup": [["db", "import", "{case}/advisories"]],
     "args": ["--offline"]}

``{case}`` in setup and args is replaced by the case folder. Without an "index" key the index is
a dead loopback port; without "osv" the OSV API is too (so such rules must not need them).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, run_cli
from fakes import FakeIndex, FakeOsv, serve

from auditor.model import Severity
from auditor.rules.catalog import CATEGORIES, load_rules

FIXTURES = REPO / "tests" / "fixtures" / "rules"
CATALOG = load_rules()


def test_catalog_loads_and_ids_are_unique() -> None:
    ids = [rule.id for rule in CATALOG]
    assert len(ids) == len(set(ids))
    assert len(ids) > 0


@pytest.mark.parametrize("rule", list(CATALOG), ids=lambda r: r.id)
def test_rule_metadata_uses_enums(rule: Any) -> None:
    assert rule.severity in set(Severity)
    assert rule.category in CATEGORIES
    assert rule.remediation
    assert Path(rule.path).name == f"{rule.id}-{rule.name}.yaml"


def _scan_case(case: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if (case / "fakes.json").is_file():
        spec = json.loads((case / "fakes.json").read_text())
    for key, value in spec.get("env", {}).items():
        monkeypatch.setenv(key, value)
    index, osv = FakeIndex(), FakeOsv()
    for name, kwargs in spec.get("index", {}).items():
        index.add(name, **kwargs)
    for record in spec.get("osv", []):
        osv.add(record)

    def subst(items: list[str]) -> list[str]:
        return [item.replace("{case}", str(case)) for item in items]

    with serve(index) as index_srv, serve(osv) as osv_srv:
        if "index" in spec:
            monkeypatch.setenv("AUDITOR_INDEX_URL", f"{index_srv.url}/simple")
        if "osv" in spec:
            monkeypatch.setenv("AUDITOR_OSV_URL", osv_srv.url)
        for step in spec.get("setup", []):
            done = run_cli(*subst(step))
            assert done.code == 0, done.err
        result = run_cli("scan", str(case), "--format", "json", "--allow-incomplete",
                         *subst(spec.get("args", [])))  # fmt: skip
    assert result.code in (0, 1), result.err
    data: dict[str, Any] = json.loads(result.out)
    return data


@pytest.mark.parametrize("rule", list(CATALOG), ids=lambda r: r.id)
def test_rule_fires_on_match_case(rule: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    case = FIXTURES / rule.id / "match"
    assert case.is_dir(), f"{rule.id} needs a fixture repo in {case}"
    data = _scan_case(case, monkeypatch)
    fired = {f["rule_id"] for f in data["findings"]}
    assert rule.id in fired, f"{rule.id} did not fire on {case}: {data['findings']}"


@pytest.mark.parametrize("rule", list(CATALOG), ids=lambda r: r.id)
def test_rule_is_silent_on_nomatch_case(rule: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    case = FIXTURES / rule.id / "nomatch"
    assert case.is_dir(), f"{rule.id} needs a benign fixture repo in {case}"
    data = _scan_case(case, monkeypatch)
    fired = {f["rule_id"] for f in data["findings"]}
    assert rule.id not in fired, f"{rule.id} fired on its benign case {case}"
