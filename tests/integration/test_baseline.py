"""The CI gate: baselines (create, update, --baseline), moved lines, --diff-base."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli

OFFLINE = ("--offline", "--allow-incomplete", "--enable", "AUD1")


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.invalid",
         *args],
        check=True,
        capture_output=True,
    )  # fmt: skip


@pytest.fixture
def app(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    root.mkdir()
    (root / "requirements.txt").write_text("flask\nrequests==2.19.0\n", encoding="utf-8")
    return root


def _scan(root: Path, *args: str) -> tuple[int, dict[str, Any]]:
    done = run_cli("scan", str(root), "--format", "json", *OFFLINE, *args)
    assert done.code in (0, 1), done.err
    data: dict[str, Any] = json.loads(done.out)
    return done.code, data


def test_gate_fails_only_on_findings_not_in_the_baseline(app: Path, tmp_path: Path) -> None:
    code, before = _scan(app, "--fail-on", "low")
    assert code == 1
    assert any(f["rule_id"] == "AUD101" and f["package"] == "flask" for f in before["findings"])
    baseline = tmp_path / "baseline.json"
    created = run_cli("baseline", "create", str(app), "--output", str(baseline), *OFFLINE)
    assert created.code == 0, created.err
    assert f"{len(before['findings'])} finding(s) accepted" in created.err
    code, after = _scan(app, "--fail-on", "low", "--baseline", str(baseline))
    assert code == 0
    assert after["findings"] == []
    assert after["baseline"] == {"file": str(baseline), "matched": len(before["findings"]),
                                 "new": 0}  # fmt: skip
    # A new unpinned requirement is new: the gate fails on it alone.
    (app / "requirements.txt").write_text("flask\nrequests==2.19.0\ndjango\n", encoding="utf-8")
    code, grown = _scan(app, "--fail-on", "low", "--baseline", str(baseline))
    assert code == 1
    assert {f["package"] for f in grown["findings"]} == {"django"}
    assert grown["baseline"]["new"] == len(grown["findings"])


def test_moving_a_line_does_not_reopen_a_finding(app: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    assert run_cli("baseline", "create", str(app), "-o", str(baseline), *OFFLINE).code == 0
    (app / "requirements.txt").write_text(
        "# web\n\nrequests==2.19.0\n\n# framework\nflask\n", encoding="utf-8"
    )
    code, data = _scan(app, "--fail-on", "low", "--baseline", str(baseline))
    assert code == 0
    assert data["findings"] == []
    lines = {s["finding"]["locations"][0]["line"] for s in data["suppressed"]
             if s["finding"]["package"] == "flask"}  # fmt: skip
    assert lines == {6}


def test_update_keeps_adds_and_drops_fixed(app: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    assert run_cli("baseline", "create", str(app), "-o", str(baseline), *OFFLINE).code == 0
    (app / "requirements.txt").write_text("flask==3.0.3\nrequests==2.19.0\nnumpy\n")
    updated = run_cli("baseline", "update", str(app), "-o", str(baseline), *OFFLINE)
    assert updated.code == 0, updated.err
    assert "1 added" in updated.err
    assert "1 dropped" in updated.err
    data = json.loads(baseline.read_text())
    packages = {entry["package"] for entry in data["fingerprints"].values()}
    assert "numpy" in packages
    assert "flask" not in packages


def test_baseline_refuses_an_incomplete_audit(app: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    done = run_cli("baseline", "create", str(app), "-o", str(baseline), "--offline")
    assert done.code == 3
    assert "audit is incomplete" in done.err
    assert not baseline.exists()


def test_missing_baseline_is_a_usage_error(app: Path, tmp_path: Path) -> None:
    done = run_cli("scan", str(app), "--baseline", str(tmp_path / "none.json"), *OFFLINE)
    assert done.code == 2
    assert "none.json: cannot read baseline" in done.err
    done = run_cli("baseline", "update", str(app), "-o", str(tmp_path / "none.json"), *OFFLINE)
    assert done.code == 2


def test_diff_base_limits_findings_to_the_change(app: Path) -> None:
    _git(app, "init", "-q", "-b", "main")
    _git(app, "add", ".")
    _git(app, "commit", "-q", "-m", "start")
    _git(app, "checkout", "-q", "-b", "feature")
    (app / "requirements.txt").write_text("flask\nrequests==2.19.0\ndjango\n", encoding="utf-8")
    _git(app, "commit", "-q", "-am", "add django")
    code, data = _scan(app, "--fail-on", "low", "--diff-base", "main")
    packages = {f["package"] for f in data["findings"]}
    assert "django" in packages
    assert "flask" not in packages
    assert any("limited to changes since main" in note for note in data["notes"])
    assert code == 1
    # Nothing changed since HEAD: nothing reported.
    code, data = _scan(app, "--fail-on", "low", "--diff-base", "HEAD")
    assert data["findings"] == []
    assert code == 0


def test_diff_base_with_an_unknown_ref_is_a_usage_error(app: Path) -> None:
    _git(app, "init", "-q", "-b", "main")
    done = run_cli("scan", str(app), "--diff-base", "no-such-ref", *OFFLINE)
    assert done.code == 2
    assert "git merge-base no-such-ref failed" in done.err


def test_action_pins_every_action_by_sha_and_keeps_inputs_out_of_scripts() -> None:
    import re

    import yaml
    from conftest import REPO

    action = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    uses = [step["uses"] for step in steps if "uses" in step]
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    assert all(re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", u) for u in uses)
    for step in steps:
        assert "${{" not in step.get("run", ""), step.get("name")
