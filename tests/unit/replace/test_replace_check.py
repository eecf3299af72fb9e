"""AUD601-AUD603 through a real scan: the wording names the candidate and the reasons."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import REPO, run_cli
from fakes import FakeIndex, serve

from auditor.replace.source import SourceNotFound, find_installed

CASES = REPO / "tests" / "fixtures" / "rules"


@pytest.fixture(autouse=True)
def _needs_inflection() -> None:
    try:
        find_installed("inflection")
    except SourceNotFound:
        pytest.skip("inflection is not installed (pip install -e . --group test)")


def _scan(case: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> list[dict[str, object]]:
    spec = json.loads((case / "fakes.json").read_text()) if (case / "fakes.json").exists() else {}
    for key, value in spec.get("env", {}).items():
        monkeypatch.setenv(key, value)
    index = FakeIndex()
    for name, kwargs in spec.get("index", {}).items():
        index.add(name, **kwargs)
    with serve(index) as server:
        monkeypatch.setenv("AUDITOR_INDEX_URL", f"{server.url}/simple")
        done = run_cli(
            "scan", str(case), "--format", "json", "--allow-incomplete", "--enable", "AUD6", *args
        )
    assert done.code in (0, 1), done.err
    findings: list[dict[str, object]] = json.loads(done.out)["findings"]
    return findings


def test_candidate_message_reads_in_plain_words(monkeypatch: pytest.MonkeyPatch) -> None:
    findings = _scan(CASES / "AUD602" / "match", monkeypatch)
    (found,) = [f for f in findings if f["rule_id"] == "AUD602"]
    message = str(found["message"])
    assert message.startswith(
        "inflection is a replacement candidate: uses 1 function of inflection ("
    )
    assert "called at 1 site; no release since 2020; single maintainer" in message
    evidence = found["evidence"]
    assert isinstance(evidence, dict)
    assert evidence["symbols"] == ["inflection.underscore"]
    assert evidence["replaceable"] is True
    assert evidence["risk"] >= 20
    assert "auditor replace . --package inflection" in str(found["fix"])


def test_trivial_dependency_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    findings = _scan(CASES / "AUD603" / "match", monkeypatch, "--offline")
    (found,) = [f for f in findings if f["rule_id"] == "AUD603"]
    assert "inflection is a trivial dependency: uses 1 function of inflection" in str(
        found["message"]
    )


def test_stdlib_replacement_says_exact_and_version(monkeypatch: pytest.MonkeyPatch) -> None:
    findings = _scan(CASES / "AUD601" / "match", monkeypatch, "--offline")
    (found,) = [f for f in findings if f["rule_id"] == "AUD601"]
    assert found["message"] == "mock can be replaced by unittest.mock (Python 3.3+, exact)."
    evidence = found["evidence"]
    assert isinstance(evidence, dict)
    assert evidence["exact"] is True
