"""AUD301-AUD304 through the pipeline, against a loopback index."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes import FakeIndex, LoopbackServer, serve

from auditor.config import load_config
from auditor.model import Severity
from auditor.pipeline import run_audit
from auditor.result import AuditResult

OLD = "2024-01-01T00:00:00Z"
NEW = "2024-06-01T00:00:00Z"


@pytest.fixture
def index() -> Iterator[tuple[FakeIndex, LoopbackServer]]:
    fake = FakeIndex()
    fake.add("gpl-kit", {"1.0": OLD}, license_expression="GPL-3.0-only")
    fake.add("sspl-db", {"1.0": OLD}, license_expression="SSPL-1.0")
    fake.add("mystery", {"1.0": OLD}, license="Custom terms, see website")
    fake.add(
        "relic",
        {"1.0": OLD, "2.0": NEW},
        license_expression="BUSL-1.1",
        version_info={"1.0": {"license_expression": "MIT"}},
    )
    fake.add(
        "calm",
        {"1.0": OLD, "2.0": NEW},
        license_expression="MIT",
        version_info={"1.0": {"license_expression": "BSD-3-Clause"}},
    )
    fake.add("fine", {"1.0": OLD}, classifiers=["License :: OSI Approved :: BSD License"])
    with serve(fake) as server:
        yield fake, server


def _audit(root: Path, url: str, policy: str = "") -> AuditResult:
    (root / "pyproject.toml").write_text(
        '[project]\nname = "my-lib"\nversion = "1"\nlicense = "Apache-2.0"\n'
        'dependencies = ["gpl-kit==1.0", "sspl-db==1.0", "mystery==1.0", "relic==1.0", '
        '"calm==1.0", "fine==1.0", "local @ file:///opt/local"]\n\n'
        '[tool.auditor]\nenable = ["AUD3"]\n\n[tool.auditor.policy.licenses]\n'
        'deny = ["SSPL-1.0"]\n' + policy
    )
    env = {
        "AUDITOR_INDEX_URL": f"{url}/simple",
        "AUDITOR_CACHE_DIR": str(root / ".cache"),
        "AUDITOR_TODAY": "2026-01-01",
    }
    return run_audit(load_config(root, env=env))


def test_findings_of_every_rule(index: tuple[FakeIndex, LoopbackServer], tmp_path: Path) -> None:
    _fake, server = index
    result = _audit(tmp_path, server.url)
    found = {(f.rule_id, f.package): f for f in result.findings}
    assert set(found) == {
        ("AUD301", "sspl-db"),
        ("AUD302", "gpl-kit"),
        ("AUD303", "mystery"),
        ("AUD304", "relic"),
        ("AUD304", "calm"),
    }
    gpl = found[("AUD302", "gpl-kit")]
    assert (
        "GPL-3.0-only (strong-copyleft) requires the project (Apache-2.0, a library)" in gpl.message
    )
    assert gpl.evidence["project_license"] == "Apache-2.0"
    assert gpl.evidence["source"] == "index-json-project"
    mystery = found[("AUD303", "mystery")]
    assert mystery.evidence["raw"] == "Custom terms, see website"
    assert mystery.evidence["license"] is None
    relic = found[("AUD304", "relic")]
    assert relic.evidence["locked_license"] == "MIT"
    assert relic.evidence["newest_license"] == "BUSL-1.1"
    assert relic.severity is Severity.MEDIUM
    assert found[("AUD304", "calm")].severity is Severity.LOW
    assert any("not on the index (path, VCS or URL" in note for note in result.notes)
    assert result.incomplete == ()


def test_inventory_in_the_result(index: tuple[FakeIndex, LoopbackServer], tmp_path: Path) -> None:
    _fake, server = index
    result = _audit(tmp_path, server.url)
    assert result.licenses is not None
    rows = {row.name: row for row in result.licenses}
    assert rows["fine"].license is None
    assert (rows["fine"].category, rows["fine"].verdict) == ("permissive", "allowed")
    assert rows["gpl-kit"].verdict == "incompatible"
    assert rows["sspl-db"].verdict == "denied"
    assert rows["relic"].license == "MIT"
    data = result.to_json()["licenses"]
    assert data["schema_version"] == 1
    first = data["packages"][0]
    assert {"name", "version", "license", "category", "source"} <= set(first)


def test_exceptions_pass_and_expired_ones_are_noted(
    index: tuple[FakeIndex, LoopbackServer], tmp_path: Path
) -> None:
    _fake, server = index
    policy = (
        '[[tool.auditor.policy.licenses.exceptions]]\npackage = "gpl-kit"\n'
        'reason = "build tool, never shipped"\n\n'
        '[[tool.auditor.policy.licenses.exceptions]]\npackage = "mystery"\n'
        'reason = "reviewed"\nexpires = 2025-12-31\n'
    )
    result = _audit(tmp_path, server.url, policy)
    fired = {(f.rule_id, f.package) for f in result.findings}
    assert ("AUD302", "gpl-kit") not in fired
    assert ("AUD303", "mystery") in fired
    assert any("exception for mystery expired on 2025-12-31" in n for n in result.notes)
    rows = {row.name: row for row in result.licenses or ()}
    assert rows["gpl-kit"].verdict == "excepted"


def test_internal_use_takes_copyleft(
    index: tuple[FakeIndex, LoopbackServer], tmp_path: Path
) -> None:
    _fake, server = index
    result = _audit(tmp_path, server.url, 'use = "internal"\n')
    assert "AUD302" not in {f.rule_id for f in result.findings}


def test_license_stage_does_not_run_without_its_rules(
    index: tuple[FakeIndex, LoopbackServer], tmp_path: Path
) -> None:
    _fake, server = index
    (tmp_path / "requirements.txt").write_text("fine==1.0\n")
    env = {"AUDITOR_INDEX_URL": f"{server.url}/simple", "AUDITOR_CACHE_DIR": str(tmp_path / "c")}
    config = load_config(tmp_path, env=env).with_overrides(enable=("AUD1",))
    result = run_audit(config)
    assert result.licenses is None
    assert "licenses" not in result.to_json()


def test_development_only_packages_are_not_judged_for_compatibility(
    index: tuple[FakeIndex, LoopbackServer], tmp_path: Path
) -> None:
    # black: pyinstaller (GPL) sits in a dependency group; it is not distributed with the library.
    _fake, server = index
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "my-lib"\nversion = "1"\nlicense = "Apache-2.0"\n'
        'dependencies = ["fine==1.0"]\n\n[dependency-groups]\n'
        'build = ["gpl-kit==1.0", "sspl-db==1.0"]\n\n'
        '[tool.auditor]\nenable = ["AUD3"]\n\n[tool.auditor.policy.licenses]\n'
        'deny = ["SSPL-1.0"]\n'
    )
    env = {
        "AUDITOR_INDEX_URL": f"{server.url}/simple",
        "AUDITOR_CACHE_DIR": str(tmp_path / ".cache"),
        "AUDITOR_TODAY": "2026-01-01",
    }
    result = run_audit(load_config(tmp_path, env=env))
    found = {(f.rule_id, f.package): f for f in result.findings}
    assert set(found) == {("AUD301", "sspl-db")}  # a denied license still shows, quietly
    assert found[("AUD301", "sspl-db")].severity is Severity.LOW
    assert found[("AUD301", "sspl-db")].evidence["development_only"] is True
    assert any("1 development-only package(s)" in note for note in result.notes)
