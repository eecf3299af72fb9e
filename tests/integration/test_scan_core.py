"""The scanner core end to end, in-process: exit codes, JSON contract, config, ignores, graph, why.

Scans that do not need the network run with ``--offline`` or ``--enable AUD1`` so they neither
wait on the dead loopback URLs nor depend on other rule families.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from conftest import REPO, run_cli, shared_data

EXAMPLE = REPO / "examples" / "vibe-app"
CORE = REPO / "tests" / "fixtures" / "scan_core"


def scan_json(*args: str) -> tuple[int, dict[str, Any], str]:
    result = run_cli("scan", *args, "--format", "json")
    return result.code, json.loads(result.out), result.err


def rule_ids(data: dict[str, Any]) -> set[str]:
    return {f["rule_id"] for f in data["findings"]}


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


# The bundled example --------------------------------------------------------------------------
def test_example_pin_findings_and_gate() -> None:
    code, data, err = scan_json(str(EXAMPLE), "--enable", "AUD1")
    assert code == 0  # medium findings, default gate is high
    assert "finding(s)" in err
    by_rule: dict[str, set[str | None]] = {}
    for finding in data["findings"]:
        by_rule.setdefault(finding["rule_id"], set()).add(finding["package"])
    assert by_rule["AUD101"] == {
        "flask", "flask-restfull", "pycrypto", "python-dotenv", "numpy", "gunicorn"
    }  # fmt: skip
    assert by_rule["AUD102"] == {"pandas"}
    assert by_rule["AUD103"] == {None}
    invalid = [f for f in data["findings"] if f["rule_id"] == "AUD110"]
    assert sorted(f["locations"][0]["line"] for f in invalid) == [2, 10]
    assert any(f["fix"] == "gunicorn" for f in invalid)
    assert data["incomplete"] == []
    assert run_cli("scan", str(EXAMPLE), "--enable", "AUD1", "--fail-on", "medium").code == 1


def test_example_full_scan_with_offline_advisories() -> None:
    osv = shared_data("osv", "pypi-advisory-database.zip")
    top = shared_data("pypi", "top-pypi-packages.json")
    imported = run_cli("db", "import", str(osv), str(top))
    assert imported.code == 0, imported.err
    code, data, _err = scan_json(str(EXAMPLE), "--offline", "--allow-incomplete")
    assert code == 1  # AUD201 on requests==2.19.0 is high
    vulns = [f for f in data["findings"] if f["rule_id"] == "AUD201"]
    advisories = {
        a for f in vulns if f["package"] == "requests" for a in f["evidence"]["advisories"]
    }
    assert "PYSEC-2018-28" in advisories
    fired = rule_ids(data)
    assert {"AUD101", "AUD102", "AUD103", "AUD110", "AUD501", "AUD502"} <= fired
    missing = {f["package"] for f in data["findings"] if f["rule_id"] == "AUD501"}
    assert "pyyaml" in {str(m).lower() for m in missing}


# JSON contract and --output -------------------------------------------------------------------
def test_json_report_contract(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": "flask\nrequests==2.32.3\n"})
    code, data, _err = scan_json(str(tmp_path), "--enable", "AUD1")
    assert code == 0
    assert data["schema_version"] == 1
    assert data["tool"]["name"] == "auditor"
    assert data["tool"]["version"]
    assert data["target"] == str(tmp_path)
    assert data["inputs"] == [
        {"path": "requirements.txt", "kind": "requirements", "status": "ok", "error": None}
    ]
    assert set(data["summary"]) == {"critical", "high", "medium", "low", "info"}
    assert data["summary"]["medium"] == len(
        [f for f in data["findings"] if f["severity"] == "medium"]
    )
    package = next(p for p in data["packages"] if p["name"] == "requests")
    assert package == {
        "name": "requests",
        "version": "2.32.3",
        "direct": True,
        "groups": ["main"],
        "locations": [{"path": "requirements.txt", "line": 2}],
    }
    finding = next(f for f in data["findings"] if f["rule_id"] == "AUD101")
    required = {"rule_id", "rule_name", "severity", "package", "version", "message", "locations",
                "evidence", "fix", "fingerprint"}  # fmt: skip
    assert required <= set(finding)
    assert finding["rule_name"] == "unpinned-requirement"
    assert finding["locations"] == [{"path": "requirements.txt", "line": 1}]
    assert finding["fix"]
    for key in ("incomplete", "findings", "packages"):
        assert isinstance(data[key], list)


def test_fingerprints_are_stable_when_lines_move(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": "flask\n"})
    _code, first, _err = scan_json(str(tmp_path), "--enable", "AUD101")
    write(tmp_path, {"requirements.txt": "# web\n\nflask\n"})
    _code, second, _err = scan_json(str(tmp_path), "--enable", "AUD101")
    assert [f["fingerprint"] for f in first["findings"]] == [
        f["fingerprint"] for f in second["findings"]
    ]
    assert second["findings"][0]["locations"][0]["line"] == 3


def test_output_file_is_written_atomically(tmp_path: Path) -> None:
    repo = write(tmp_path / "repo", {"requirements.txt": "flask\n"})
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / "report.json"
    target.write_text("old contents")
    result = run_cli("scan", str(repo), "--enable", "AUD1", "--format", "json", "--output",
                     str(target))  # fmt: skip
    assert result.code == 0
    assert result.out == ""
    data = json.loads(target.read_text())
    assert rule_ids(data) == {"AUD101", "AUD103"}
    assert sorted(p.name for p in out_dir.iterdir()) == ["report.json"]  # no temp file left


# Exit codes ----------------------------------------------------------------------------------
def test_broken_toml_is_reported_and_other_inputs_still_scanned(tmp_path: Path) -> None:
    write(tmp_path, {
        "pyproject.toml": '[project]\nname = "x"\ndependencies = [\n  "flask",\n  oops\n]\n',
        "requirements.txt": "requests\n",
    })  # fmt: skip
    code, data, err = scan_json(str(tmp_path), "--enable", "AUD1")
    assert code == 3
    broken = next(i for i in data["inputs"] if i["path"] == "pyproject.toml")
    assert broken["status"] == "error"
    assert broken["error"].startswith("pyproject.toml:5")
    assert "INCOMPLETE" in err
    assert any(i["source"] == "input:pyproject.toml" for i in data["incomplete"])
    good = next(i for i in data["inputs"] if i["path"] == "requirements.txt")
    assert good["status"] == "ok"
    assert {f["package"] for f in data["findings"] if f["rule_id"] == "AUD101"} == {"requests"}
    # --allow-incomplete: exit by findings alone, the report still says what was not checked
    code, data, _err = scan_json(str(tmp_path), "--enable", "AUD1", "--allow-incomplete")
    assert code == 0
    assert data["incomplete"]
    code, _data, _err = scan_json(
        str(tmp_path), "--enable", "AUD1", "--allow-incomplete", "--fail-on", "medium"
    )
    assert code == 1


def test_findings_win_over_incomplete(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": "[project\n", "requirements.txt": "requests\n"})
    assert run_cli("scan", str(tmp_path), "--enable", "AUD1", "--fail-on", "medium").code == 1


def test_missing_include_marks_the_run_incomplete(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": "-r base.txt\nflask==3.0.3\n"})
    code, data, _err = scan_json(str(tmp_path), "--enable", "AUD1")
    assert code == 3
    [finding] = [f for f in data["findings"] if f["rule_id"] == "AUD111"]
    assert finding["locations"] == [{"path": "requirements.txt", "line": 1}]
    assert finding["evidence"]["code"] == "include-missing"


@pytest.mark.parametrize(
    ("config", "needle"),
    [
        ('fail-on = "severe"\n', "unknown severity"),
        ('colour = "blue"\n', "unknown keys"),
        ('[policy.pins]\nrequire = "loose"\n', "policy.pins.require"),
    ],
)
def test_bad_config_is_exit_2(tmp_path: Path, config: str, needle: str) -> None:
    write(tmp_path, {".auditor.toml": config, "requirements.txt": "flask\n"})
    result = run_cli("scan", str(tmp_path), "--enable", "AUD1")
    assert result.code == 2
    assert "configuration error" in result.err
    assert needle in result.err


def test_bad_fail_on_option_is_exit_2(tmp_path: Path) -> None:
    result = run_cli("scan", str(tmp_path), "--fail-on", "severe")
    assert result.code == 2


def test_repo_without_inputs(tmp_path: Path) -> None:
    write(tmp_path, {"main.py": "print('hello')\n", "README.md": "# hi\n"})
    code, data, _err = scan_json(str(tmp_path), "--offline")
    assert code == 0
    assert data["inputs"] == []
    assert data["findings"] == []
    assert any("no Python dependency inputs" in note for note in data["notes"])


def test_binary_and_huge_inputs_are_skipped_and_the_audit_is_incomplete(tmp_path: Path) -> None:
    write(tmp_path, {
        "requirements.txt": "flask==3.0.3\n",
        "requirements-bin.txt": b"flask\x00\x01\x02binary",
        "requirements-huge.txt": "# padding\n" * 600_000,  # 6 MB > the 5 MB limit
    })  # fmt: skip
    code, data, _err = scan_json(str(tmp_path), "--enable", "AUD1")
    assert code == 3  # a skipped manifest was not audited: never a silent clean pass
    assert sorted(i["source"] for i in data["incomplete"]) == [
        "input:requirements-bin.txt",
        "input:requirements-huge.txt",
    ]
    status = {i["path"]: i["status"] for i in data["inputs"]}
    assert status == {
        "requirements.txt": "ok",
        "requirements-bin.txt": "skipped",
        "requirements-huge.txt": "skipped",
    }
    notes = " ".join(data["notes"])
    assert "requirements-bin.txt: skipped: binary file" in notes
    assert "requirements-huge.txt: skipped: larger than" in notes
    assert rule_ids(data) == set()


# Configuration: enable / disable / severity / ignores ------------------------------------------
PYPROJECT_CONFIG = """
[tool.auditor]
enable = ["AUD1"]
disable = ["AUD102"]

