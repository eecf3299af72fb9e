"""`auditor fix` end to end: dry-run diff, --apply, --format json, against loopback services."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli
from fakes import FakeIndex, FakeOsv, LoopbackServer

HAS_VULNS = importlib.util.find_spec("auditor.checks.vulns") is not None


def _osv_record(
    vid: str, name: str, fixed: str, aliases: list[str] | None = None
) -> dict[str, Any]:
    return {
        "id": vid,
        "modified": "2024-01-01T00:00:00Z",
        "aliases": aliases or [],
        "summary": f"{name} problem",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": name},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}
                ],
            }
        ],
    }


REQUIREMENTS = (
    "# web app\n"
    "requests==2.19.0  # http client\n"
    "flask[async]==0.12 ; python_version >= '3.8'\n"
    "click>=8\n"
)


@pytest.mark.skipif(not HAS_VULNS, reason="auditor.checks.vulns (AUD201) is not built yet")
def test_fix_vulnerable_pins(
    osv_server: tuple[FakeOsv, LoopbackServer],
    index_server: tuple[FakeIndex, LoopbackServer],
    tmp_path: Path,
) -> None:
    osv, _ = osv_server
    osv.add(_osv_record("PYSEC-2018-28", "requests", "2.20.0", ["CVE-2018-18074"]))
    osv.add(_osv_record("GHSA-j8r2-6x86-q33q", "requests", "2.31.0"))
    osv.add(_osv_record("PYSEC-2019-179", "flask", "1.0"))
    (tmp_path / "requirements.txt").write_text(REQUIREMENTS)

    dry = run_cli("fix", str(tmp_path))
    assert dry.code == 0, dry.err
    assert dry.out == (
        "--- a/requirements.txt\n"
        "+++ b/requirements.txt\n"
        "@@ -1,4 +1,4 @@\n"
        " # web app\n"
        "-requests==2.19.0  # http client\n"
        "-flask[async]==0.12 ; python_version >= '3.8'\n"
        "+requests==2.31.0  # http client\n"
        "+flask[async]==1.0 ; python_version >= '3.8'\n"
        " click>=8\n"
    )
    assert "2 edit(s) planned in 1 file(s)" in dry.err
    assert (tmp_path / "requirements.txt").read_text() == REQUIREMENTS

    planned = run_cli("fix", str(tmp_path), "--format", "json")
    data = json.loads(planned.out)
    assert data["applied"] is False
    assert [(e["package"], e["from"], e["to"], e["line"]) for e in data["edits"]] == [
        ("requests", "2.19.0", "2.31.0", 2),
        ("flask", "0.12", "1.0", 3),
    ]
    assert data["edits"][0]["advisories"] == ["GHSA-j8r2-6x86-q33q", "PYSEC-2018-28"]

    applied = run_cli("fix", str(tmp_path), "--apply")
    assert applied.code == 0, applied.err
    assert applied.out == ""
    assert (tmp_path / "requirements.txt").read_text() == (
        "# web app\n"
        "requests==2.31.0  # http client\n"
        "flask[async]==1.0 ; python_version >= '3.8'\n"
        "click>=8\n"
    )
    again = run_cli("fix", str(tmp_path))
    assert again.out == ""
    assert "nothing to fix" in again.err


def test_fix_yanked_pin_from_the_index(
    index_server: tuple[FakeIndex, LoopbackServer], tmp_path: Path
) -> None:
    fake, _ = index_server
    fake.add(
        "httplibx",
        {"2.1.0": "2024-02-10T00:00:00Z", "2.1.1": "2024-02-12T00:00:00Z"},
        yanked={"2.1.0": "broken"},
    )
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "1"\ndependencies = [\n    "httplibx==2.1.0",\n]\n'
    )
    result = run_cli("fix", str(tmp_path), "--enable", "AUD404", "--format", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert [(e["path"], e["line"], e["new"]) for e in data["edits"]] == [
        ("pyproject.toml", 5, '    "httplibx==2.1.1",\n')
    ]
    applied = run_cli("fix", str(tmp_path), "--enable", "AUD404", "--apply")
    assert applied.code == 0, applied.err
    assert '"httplibx==2.1.1"' in (tmp_path / "pyproject.toml").read_text()


def test_fix_hash_warning_and_incomplete_exit(
    index_server: tuple[FakeIndex, LoopbackServer], tmp_path: Path
) -> None:
    fake, _ = index_server
    fake.add(
        "httplibx",
        {"2.1.0": "2024-02-10T00:00:00Z", "2.1.1": "2024-02-12T00:00:00Z"},
        yanked={"2.1.0": "broken"},
    )
    (tmp_path / "requirements.txt").write_text(
        "httplibx==2.1.0 \\\n    --hash=sha256:" + "a" * 64 + "\n"
    )
    # AUD201 is enabled too, and the OSV API is a dead port: the plan is still shown, and the
    # exit code says the audit behind it was incomplete.
    result = run_cli("fix", str(tmp_path))
    assert result.code == 3
    assert "+httplibx==2.1.1 \\\n" in result.out
    assert "regenerate them for 2.1.1" in result.err
    assert "auditor: not checked:" in result.err
    allowed = run_cli("fix", str(tmp_path), "--allow-incomplete")
    assert allowed.code == 0


# -- fix and scan agree ------------------------------------------------------------------------


def _ranges_record(vid: str, name: str, *events: dict[str, str], aliases: tuple[str, ...] = ()
                   ) -> dict[str, Any]:  # fmt: skip
    return {"id": vid, "modified": "2024-01-01T00:00:00Z", "aliases": list(aliases),
            "affected": [{"package": {"ecosystem": "PyPI", "name": name},
                          "ranges": [{"type": "ECOSYSTEM", "events": list(events)}]}]}  # fmt: skip


AGREE_REQUIREMENTS = (
    "# app\n"
    "requests==2.19.0  # http\n"
    "asyncio  # the stdlib one, by mistake\n"
    "json \\\n"
    "    ; python_version >= '3'\n"
    "nofix==1.0\n"
    "click>=8\n"
)
AGREE_PYPROJECT = (
    '[project]\nname = "app"\nversion = "1"\n'
    "dependencies = [\n"
    '    "jinja2==2.10",\n'
    '    "logging",  # stdlib\n'
    "]\n"
)
AGREE_COMPILED = (
    "# This file is autogenerated by pip-compile with Python 3.12\n"
    "urllib3==1.24.1 \\\n"
    "    --hash=sha256:" + "a" * 64 + " \\\n"
    "    --hash=sha256:" + "b" * 64 + "\n"
    "    # via requests\n"
)


@pytest.mark.skipif(not HAS_VULNS, reason="auditor.checks.vulns (AUD201) is not built yet")
def test_fix_writes_what_scan_names_and_a_rescan_agrees(
    osv_server: tuple[FakeOsv, LoopbackServer], tmp_path: Path
) -> None:
    osv, _ = osv_server
    # Two records of one flaw with different fixes: 2.20.0 alone still has the GHSA's flaw.
    osv.add(_ranges_record("PYSEC-1", "requests", {"introduced": "0"}, {"fixed": "2.20.0"},
                           aliases=("GHSA-1",)))  # fmt: skip
    osv.add(_ranges_record("GHSA-1", "requests", {"introduced": "0"}, {"fixed": "2.21.0"}))
    # Reintroduced at 2.22.0 (fixed 2.22.0 then introduced 2.22.0 at the same version).
    osv.add(_ranges_record("PYSEC-2", "requests", {"introduced": "0"}, {"fixed": "2.20.1"},
                           {"introduced": "2.21.0"}, {"fixed": "2.22.0"}))  # fmt: skip
    osv.add(_ranges_record("PYSEC-3", "jinja2", {"introduced": "0"}, {"fixed": "2.10.1"}))
    osv.add(_ranges_record("PYSEC-4", "urllib3", {"introduced": "0"}, {"fixed": "1.24.2"}))
    osv.add(_ranges_record("PYSEC-5", "nofix", {"introduced": "0"}))
    (tmp_path / "requirements.txt").write_text(AGREE_REQUIREMENTS)
    (tmp_path / "pyproject.toml").write_text(AGREE_PYPROJECT)
    (tmp_path / "requirements-lock.txt").write_text(AGREE_COMPILED)
    enable = ("--enable", "AUD201", "--enable", "AUD409")

    scan = run_cli("scan", str(tmp_path), "--format", "json", "--exit-zero", *enable)
    assert scan.code == 0, scan.err
    findings = json.loads(scan.out)["findings"]
    named = {(f["package"], f["version"]): f["evidence"].get("fix_version")
             for f in findings if f["rule_id"] == "AUD201"}  # fmt: skip
    # 2.21.0 clears PYSEC-1/GHSA-1 but sits in PYSEC-2's second interval: 2.22.0 clears all.
    assert named == {("requests", "2.19.0"): "2.22.0", ("jinja2", "2.10"): "2.10.1",
                     ("urllib3", "1.24.1"): "1.24.2", ("nofix", "1.0"): None}  # fmt: skip
    stdlib = sorted((f["package"], f["locations"][0]["path"]) for f in findings
                    if f["rule_id"] == "AUD409")  # fmt: skip
    assert stdlib == [("asyncio", "requirements.txt"), ("json", "requirements.txt"),
                      ("logging", "pyproject.toml")]  # fmt: skip
    assert all("did you mean" not in f["message"] for f in findings)

    planned = json.loads(run_cli("fix", str(tmp_path), "--format", "json").out)
    upgrades = {(e["package"], e["from"]): e["to"] for e in planned["edits"]
                if e["action"] == "upgrade"}  # fmt: skip
    assert upgrades == {k: v for k, v in named.items() if v is not None}
    removed = sorted((e["package"], e["path"], e["line"], e["end_line"])
                     for e in planned["edits"] if e["action"] == "remove")  # fmt: skip
    assert removed == [("asyncio", "requirements.txt", 3, 3), ("json", "requirements.txt", 4, 5),
                       ("logging", "pyproject.toml", 6, 6)]  # fmt: skip
    assert [s["reason"] for s in planned["skipped"]] == ["no fixed release is known for PYSEC-5"]
    assert "-asyncio  # the stdlib one, by mistake\n" in planned["diff"]

    applied = run_cli("fix", str(tmp_path), "--apply")
    assert "regenerate them for 1.24.2 (e.g. pip-compile --generate-hashes" in applied.err
    assert "not fixed: requirements.txt:6: nofix 1.0: no fixed release is known for PYSEC-5" in (
        applied.err
    )
    assert (tmp_path / "requirements.txt").read_text() == (
        "# app\nrequests==2.22.0  # http\nnofix==1.0\nclick>=8\n"
    )
    assert (tmp_path / "pyproject.toml").read_text() == AGREE_PYPROJECT.replace(
        "2.10", "2.10.1"
    ).replace('    "logging",  # stdlib\n', "")
    # Hashes are kept (stale, flagged): pip refuses the install until they are regenerated.
    assert (tmp_path / "requirements-lock.txt").read_text() == AGREE_COMPILED.replace(
        "1.24.1", "1.24.2"
    )

    rescan = run_cli("scan", str(tmp_path), "--format", "json", "--exit-zero", *enable)
    left = [(f["rule_id"], f["package"]) for f in json.loads(rescan.out)["findings"]]
    assert left == [("AUD201", "nofix")]