[tool.auditor.severity]
AUD101 = "high"
unbounded-range = "critical"

[[tool.auditor.ignore]]
id = "AUD103"
reason = "we will add a lockfile next sprint"
expires = "2025-06-30"

[[tool.auditor.ignore]]
id = "AUD110"
package = "nothing-matches-this"
reason = "stale"

[[tool.auditor.ignore]]
id = "AUD110"
path = "requirements.txt"
reason = "the prose line is documentation"
expires = "2030-01-01"
"""


def test_config_enable_disable_severity_and_ignores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUDITOR_TODAY", "2026-01-15")
    write(tmp_path, {
        "pyproject.toml": PYPROJECT_CONFIG,
        "requirements.txt": "Install these first:\nflask\npandas>=2\n",
    })  # fmt: skip
    code, data, _err = scan_json(str(tmp_path))
    fired = {f["rule_id"]: f for f in data["findings"]}
    assert set(fired) == {"AUD101", "AUD103"}  # AUD102 disabled, AUD110 ignored, AUD2.. off
    assert fired["AUD101"]["severity"] == "high"
    assert code == 1  # the override lifted AUD101 to the default gate
    expired = fired["AUD103"]["evidence"]["expired_ignore"]
    assert "expired on 2025-06-30" in expired
    suppressed = [(s["finding"]["rule_id"], s["reason"]) for s in data["suppressed"]]
    assert suppressed == [("AUD110", "the prose line is documentation")]
    assert data["unused_ignores"] == ["ignore[id=AUD110, package=nothing-matches-this]"]


def test_cli_disable_adds_to_config(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": "flask\n"})
    code, data, _err = scan_json(str(tmp_path), "--enable", "AUD1", "--disable", "AUD103")
    assert code == 0
    assert rule_ids(data) == {"AUD101"}
    _code, data, _err = scan_json(str(tmp_path), "--enable", "unpinned-requirement")
    assert rule_ids(data) == {"AUD101"}


def test_inline_ignore_on_a_requirement_line(tmp_path: Path) -> None:
    write(tmp_path, {
        "requirements.txt": (
            "flask  # auditor: ignore[AUD101] pinned by the platform image\n"
            "requests\n"
            "numpy>=1  # auditor: ignore[AUD101]\n"
        ),
    })  # fmt: skip
    _code, data, _err = scan_json(str(tmp_path), "--enable", "AUD101", "--enable", "AUD102")
    kept = {(f["rule_id"], f["package"]) for f in data["findings"]}
    assert kept == {("AUD101", "requests"), ("AUD102", "numpy")}  # ignore names AUD101 only
    [hidden] = data["suppressed"]
    assert hidden["finding"]["package"] == "flask"
    assert hidden["by"] == "inline"
    assert hidden["reason"] == "pinned by the platform image"


# Lockfile drift end to end ---------------------------------------------------------------------
def test_uv_lock_drift_and_stale_entries(tmp_path: Path) -> None:
    lock = (CORE / "uv-app" / "uv.lock").read_text()
    lock = lock.replace('version = "2.32.3"', 'version = "2.31.0"')
    lock += '\n[[package]]\nname = "leftpad"\nversion = "1.0.0"\n' \
            'source = { registry = "https://index.example/simple" }\n'  # fmt: skip
    write(tmp_path, {"pyproject.toml": (CORE / "uv-app" / "pyproject.toml").read_text(),
                     "uv.lock": lock})  # fmt: skip
    code, data, _err = scan_json(str(tmp_path), "--enable", "AUD104")
    assert code == 1
    drift = {f["package"]: f for f in data["findings"]}
    assert set(drift) == {"requests", "leftpad"}
    unsatisfied = drift["requests"]
    assert unsatisfied["severity"] == "high"
    assert unsatisfied["evidence"]["manifest"] == "pyproject.toml"
    assert unsatisfied["evidence"]["lockfile"] == "uv.lock"
    assert [loc["path"] for loc in unsatisfied["locations"]] == ["pyproject.toml", "uv.lock"]
    assert drift["leftpad"]["severity"] == "medium"
    assert drift["leftpad"]["evidence"]["kind"] == "unreachable"


@pytest.mark.parametrize("app", ["uv-app", "poetry-app"])
def test_consistent_lock_projects_are_clean(app: str) -> None:
    code, data, _err = scan_json(str(CORE / app), "--enable", "AUD1")
    assert code == 0
    assert data["findings"] == []
    assert {p["name"] for p in data["packages"]} >= {"boto3", "urllib3", "six"}


# graph and why ----------------------------------------------------------------------------------
@pytest.mark.parametrize("app", ["uv-app", "poetry-app"])
def test_graph_formats(app: str) -> None:
    repo = str(CORE / app)
    tree = run_cli("graph", repo)
    assert tree.code == 0
    for name in ("boto3", "botocore", "urllib3", "six", "requests"):
        assert name in tree.out
    data = json.loads(run_cli("graph", repo, "--format", "json").out)
    assert data["schema_version"] == 1
    nodes = {n["id"] for n in data["nodes"]}
    assert {"<root>", "boto3", "python-dateutil", "six"} <= nodes
    links = {(link["source"], link["target"]) for link in data["links"]}
    assert ("python-dateutil", "six") in links
    assert ("<root>", "boto3") in links
    assert ("<root>", "six") not in links  # transitive, not hung off the root
    dot = run_cli("graph", repo, "--format", "dot").out
    assert dot.startswith("digraph dependencies {")
    assert '"botocore" -> "urllib3"' in dot
    graphml = run_cli("graph", repo, "--format", "graphml").out
    parsed = nx.parse_graphml(graphml)
    assert set(parsed.nodes) == nodes
    assert parsed.has_edge("botocore", "urllib3")


def test_graph_output_file(tmp_path: Path) -> None:
    target = tmp_path / "graph.dot"
    result = run_cli("graph", str(CORE / "uv-app"), "--format", "dot", "--output", str(target))
    assert result.code == 0
    assert result.out == ""
    assert target.read_text().startswith("digraph")


@pytest.mark.parametrize(
    ("app", "manifest_line", "lock"), [("uv-app", 8, "uv.lock"), ("poetry-app", 11, "poetry.lock")]
)
def test_why_shows_every_path_with_file_and_line(app: str, manifest_line: int, lock: str) -> None:
    result = run_cli("why", "urllib3", str(CORE / app))
    assert result.code == 0
    lines = result.out.strip().splitlines()
    assert len(lines) == 3  # via requests, via boto3 -> botocore, via boto3 -> s3transfer
    assert all(line.startswith("(project) -> ") for line in lines)
    assert any("requests==2.32.3" in line and f"[pyproject.toml:{manifest_line}]" in line
               for line in lines)  # fmt: skip
    assert all("urllib3==2.2.2" in line and f"[{lock}:" in line for line in lines)
    assert sum("s3transfer" in line for line in lines) == 1


def test_why_json_and_unknown_package() -> None:
    result = run_cli("why", "Python_Dateutil", str(CORE / "poetry-app"), "--format", "json")
    assert result.code == 0
    data = json.loads(result.out)
    assert data["schema_version"] == 1
    assert [[step["name"] for step in path] for path in data["paths"]] == [
        ["boto3", "botocore", "python-dateutil"],
        ["boto3", "s3transfer", "botocore", "python-dateutil"],
    ]
    path = data["paths"][0]
    assert path[0]["declared_at"] == ["pyproject.toml:10"]
    assert path[2]["declared_at"][0].startswith("poetry.lock:")
    missing = run_cli("why", "left-pad", str(CORE / "poetry-app"))
    assert missing.code == 1
    assert "not in the dependency graph" in missing.err


# rules ------------------------------------------------------------------------------------------
def test_rules_list_and_show() -> None:
    listed = run_cli("rules", "list")
    assert listed.code == 0
    ids = [line.split()[0] for line in listed.out.splitlines()]
    assert [i for i in ids if i.startswith("AUD1")] == [f"AUD1{n:02d}" for n in range(1, 12)]
    shown = run_cli("rules", "show", "AUD104")
    assert shown.code == 0
    assert shown.out.startswith("AUD104 lockfile-drift (high, pins)")
    assert "Fix:" in shown.out
    by_name = run_cli("rules", "show", "missing-lockfile")
    assert by_name.out.startswith("AUD103 missing-lockfile")
    data = json.loads(run_cli("rules", "show", "aud110", "--format", "json").out)
    [rule] = data["rules"]
    assert rule["check"] == "pins"
    assert rule["severity"] == "medium"
    unknown = run_cli("rules", "show", "AUD199")
    assert unknown.code == 2
    assert "no rule" in unknown.err


# Robustness on the shared parser fixtures ------------------------------------------------------
_CANONICAL = {
    "pdmlock": "pdm.lock",
    "pipfilelock": "Pipfile.lock",
    "poetrylock": "poetry.lock",
    "pylock": "pylock.toml",
    "pyprojecttoml": "pyproject.toml",
    "uvlock": "uv.lock",
}


def _shared_cases() -> list[tuple[str, str]]:
    from conftest import SHARED_DATA

    base = SHARED_DATA / "fixtures" / "python-lockfiles"
    if not base.is_dir():
        return [("missing", "missing")]
    return [
        (folder, path.name)
        for folder in sorted(_CANONICAL)
        for path in sorted((base / folder).iterdir())
        if path.name != "expected.json"
    ]


@pytest.mark.parametrize(("folder", "name"), _shared_cases())
def test_pin_checks_survive_real_lockfile_fixtures(tmp_path: Path, folder: str, name: str) -> None:
    source = shared_data("fixtures", "python-lockfiles", folder, name)
    target = tmp_path / _CANONICAL[folder]
    target.write_bytes(source.read_bytes())
    code, data, _err = scan_json(str(tmp_path), "--enable", "AUD1")
    assert code in (0, 1, 3)
    [item] = data["inputs"]
    if item["status"] == "error":
        assert code == 3
        assert item["error"].startswith(target.name)
    for finding in data["findings"]:
        assert finding["rule_id"].startswith("AUD1")
        assert finding["locations"]
        assert finding["fix"]


def test_pin_checks_on_real_requirements_fixtures(tmp_path: Path) -> None:
    folder = shared_data("fixtures", "python-lockfiles", "requirements")
    for path in folder.iterdir():
        if path.suffix == ".txt":
            (tmp_path / path.name.replace(".txt", "-requirements.txt")).write_bytes(
                path.read_bytes()
            )
    code, data, _err = scan_json(str(tmp_path), "--enable", "AUD1", "--allow-incomplete")
    assert code in (0, 1)
    assert len(data["inputs"]) >= 10
    assert "AUD101" in rule_ids(data)
    for finding in data["findings"]:
        assert finding["locations"][0]["path"].endswith(".txt")
